"""Issue 12, defect 5, for learners: an enrolment or a withdrawal the services refuse (a closed
run, an enrolment already held, a withdrawal too late) shows the course page (or My learning)
again with the message beside that run's button and the refusal's status; never a bare page."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from mooc_portal.db import session, utcnow
from mooc_portal.enrollment import services
from mooc_portal.enrollment.models import Enrollment
from tests.factories import make_account, make_course, make_run


def error_at(page: str, field_id: str) -> str | None:
    found = re.search(rf'id="{re.escape(field_id)}-error" role="alert">(.*?)</p>', page, re.S)
    return found.group(1).strip() if found else None


def enrolments() -> int:
    return session.scalar(select(func.count()).select_from(Enrollment))


def test_enrolling_in_a_closed_run_shows_the_course_page_with_the_message(client, auth):
    course = make_course("Closed doors")
    run = make_run(course, enrollment_end_at=utcnow() - timedelta(hours=1))
    learner = make_account()
    session.commit()
    auth.login(learner.email)
    response = client.post(f"/runs/{run.uuid}/enrol", data={"csrf_token": auth.csrf_token("/")})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert (
        '<h1 id="course-title"><span>Closed doors</span></h1>' in page
    )  # the course page, not an error
    assert error_at(page, f"enrol-{run.uuid}") == "Enrolment in this run is not open."
    assert enrolments() == 0


def test_enrolling_twice_shows_the_course_page_with_the_message(client, auth):
    course = make_course("Twice told")
    run = make_run(course, enrollment_start_at=utcnow() - timedelta(days=1))
    learner = make_account()
    services.enroll(run, learner, actor=learner)
    session.commit()
    auth.login(learner.email)
    response = client.post(f"/runs/{run.uuid}/enrol", data={"csrf_token": auth.csrf_token("/")})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert '<h1 id="course-title"><span>Twice told</span></h1>' in page
    assert error_at(page, f"enrol-{run.uuid}") == "You are already enrolled in this course."
    assert "You are enrolled." in page  # what is stored is shown
    assert enrolments() == 1


def test_withdrawing_too_late_shows_my_learning_with_the_message(client, auth):
    run = make_run(make_course("Gone already"), enrollment_start_at=utcnow() - timedelta(days=1))
    learner = make_account()
    enrollment = services.enroll(run, learner, actor=learner)
    confirm_url = f"/my/enrolments/{enrollment.uuid}/withdraw"
    session.commit()
    auth.login(learner.email)
    csrf = auth.csrf_token(confirm_url)  # the confirmation page, then withdrawn elsewhere
    services.withdraw(enrollment, actor=learner)
    session.commit()
    response = client.post(confirm_url, data={"csrf_token": csrf})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "<h1>My learning</h1>" in page
    message = error_at(page, f"withdraw-{enrollment.uuid}")
    assert message == "This enrolment cannot be withdrawn any more."
    assert "You withdrew from this run." in page
