from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from mooc_portal.db import session, utcnow
from mooc_portal.enrollment import review, services
from mooc_portal.enrollment.models import Enrollment, EnrollmentState
from mooc_portal.errors import Conflict, InvalidInput, NotFound, NotPermitted
from mooc_portal.signals import enrolment_changed, mail_sent
from tests.factories import make_account, make_course, make_institution, make_run

S = EnrollmentState


@pytest.fixture
def mailbox(app):
    sent = []

    def record(sender, message):
        sent.append(message)

    with mail_sent.connected_to(record):
        yield sent


def open_run(course=None, **fields):
    course = course or make_course()
    return make_run(course, enrollment_start_at=utcnow() - timedelta(days=1), **fields)


def enrol(run, learner):
    return services.enroll(run, learner, actor=learner)


def test_enrol_in_open_run_records_transition_and_mails(app, mailbox):
    run = open_run()
    learner = make_account()
    seen = []
    with enrolment_changed.connected_to(lambda sender, **kw: seen.append(kw)):
        enrollment = enrol(run, learner)
    assert mailbox == []  # mail waits for the commit
    session.commit()
    assert enrollment.state == S.ENROLLED
    assert [(t.from_state, t.to_state, t.actor_id) for t in enrollment.transitions] == [
        (None, "enrolled", learner.id)
    ]
    assert mailbox[-1]["To"] == learner.email
    assert "You are enrolled" in mailbox[-1]["Subject"]
    assert seen[0]["enrollment"] is enrollment and seen[0]["previous_state"] is None


def test_full_run_waitlists_in_order_and_approval_run_is_pending(app, mailbox):
    run = open_run(capacity=1)
    first, second, third = make_account(), make_account(), make_account()
    assert enrol(run, first).state == S.ENROLLED
    e2, e3 = enrol(run, second), enrol(run, third)
    assert (e2.state, e3.state) == (S.WAITLISTED, S.WAITLISTED)
    assert services.waitlist_position(e2) == 1
    assert services.waitlist_position(e3) == 2
    session.commit()
    assert "waitlist" in mailbox[-1]["Subject"]
    approval = open_run(requires_approval=True, capacity=5)
    assert enrol(approval, first).state == S.PENDING


def test_enrolment_refused_outside_window_cancelled_or_twice(app):
    learner = make_account()
    closed = make_run(make_course(), enrollment_end_at=utcnow() - timedelta(days=1))
    cancelled = open_run(cancelled=True)
    course = make_course()
    run_a, run_b = open_run(course), open_run(course)
    with pytest.raises(services.EnrollmentClosed):
        enrol(closed, learner)
    with pytest.raises(services.EnrollmentClosed, match="cancelled"):
        enrol(cancelled, learner)
    enrol(run_a, learner)
    with pytest.raises(services.AlreadyEnrolled):
        enrol(run_a, learner)
    with pytest.raises(services.AlreadyEnrolled):
        enrol(run_b, learner)
    assert session.scalar(select(Enrollment).where(Enrollment.run_id == run_b.id)) is None


def test_only_one_active_enrolment_per_course_is_a_database_constraint(app):
    course = make_course()
    run_a, run_b = open_run(course), open_run(course)
    learner = make_account()
    enrol(run_a, learner)
    with pytest.raises(IntegrityError), session.begin_nested():
        session.add(
            Enrollment(
                run=run_b,
                course_id=course.id,
                account=learner,
                state=S.WAITLISTED,
                waitlist_number=1,
            )
        )
        session.flush()


def test_withdrawal_promotes_first_waitlisted_and_tells_them(app, mailbox):
    run = open_run(capacity=1)
    a, b, c = make_account(), make_account(), make_account()
    ea, eb, ec = enrol(run, a), enrol(run, b), enrol(run, c)
    services.withdraw(ea, actor=a)
    assert (ea.state, eb.state, ec.state) == (S.WITHDRAWN, S.ENROLLED, S.WAITLISTED)
    assert eb.waitlist_number is None
    assert services.waitlist_position(ec) == 1
    assert eb.transitions[-1].from_state == "waitlisted" and eb.transitions[-1].actor_id is None
    session.commit()
    assert any(m["To"] == b.email and "seat" in m["Subject"] for m in mailbox)


def test_withdrawn_learner_may_enrol_again(app):
    run = open_run()
    learner = make_account()
    services.withdraw(enrol(run, learner), actor=learner)
    assert enrol(run, learner).state == S.ENROLLED


def test_promotion_in_approval_run_moves_to_pending(app):
    run = open_run(capacity=1, requires_approval=True)
    manager_inst = run.course.institution
    manager = make_account(memberships={manager_inst: "manager"})
    a, b = make_account(), make_account()
    ea, eb = enrol(run, a), enrol(run, b)
    assert (ea.state, eb.state) == (S.PENDING, S.WAITLISTED)
    services.reject(ea, "Prerequisites missing", actor=manager)
    assert ea.state == S.REJECTED and ea.reason == "Prerequisites missing"
    assert eb.state == S.PENDING
    services.approve(eb, actor=manager)
    assert eb.state == S.ENROLLED
    assert [t.to_state for t in eb.transitions] == ["waitlisted", "pending", "enrolled"]


def test_capacity_increase_promotes_and_cannot_go_below_taken(app):
    run = open_run(capacity=1)
    admin = make_account(is_admin=True)
    learners = [make_account() for _ in range(4)]
    enrollments = [enrol(run, learner) for learner in learners]
    promoted = services.set_capacity(run, 3, actor=admin)
    assert promoted == enrollments[1:3]
    assert [e.state for e in enrollments] == ["enrolled"] * 3 + ["waitlisted"]
    with pytest.raises(Conflict):
        services.set_capacity(run, 2, actor=admin)
    assert run.capacity == 3
    services.set_capacity(run, None, actor=admin)
    assert enrollments[3].state == S.ENROLLED


