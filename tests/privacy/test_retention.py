"""Retention removes exactly what has expired; the figures stay as counts."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from mooc_portal.accounts.models import LoginAttempt
from mooc_portal.audit.models import AuditEntry
from mooc_portal.audit.services import record_change
from mooc_portal.db import session, utcnow
from mooc_portal.enrollment import services as enrolment
from mooc_portal.enrollment.models import Enrollment
from mooc_portal.privacy import retention
from mooc_portal.progress import services as progress
from mooc_portal.progress.models import LessonCompletion
from tests.factories import make_account, make_course, make_institution, make_run
from tests.progress.conftest import build_space


def open_run(**fields):
    """A run open for enrolment now (closed later with :func:`close`)."""
    return make_run(
        make_course(institution=fields.pop("institution", None) or make_institution()),
        enrollment_start_at=utcnow() - timedelta(days=1),
        **fields,
    )


def close(run, days_ago: int) -> None:
    run.enrollment_start_at = run.enrollment_end_at = None
    run.start_at = utcnow() - timedelta(days=days_ago + 60)
    run.end_at = utcnow() - timedelta(days=days_ago)
    session.flush()


def test_retention_removes_exactly_what_expired(app):
    now = utcnow()
    old_attempt = LoginAttempt(email="a@example.org", at=now - timedelta(days=31))
    new_attempt = LoginAttempt(email="a@example.org", at=now - timedelta(days=29))
    session.add_all([old_attempt, new_attempt])
    old_entry = record_change(None, "update", "course", 1, summary="old")
    old_entry.at = now - timedelta(days=731)
    new_entry = record_change(None, "update", "course", 2, summary="recent")
    new_entry.at = now - timedelta(days=729)

    manager_institution = make_institution()
    manager = make_account(memberships={manager_institution: "manager"})
    expired_run = open_run(institution=manager_institution, requires_approval=True)
    recent_run = open_run()
    learners = [make_account() for _ in range(4)]
    withdrawn_old = enrolment.enroll(expired_run, learners[0], actor=learners[0])
    enrolment.withdraw(withdrawn_old, actor=learners[0])
    rejected_old = enrolment.enroll(expired_run, learners[1], actor=learners[1])
    enrolment.reject(rejected_old, "Missing prerequisites for you", actor=manager)
    kept_enrolled = enrolment.enroll(expired_run, learners[2], actor=learners[2])
    enrolment.approve(kept_enrolled, actor=manager)
    withdrawn_recent = enrolment.enroll(recent_run, learners[3], actor=learners[3])
    enrolment.withdraw(withdrawn_recent, actor=learners[3])
    close(expired_run, days_ago=366)
    close(recent_run, days_ago=300)
    counts_before = {
        run.id: dict(enrolment.run_figures([run])[run.id].counts)
        for run in (expired_run, recent_run)
    }

    report = retention.apply_retention()

    assert (report.login_attempts, report.audit_entries, report.enrolments) == (1, 1, 2)
    attempts = session.scalars(select(LoginAttempt.id)).all()
    assert attempts == [new_attempt.id]
    summaries = set(session.scalars(select(AuditEntry.summary)))
    assert "old" not in summaries and "recent" in summaries
    assert "Retention periods applied" in summaries
    moved = {e.id: e for e in session.scalars(select(Enrollment))}
    for expired in (withdrawn_old, rejected_old):
        row = moved[expired.id]
        assert row.account_id not in {learner.id for learner in learners}
        assert row.account.display_name == "Expired records"
    assert moved[rejected_old.id].reason == retention.EXPIRED_REASON
    assert all(t.reason is None for t in moved[rejected_old.id].transitions)
    assert moved[kept_enrolled.id].account_id == learners[2].id
    assert moved[withdrawn_recent.id].account_id == learners[3].id
    for run in (expired_run, recent_run):
        assert dict(enrolment.run_figures([run])[run.id].counts) == counts_before[run.id]
    # Applying it again removes nothing more, and the placeholder is reused.
    again = retention.apply_retention()
    assert (again.login_attempts, again.audit_entries, again.enrolments) == (0, 0, 0)


def test_progress_of_an_expired_enrolment_goes_with_it(app):
    space = build_space()
    learner = make_account()
    enrollment = enrolment.enroll(space.run, learner, actor=learner)
    progress.mark_complete(enrollment, space.lessons[0], actor=learner)
    enrolment.withdraw(enrollment, actor=learner)
    close(space.run, days_ago=400)
    assert retention.apply_retention().enrolments == 1
    left = session.scalars(
        select(LessonCompletion).where(LessonCompletion.enrollment_id == enrollment.id)
    ).all()
    assert left == []


def test_the_periods_come_from_the_settings(app, monkeypatch):
    session.add(LoginAttempt(email="b@example.org", at=utcnow() - timedelta(days=10)))
    monkeypatch.setitem(app.config, "MOOC_RETENTION_LOGIN_ATTEMPT_DAYS", 7)
    assert retention.apply_retention().login_attempts == 1


def test_the_command_for_the_scheduler(app, runner):
    session.add(LoginAttempt(email="c@example.org", at=utcnow() - timedelta(days=100)))
    session.commit()
    result = runner.invoke(args=["portal", "apply-retention"])
    assert result.exit_code == 0, result.output
    assert "Removed 1 failed log-in attempts" in result.output


def test_unverified_accounts_expire_where_addresses_are_verified(app):
    from mooc_portal.accounts.models import Account

    verified = getattr(Account, retention.VERIFIED_FIELD, None)
    if verified is None:
        report = retention.apply_retention()
        assert report.accounts == 0 and "no e-mail verification" in report.notes[0]
        return
    stale = make_account(created_at=utcnow() - timedelta(days=31))
    fresh = make_account(created_at=utcnow() - timedelta(days=29))
    confirmed = make_account(created_at=utcnow() - timedelta(days=90))
    setattr(confirmed, retention.VERIFIED_FIELD, utcnow() - timedelta(days=89))
    for account in (stale, fresh):
        setattr(account, retention.VERIFIED_FIELD, None)
    session.flush()
    ids = {"stale": stale.id, "fresh": fresh.id, "confirmed": confirmed.id}
    assert retention.apply_retention().accounts == 1
    assert session.get(Account, ids["stale"]) is None
    assert session.get(Account, ids["fresh"]) and session.get(Account, ids["confirmed"])
