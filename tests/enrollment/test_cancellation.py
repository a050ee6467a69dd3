"""Cancelling a run (issue 12, defect 2): what happens to every enrolment, what the learners are
told, and where they can go instead."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from mooc_portal.audit.models import AuditEntry
from mooc_portal.certificates.models import Certificate
from mooc_portal.db import session, utcnow
from mooc_portal.enrollment import services
from mooc_portal.enrollment.models import EnrollmentState
from mooc_portal.progress import services as progress
from mooc_portal.progress.models import LessonCompletion
from mooc_portal.publishing import services as publishing
from mooc_portal.publishing.outline import LessonData, add_lesson, add_module
from mooc_portal.signals import mail_sent
from tests.factories import make_account, make_course, make_institution, make_run

S = EnrollmentState


@pytest.fixture
def mailbox(app):
    sent = []
    with mail_sent.connected_to(lambda sender, message: sent.append(message)):
        yield sent


def started_run(course, **fields):
    start = utcnow() - timedelta(days=2)
    return make_run(course, start=start, enrollment_start_at=start - timedelta(days=5), **fields)


def later_run(course, days=30):
    return make_run(
        course, start=utcnow() + timedelta(days=days), enrollment_start_at=utcnow() - timedelta(1)
    )


def enrol(run, learner=None):
    learner = learner or make_account()
    return services.enroll(run, learner, actor=learner)


@pytest.fixture
def course_with_learners(app):
    """A started self-contained run with one learner in each state, and a later run."""
    home = make_institution()
    manager = make_account(memberships={home: "manager"})
    course = make_course("Ocean Science", institution=home, credential="certificate")
    module = add_module(manager, course, "Waves")
    lesson = add_lesson(manager, module, LessonData("Waves"))
    last = add_lesson(manager, module, LessonData("Tides"))
    run = started_run(course, capacity=2)
    other = later_run(course)
    enrolled, finished = enrol(run), enrol(run)
    waiting, left = enrol(run), enrol(run)  # the run is full: both wait
    services.withdraw(left, actor=left.account)
    for each in (lesson, last):
        progress.mark_complete(finished, each, actor=finished.account)
    session.commit()
    return {
        "course": course,
        "run": run,
        "other": other,
        "manager": manager,
        "lesson": lesson,
        "enrolled": enrolled,
        "finished": finished,
        "waiting": waiting,
        "left": left,
    }


def test_cancelling_ends_each_state_as_defined_and_tells_the_learners(
    course_with_learners, mailbox
):
    c = course_with_learners
    assert (c["enrolled"].state, c["finished"].state, c["waiting"].state) == (
        S.ENROLLED,
        S.COMPLETED,
        S.WAITLISTED,
    )
    mailbox.clear()
    ended = publishing.cancel_run(c["manager"], c["run"])
    session.commit()

    assert {e.id for e in ended} == {c["enrolled"].id, c["waiting"].id}
    assert c["enrolled"].state == S.CANCELLED
    assert c["waiting"].state == S.CANCELLED and c["waiting"].waitlist_number is None
    assert c["finished"].state == S.COMPLETED  # a completion and its certificate stay
    certificate = session.scalar(
        select(Certificate).where(Certificate.enrollment_id == c["finished"].id)
    )
    assert certificate is not None and certificate.is_valid
    assert c["left"].state == S.WITHDRAWN
    transition = c["enrolled"].transitions[-1]
    assert (transition.from_state, transition.to_state, transition.actor_id) == (
        "enrolled",
        "cancelled",
        c["manager"].id,
    )
    entry = session.scalar(
        select(AuditEntry).where(AuditEntry.entity == "run", AuditEntry.action == "cancel")
    )
    assert entry.after == {"cancelled": True, "enrolments_ended": 2}

    # One mail to each learner whose enrolment ended, none to the others.
    assert sorted(m["To"] for m in mailbox) == sorted(
        [c["enrolled"].account.email, c["waiting"].account.email]
    )
    message = mailbox[0]
    assert message["Subject"] == "Ocean Science: your run is cancelled"
    body = message.get_content()
    assert "the organisers have cancelled the run of Ocean Science" in body
    assert "You can join another run of the course instead:" in body
    assert c["other"].start_at.strftime("%B") in body and "(enrolment open)" in body
    assert f"/courses/{c['course'].slug}" in body and "http" in body


def test_the_learner_can_join_another_run_at_once_and_keeps_the_marks(course_with_learners):
    c = course_with_learners
    learner = c["enrolled"].account
    progress.mark_complete(c["enrolled"], c["lesson"], actor=learner)  # before: not completed
    publishing.cancel_run(c["manager"], c["run"])
    with pytest.raises(services.EnrollmentClosed, match="cancelled"):
        enrol(c["run"], learner)
    again = enrol(c["other"], learner)
    assert again.state == S.ENROLLED
    marks = session.scalars(
        select(LessonCompletion.id).where(LessonCompletion.enrollment_id == c["enrolled"].id)
    ).all()
    assert len(marks) == 1  # recorded with the ended enrolment


def test_mail_says_when_no_other_run_is_open(app, mailbox):
    home = make_institution()
    manager = make_account(memberships={home: "manager"})
    course = make_course("Solo Course", institution=home)
    run = later_run(course)
    learner = make_account(preferred_language="ko")
    enrol(run, learner)
    session.commit()
    mailbox.clear()
    publishing.cancel_run(manager, run)
    session.commit()
    (message,) = mailbox
    body = message.get_content()
    assert "Solo Course" in message["Subject"] and "취소" in message["Subject"]
    assert f"/courses/{course.slug}" in body


def test_only_a_cancelled_run_ends_its_enrolments_and_only_editors_cancel(course_with_learners):
    c = course_with_learners
    with pytest.raises(services.Conflict):
        services.end_enrollments_of_cancelled_run(c["run"], actor=c["manager"])
    stranger = make_account()
    with pytest.raises(services.NotFound):  # to a stranger the course does not exist
        publishing.cancel_run(stranger, c["run"])
    session.refresh(c["enrolled"])
    assert c["enrolled"].state == S.ENROLLED and not c["run"].cancelled


def csrf(client, path):
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)


def test_partner_cancels_and_the_learner_sees_where_to_go(
    client, auth, course_with_learners, mailbox
):
    c = course_with_learners
    course_page = f"/partner/courses/{c['course'].uuid}/"
    auth.login(c["manager"].email)
    page = client.get(course_page).get_data(as_text=True)
    assert "Its 2 learners (enrolled, pending or waitlisted) will be told by mail" in page
    response = client.post(
        f"/partner/courses/{c['course'].uuid}/runs/{c['run'].uuid}/cancel",
        data={"csrf_token": csrf(client, course_page)},
        follow_redirects=True,
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "2 learners were told by mail and offered the course&#39;s other runs" in text
    assert "2 told of the cancellation" in text
    assert len(mailbox) == 2
    auth.logout()

    auth.login(c["enrolled"].account.email)
    learning = client.get("/my/learning").get_data(as_text=True)
    assert "Ended enrolments" in learning and "Run cancelled" in learning
    assert "The organisers cancelled this run on" in learning
    assert f"#enrol-{c['other'].uuid}" in learning
    assert "Next lesson" not in learning
    refused = client.get(f"/learn/{c['run'].uuid}")
    assert refused.status_code == 403
    cancelled_page = refused.get_data(as_text=True)
    assert "<h1>This run was cancelled</h1>" in cancelled_page
    assert "Your account may not open this page" not in cancelled_page
    assert "Other runs of this course" in cancelled_page
    assert f"#enrol-{c['other'].uuid}" in cancelled_page
    detail = client.get(f"/courses/{c['course'].slug}").get_data(as_text=True)
    assert "that you had joined was cancelled, and your enrolment ended with it" in detail
    assert f"/runs/{c['other'].uuid}/enrol" in detail
    auth.logout()

    auth.login(c["finished"].account.email)  # a completed learner keeps the course space
    assert client.get(f"/learn/{c['run'].uuid}").status_code == 200


def test_the_cancel_confirmation_counts_learners_and_an_ended_run_has_none(
    client, auth, course_with_learners
):
    c = course_with_learners
    for enrollment in (c["enrolled"], c["waiting"]):
        services.withdraw(enrollment, actor=enrollment.account)
    c["other"].start_at = utcnow() - timedelta(days=60)
    c["other"].end_at = utcnow() - timedelta(days=1)  # ended: archived
    session.commit()
    course_page = f"/partner/courses/{c['course'].uuid}/"
    auth.login(c["manager"].email)
    page = client.get(course_page).get_data(as_text=True)
    assert "It has no learners yet" not in page
    assert "Nobody is enrolled or waiting; the records of its 4 former learners stay." in page
    assert page.count(">Cancel run<") == 1  # the ended run offers none
    response = client.post(
        f"/partner/courses/{c['course'].uuid}/runs/{c['other'].uuid}/cancel",
        data={"csrf_token": csrf(client, course_page)},
        follow_redirects=True,
    )
    assert "This run has ended: there is nothing left to cancel." in response.get_data(as_text=True)
    session.refresh(c["other"])
    assert not c["other"].cancelled


def test_a_run_card_says_why_one_cannot_enrol_only_where_one_could(
    client, auth, course_with_learners
):
    c = course_with_learners
    auth.login(c["enrolled"].account.email)
    detail = client.get(f"/courses/{c['course'].slug}").get_data(as_text=True)
    reason = "You cannot enrol in this run too: you are in another run of this course."
    assert detail.count(reason) == 1  # beside the later run, open to others
    c["other"].start_at = utcnow() - timedelta(days=60)
    c["other"].end_at = utcnow() - timedelta(days=1)
    session.commit()
    detail = client.get(f"/courses/{c['course'].slug}").get_data(as_text=True)
    assert reason not in detail  # an ended run needs no reason
    assert "This run has ended; enrolment is closed." in detail


def test_the_way_back_in_go_to_course_and_the_certificate(client, auth, course_with_learners):
    """Issue 12, "The way back in": an enrolled learner's course page says "Go to course"; the
    course space of a completed course links to the certificate."""
    c = course_with_learners
    auth.login(c["enrolled"].account.email)
    detail = client.get(f"/courses/{c['course'].slug}").get_data(as_text=True)
    assert f'href="/learn/{c["run"].uuid}">Go to course</a>' in detail
    auth.logout()
    auth.login(c["finished"].account.email)
    space = client.get(f"/learn/{c['run'].uuid}").get_data(as_text=True)
    code = session.scalar(
        select(Certificate.code).where(Certificate.enrollment_id == c["finished"].id)
    )
    assert "You have completed this course." in space
    assert f'href="/certificates/{code}">See your certificate</a>' in space