def test_manual_promotion_needs_a_seat(app):
    run = open_run(capacity=1)
    admin = make_account(is_admin=True)
    enrol(run, make_account())
    waiting = enrol(run, make_account())
    with pytest.raises(Conflict, match="full"):
        services.promote_from_waitlist(waiting, actor=admin)
    session.execute(
        Enrollment.__table__.update().where(Enrollment.id != waiting.id).values(state="withdrawn")
    )
    services.promote_from_waitlist(waiting, actor=admin)
    assert waiting.state == S.ENROLLED


def test_manager_of_another_institution_is_refused_and_nothing_changes(app):
    run = open_run(requires_approval=True)
    outsider = make_account(memberships={make_institution(): "manager"})
    editor = make_account(memberships={run.course.institution: "editor"})
    learner = make_account()
    pending = enrol(run, learner)
    for actor in (outsider, editor, learner):
        with pytest.raises(NotPermitted):
            services.approve(pending, actor=actor)
        with pytest.raises(NotPermitted):
            services.reject(pending, "no", actor=actor)
        with pytest.raises(NotPermitted):
            services.set_capacity(run, 10, actor=actor)
    assert pending.state == S.PENDING and len(pending.transitions) == 1
    assert run.capacity is None


def test_withdraw_refuses_another_learner_and_finished_states(app):
    run = open_run()
    learner, other = make_account(), make_account()
    enrollment = enrol(run, learner)
    with pytest.raises(NotFound):
        services.withdraw(enrollment, actor=other)
    services.withdraw(enrollment, actor=learner)
    with pytest.raises(Conflict):
        services.withdraw(enrollment, actor=learner)


def test_reject_needs_a_reason(app):
    run = open_run(requires_approval=True)
    admin = make_account(is_admin=True)
    pending = enrol(run, make_account())
    with pytest.raises(InvalidInput):
        services.reject(pending, "  ", actor=admin)
    assert pending.state == S.PENDING


def test_decide_many_is_all_or_nothing_on_permission(app):
    inst = make_institution()
    mine = open_run(make_course(institution=inst), requires_approval=True)
    theirs = open_run(requires_approval=True)
    manager = make_account(memberships={inst: "manager"})
    e1 = enrol(mine, make_account())
    e2 = enrol(theirs, make_account())
    with pytest.raises(NotPermitted):
        services.decide_many([str(e1.uuid), str(e2.uuid)], "approve", actor=manager)
    assert (e1.state, e2.state) == (S.PENDING, S.PENDING)
    services.decide_many([str(e1.uuid)], "approve", actor=manager)
    assert e1.state == S.ENROLLED


def test_review_scope_and_filters(app):
    inst = make_institution()
    run = open_run(make_course(institution=inst), capacity=1)
    other = open_run()
    manager = make_account(memberships={inst: "manager"})
    admin = make_account(is_admin=True)
    a = make_account(country="DE")
    b = make_account(country="KR")
    enrol(run, a)
    enrol(run, b)
    enrol(other, make_account())
    f = review.ReviewFilter
    partner = session.scalars(review.review_query(manager, f(), scope="partner")).all()
    assert {e.run_id for e in partner} == {run.id}
    everything = session.scalars(review.review_query(admin, f(), scope="admin")).all()
    assert len(everything) == 3
    waiting = session.scalars(
        review.review_query(admin, f(state="waitlisted", country="kr"), scope="admin")
    ).all()
    assert [e.account_id for e in waiting] == [b.id]
    with pytest.raises(NotPermitted):
        review.review_query(manager, f(), scope="admin")
    with pytest.raises(NotPermitted):
        review.review_query(a, f(), scope="partner")
    figures = services.run_figures([run])[run.id]
    assert (figures.count("enrolled"), figures.seats_left, figures.waitlist_length) == (1, 0, 1)


def test_csv_export_neutralises_formulas(app):
    run = open_run()
    learner = make_account(display_name="=HYPERLINK(1)")
    enrol(run, learner)
    admin = make_account(is_admin=True)
    rows = session.scalars(review.review_query(admin, review.ReviewFilter(), scope="admin")).all()
    text = review.export_csv(rows, scope="admin")
    # A UTF-8 BOM first, so spreadsheet programs read the names in every script (issue 12).
    assert text.startswith("\ufeff")
    assert text.removeprefix("\ufeff").splitlines()[0].startswith("enrolment,course,run")
    assert "'=HYPERLINK(1)" in text and learner.email in text


def test_no_mail_for_a_decision_rolled_back(app, mailbox):
    run = open_run()
    session.commit()
    enrol(run, make_account())
    session.rollback()
    session.commit()
    assert mailbox == []


def test_no_enrolment_in_a_course_that_is_not_public(app):
    draft = open_run(make_course(status="draft"))
    with pytest.raises(NotFound):
        enrol(draft, make_account())
    assert session.scalar(select(Enrollment).where(Enrollment.run_id == draft.id)) is None


def test_mail_waits_for_the_commit_of_the_whole_request(app, mailbox):
    """A later decision's savepoint is no commit: nothing is sent before the real one."""
    run = open_run()
    first, second = make_account(), make_account()
    enrol(run, first)
    enrol(run, second)  # releases a savepoint after the first mail was queued
    assert mailbox == []
    session.commit()
    assert sorted(m["To"] for m in mailbox) == sorted([first.email, second.email])
