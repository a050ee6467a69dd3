"""The partner's run page (endpoint, mapping, snippets, waiting statements), My learning's
reported progress and the learner's platform accounts, through the client."""

import re
from datetime import timedelta

import pytest

from mooc_portal.db import utcnow
from mooc_portal.enrollment import services as enrolment
from mooc_portal.xapi.progress import default_activity_id
from tests.factories import make_account, make_course, make_run
from tests.xapi.conftest import Partner, statement

PROGRESSED = "http://adlnet.gov/expapi/verbs/progressed"
PROGRESS = "https://w3id.org/xapi/cmi5/result/extensions/progress"


@pytest.fixture
def world(client, db_session):
    partner = Partner(client, "Page Platform University")
    course = make_course(institution=partner.institution, credential="certificate")
    start = utcnow() - timedelta(days=1)
    run = make_run(course, start=start, enrollment_start_at=start - timedelta(days=3))
    learner = make_account("ji-ho@example.org")
    enrolment.enroll(run, learner, actor=learner)
    db_session.commit()
    return {"partner": partner, "run": run, "learner": learner, "course": course}


def csrf(page):
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page.text).group(1)


def test_the_run_page_shows_endpoint_default_iri_snippets_and_maps(client, auth, world):
    partner, run = world["partner"], world["run"]
    auth.login(partner.manager.email)
    url = f"/partner/{partner.institution.slug}/xapi/runs/{run.uuid}"
    page = client.get(url)
    assert page.status_code == 200
    assert default_activity_id(run) in page.text
    assert "logstore_xapi" in page.text and "XAPI_AGENT_IFI_TYPE" in page.text
    assert "http://localhost/xapi/" in page.text

    bad = client.post(
        url, data={"activity_id": "not an iri", "lesson_id": "", "csrf_token": csrf(page)}
    )
    assert bad.status_code == 400 and "IRI" in bad.text
    done = client.post(
        url,
        data={
            "activity_id": "https://moodle.example.org/course/view.php?id=42",
            "lesson_id": "",
            "csrf_token": csrf(page),
        },
    )
    assert done.status_code == 302
    assert "https://moodle.example.org/course/view.php?id=42" in client.get(url).text

    partner.post(
        statement(
            "http://adlnet.gov/expapi/verbs/completed",
            mbox="mailto:stranger@example.org",
            activity="https://moodle.example.org/course/view.php?id=42",
        )
    )
    assert "mailto:stranger@example.org" in client.get(url).text


def test_the_statements_waiting_for_their_learner_page(client, auth, world):
    partner, run = world["partner"], world["run"]
    for n in range(5):
        partner.post(
            statement(
                "http://adlnet.gov/expapi/verbs/completed",
                mbox=f"mailto:stranger{n}@example.org",
                activity=default_activity_id(run),
            )
        )
    auth.login(partner.manager.email)
    url = f"/partner/{partner.institution.slug}/xapi/runs/{run.uuid}"
    first = client.get(f"{url}?size=2").text
    # Newest first: the last sent opens the list.
    assert re.findall(r"mailto:(stranger\d)@", first) == ["stranger4", "stranger3"]
    assert "1\u20132 of 5" in first and "size=2&amp;page=2" in first
    last = client.get(f"{url}?size=2&page=3").text
    assert re.findall(r"mailto:(stranger\d)@", last) == ["stranger0"]
    bad = client.get(f"{url}?page=2.5")
    assert bad.status_code == 200 and "is not valid; showing the first page." in bad.text


def test_my_learning_shows_the_reported_progress_and_its_source(client, auth, world):
    world["partner"].post(
        statement(
            PROGRESSED,
            mbox="mailto:ji-ho@example.org",
            activity=default_activity_id(world["run"]),
            result={"extensions": {PROGRESS: 60}},
        )
    )
    auth.login("ji-ho@example.org")
    page = client.get("/my/learning")
    assert "60% complete, reported by LMS" in page.text


def test_a_learner_links_a_platform_account(client, auth, world):
    auth.login("ji-ho@example.org")
    page = client.get("/my/platform-accounts")
    assert page.status_code == 200
    response = client.post(
        "/my/platform-accounts",
        data={"home_page": "https://lms.example.org", "name": "ji-ho-7", "csrf_token": csrf(page)},
    )
    assert response.status_code == 302
    assert "ji-ho-7" in client.get("/my/platform-accounts").text
    again = client.post(
        "/my/platform-accounts",
        data={"home_page": "https://lms.example.org", "name": "ji-ho-7", "csrf_token": csrf(page)},
    )
    assert again.status_code == 400 and "already linked" in again.text


def test_only_who_may_use_the_run_page_sees_the_xapi_link(client, auth, world, db_session):
    partner, run, course = world["partner"], world["run"], world["course"]
    editor = make_account(memberships={partner.institution: "editor"})
    db_session.commit()
    run_page = f"/partner/{partner.institution.slug}/xapi/runs/{run.uuid}"
    overview = f"/partner/courses/{course.uuid}/"
    auth.login(editor.email)
    page = client.get(overview)
    assert page.status_code == 200  # the editor works on the course...
    assert run_page not in page.text  # ...without a link to a page that refuses them
    assert client.get(run_page).status_code == 403
    auth.logout()
    auth.login(partner.manager.email)
    page = client.get(overview)
    assert page.status_code == 200 and run_page in page.text
    assert client.get(run_page).status_code == 200
