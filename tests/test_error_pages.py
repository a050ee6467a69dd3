"""Error pages are no dead ends (issue 12, defect 5): each says what happened and offers the way
on: back to the form that was sent, a search, the visitor's own pages."""

import re
from datetime import timedelta

from mooc_portal.db import session, utcnow
from mooc_portal.enrollment import services as enrolment
from tests.factories import make_account, make_course, make_institution, make_run

SITE = "http://localhost"


def token(client, path):
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)


def test_a_missing_page_says_so_and_offers_a_search(client):
    response = client.get("/courses/no-such-course")
    page = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "<h1>Page not found</h1>" in page
    assert "There is nothing at this address" in page
    assert 'role="search"' in page and 'action="/courses"' in page and 'name="q"' in page
    assert 'href="/">Go to the home page' in page and 'href="/courses">Browse courses' in page
    assert "Back to the" not in page  # came from nowhere: no way back to offer


def test_a_refused_page_names_the_reason_and_who_is_logged_in(client, auth):
    run = make_run(make_course(), start=utcnow() - timedelta(days=1))
    learner = make_account()
    session.commit()
    auth.login(learner.email)
    response = client.get(f"/learn/{run.uuid}", headers={"Referer": f"{SITE}/my/learning"})
    page = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "Only learners enrolled in this run can open its course space." in page
    assert f"You are logged in as {learner.email}." in page
    assert 'href="/my/learning" rel="prev">Back to the previous page' in page


def test_a_conflict_on_a_form_leads_back_to_the_form(client, auth):
    home = make_institution()
    manager = make_account(memberships={home: "manager"})
    run = make_run(make_course(institution=home), enrollment_start_at=utcnow() - timedelta(1))
    run.capacity = 1
    first, second = make_account(), make_account()
    enrolment.enroll(run, first, actor=first)
    waiting = enrolment.enroll(run, second, actor=second)
    session.commit()
    auth.login(manager.email)
    form_page = f"/partner/enrolments?run={run.uuid}"
    response = client.post(
        f"/enrolments/{waiting.uuid}/promote",
        data={"csrf_token": token(client, form_page), "next": form_page},
        headers={"Referer": SITE + form_page},
    )
    page = response.get_data(as_text=True)
    # Issue 12 (defect 5): no dead-end page: the list comes back with the message on it.
    assert response.status_code == 409
    assert "<h1>This could not be done</h1>" not in page
    assert "The run is full. Raise its capacity first." in page
    assert 'action="/enrolments/decide' in page  # the list's own form, to try again


def test_an_expired_form_says_what_to_do(client, auth):
    learner = make_account()
    session.commit()
    auth.login(learner.email)
    for action in ("/language", f"/enrolments/{learner.uuid}/promote"):
        response = client.post(
            action,
            data={"csrf_token": "stale", "language": "ko"},
            headers={"Referer": SITE + "/my/learning"},
        )
        page = response.get_data(as_text=True)
        assert response.status_code == 400, action
        assert "The form had expired" in page and "reload the page and send it again" in page
        assert 'href="/my/learning" rel="prev">Back to the form' in page


def test_a_foreign_referrer_is_not_offered_as_the_way_back(client):
    page = client.get(
        "/courses/no-such-course", headers={"Referer": "https://elsewhere.example/page"}
    ).get_data(as_text=True)
    assert "elsewhere.example" not in page and "Back to the" not in page
