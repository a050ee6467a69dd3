"""Issue 12, defect 5: an institution's activation or a job's retry that is refused (an
expired form, a job no longer waiting) shows the list again with the message; an expired form
on the review page shows the review page again, the comment kept."""

from __future__ import annotations

from mooc_portal.db import session
from mooc_portal.jobs.models import JobState, OutboxJob
from tests.factories import make_account, make_course, make_institution


def test_an_expired_activation_form_comes_back_to_the_institutions(client, auth, db_session):
    make_account("admin@lists.example", is_admin=True)
    institution = make_institution("Kept Active", slug="kept-active")
    auth.login("admin@lists.example")
    response = client.post(
        "/admin/institutions/kept-active/active", data={"csrf_token": "stale", "active": "0"}
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "<h1>Institutions</h1>" in page
    assert '<p class="error-message">The form has expired; try again.</p>' in page
    session.expire_all()
    assert institution.active


def test_a_refused_retry_comes_back_to_the_jobs(client, auth, db_session):
    make_account("admin@lists.example", is_admin=True)
    job = OutboxJob(kind="mail", dedupe_key="done-1", payload={}, state=JobState.DONE)
    session.add(job)
    session.flush()
    auth.login("admin@lists.example")
    token = auth.csrf_token("/admin/jobs")
    response = client.post(f"/admin/jobs/{job.id}/retry", data={"csrf_token": token})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "<h1>Background jobs</h1>" in page
    assert '<p class="error-message">Only a failed or waiting job can be retried.</p>' in page
    response = client.post(f"/admin/jobs/{job.id}/retry", data={"csrf_token": "stale"})
    assert response.status_code == 400
    assert "The form has expired; try again." in response.get_data(as_text=True)
    session.expire_all()
    assert job.state == JobState.DONE


def test_an_expired_review_form_comes_back_to_the_review_page(client, auth, db_session):
    make_account("admin@lists.example", is_admin=True)
    course = make_course("In Review", status="in_review")
    auth.login("admin@lists.example")
    response = client.post(
        f"/admin/courses/{course.uuid}/transition",
        data={"csrf_token": "stale", "action": "request_changes", "comment": "Add a quiz."},
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Quality criteria" in page
    assert '<p class="error-message">The form has expired; try again.</p>' in page
    assert "Add a quiz.</textarea>" in page
    session.expire_all()
    assert course.status == "in_review"
