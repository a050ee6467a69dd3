"""How long personal data is kept: ``flask portal apply-retention`` (for the scheduler).

The periods are the ``MOOC_RETENTION_*`` settings (days). What expires:

- failed log-in attempts: deleted;
- audit entries: deleted;
- withdrawn or rejected enrolments, counted from the end of their run (or from the decision
  when the run has no end): their history and progress are deleted and the enrolment moves to
  the "Expired records" placeholder, so the counts by state a run shows stay as they were;
- accounts that never verified their e-mail address, counted from registration: erased (only
  where the accounts have an e-mail verification field).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, case, delete, or_, select, update

from mooc_portal.accounts.models import Account, LoginAttempt
from mooc_portal.audit.models import AuditEntry
from mooc_portal.audit.services import record_change
from mooc_portal.catalog.models import CourseRun
from mooc_portal.db import rowcount, session, utcnow
from mooc_portal.enrollment.models import (
    Enrollment,
    EnrollmentState,
    EnrollmentTransition,
    SharingConsent,
)
from mooc_portal.privacy.downloads import delete_expired_downloads
from mooc_portal.privacy.erasure import erase_account, new_placeholder
from mooc_portal.privacy.models import Pseudonym
from mooc_portal.progress.models import LessonCompletion, LessonVisit

EXPIRED_REASON = "Removed after the retention period."
VERIFIED_FIELD = "email_verified_at"
"""The account column that says an address was verified (added by e-mail verification)."""


@dataclass
class RetentionReport:
    """What one application of the retention rules removed."""

    login_attempts: int = 0
    audit_entries: int = 0
    enrolments: int = 0
    accounts: int = 0
    data_downloads: int = 0
    notes: list[str] = field(default_factory=list)


def days(key: str) -> timedelta:
    return timedelta(days=int(current_app.config[key]))


def apply_retention(now: datetime | None = None) -> RetentionReport:
    """Apply every retention rule once; flushes, the caller commits."""
    now = now or utcnow()
    report = RetentionReport()
    report.login_attempts = rowcount(
        session.execute(
            delete(LoginAttempt).where(
                LoginAttempt.at < now - days("MOOC_RETENTION_LOGIN_ATTEMPT_DAYS")
            )
        )
    )
    report.audit_entries = rowcount(
        session.execute(
            delete(AuditEntry).where(AuditEntry.at < now - days("MOOC_RETENTION_AUDIT_DAYS"))
        )
    )
    report.enrolments = _expire_enrolments(now - days("MOOC_RETENTION_CLOSED_ENROLMENT_DAYS"))
    report.accounts = _expire_unverified(
        now - days("MOOC_RETENTION_UNVERIFIED_ACCOUNT_DAYS"), report
    )
    report.data_downloads = delete_expired_downloads(now)
    session.expire_all()
    if report.login_attempts or report.audit_entries or report.enrolments or report.accounts:
        record_change(
            None,
            "retention",
            "personal_data",
            None,
            after={
                "login_attempts": report.login_attempts,
                "audit_entries": report.audit_entries,
                "enrolments": report.enrolments,
                "accounts": report.accounts,
            },
            summary="Retention periods applied",
        )
    return report


def expired_enrolments_placeholder() -> Account:
    """The one placeholder that holds every expired enrolment (created when first needed)."""
    existing = session.scalar(
        select(Account)
        .join(Pseudonym, Pseudonym.account_id == Account.id)
        .where(Pseudonym.reason == "retention")
        .order_by(Pseudonym.id)
        .limit(1)
    )
    return existing or new_placeholder("retention")


def _expire_enrolments(cutoff: datetime) -> int:
    closed = (EnrollmentState.WITHDRAWN, EnrollmentState.REJECTED, EnrollmentState.CANCELLED)
    ended = select(CourseRun.id).where(or_(CourseRun.end_at < cutoff, CourseRun.end_at.is_(None)))
    candidates = session.execute(
        select(Enrollment.id, Enrollment.account_id, CourseRun.end_at, Enrollment.decided_at)
        .join(CourseRun, CourseRun.id == Enrollment.run_id)
        .where(Enrollment.state.in_(closed), Enrollment.run_id.in_(ended))
    ).all()
    retention_ids = set(
        session.scalars(select(Pseudonym.account_id).where(Pseudonym.reason == "retention"))
    )
    expired: dict[int, list[int]] = {}  # account id -> its expired enrolments
    for row in candidates:
        if row.account_id in retention_ids:
            continue
        if row.end_at is not None or (row.decided_at is not None and row.decided_at < cutoff):
            expired.setdefault(row.account_id, []).append(row.id)
    if not expired:
        return 0
    placeholder = expired_enrolments_placeholder()
    for account_id, ids in expired.items():
        for chunk in _chunks(ids):
            _expire(chunk, account_id, placeholder.id)
    return sum(len(ids) for ids in expired.values())


def _expire(ids: list[int], account_id: int, placeholder_id: int) -> None:
    session.execute(delete(LessonCompletion).where(LessonCompletion.enrollment_id.in_(ids)))
    session.execute(delete(LessonVisit).where(LessonVisit.enrollment_id.in_(ids)))
    session.execute(
        update(SharingConsent)
        .where(SharingConsent.enrollment_id.in_(ids))
        .values(enrollment_id=None)
    )
    transitions = EnrollmentTransition.enrollment_id.in_(ids)
    session.execute(update(EnrollmentTransition).where(transitions).values(reason=None))
    session.execute(
        update(EnrollmentTransition)
        .where(transitions, EnrollmentTransition.actor_id == account_id)
        .values(actor_id=placeholder_id)
    )
    session.execute(
        update(Enrollment)
        .where(Enrollment.id.in_(ids))
        .values(
            account_id=placeholder_id,
            reason=case((Enrollment.state == EnrollmentState.REJECTED, EXPIRED_REASON), else_=None),
        )
    )


def _expire_unverified(cutoff: datetime, report: RetentionReport) -> int:
    verified = getattr(Account, VERIFIED_FIELD, None)
    if verified is None:
        report.notes.append(
            "Unverified accounts: this installation has no e-mail verification; none removed."
        )
        return 0
    placeholders = select(Pseudonym.account_id)
    stale = session.scalars(
        select(Account).where(
            and_(
                verified.is_(None),
                Account.created_at < cutoff,
                Account.host_user_id.is_(None),
                Account.id.not_in(placeholders),
            )
        )
    ).all()
    for account in stale:
        erase_account(account, keep_certificates=False, channel="retention")
    return len(stale)


def _chunks(ids: list[int], size: int = 500) -> list[list[int]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]
