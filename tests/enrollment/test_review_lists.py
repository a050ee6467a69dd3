"""The review pages' filters name courses and runs, and the enrolments come in pages."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from mooc_portal.db import utcnow
from mooc_portal.enrollment import services
from tests.factories import make_account, make_course, make_institution, make_run


def open_run(course, **fields):
    return make_run(course, enrollment_start_at=utcnow() - timedelta(days=1), **fields)


def options(page: str, name: str) -> list[tuple[str, str]]:
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', page, flags=re.S)
    assert select, name
    return re.findall(r'<option[^>]*value="([^"]*)"[^>]*>([^<]*)</option>', select.group(1))


def test_filters_offer_course_and_run_names_and_still_take_slugs(client, auth, db_session):
    home = make_institution()
    ocean = make_course("Ocean Science", institution=home, slug="ocean", code="OC1")
    forests = make_course("Forest Ecology", institution=home, slug="forests", code="FE1")
    spring = open_run(ocean, start=datetime(2031, 3, 2, 9, tzinfo=UTC))
    open_run(forests)
    hidden = make_course("Someone Else's", slug="elsewhere")
    for run in (spring, forests.runs[0], open_run(hidden)):
        learner = make_account()
        services.enroll(run, learner, actor=learner)
    manager = make_account(memberships={home: "manager"})
    auth.login(manager.email)

    page = client.get("/partner/enrolments").get_data(as_text=True)
    assert options(page, "course") == [
        ("", "Any course"),
        ("forests", "Forest Ecology (FE1)"),
        ("ocean", "Ocean Science (OC1)"),
    ]
    runs = options(page, "run")
    assert runs[0] == ("", "Any run")
    assert (str(spring.uuid), "Ocean Science, starting Mar 2, 2031") in runs
    assert "Someone Else" not in page

    chosen = client.get("/partner/enrolments?course=ocean").get_data(as_text=True)
    assert '<option selected value="ocean">' in chosen or 'value="ocean" selected' in chosen
    assert "Ocean Science" in chosen.split('id="enrolments-heading"')[1]
    assert "Forest Ecology" not in chosen.split('id="enrolments-heading"')[1]
    by_run = client.get(f"/partner/enrolments?run={spring.uuid}").get_data(as_text=True)
    assert "Forest Ecology" not in by_run.split('id="enrolments-heading"')[1]
    # Another institution's course in the address: nothing of it is shown, and no error.
    other = client.get("/partner/enrolments?course=elsewhere")
    assert other.status_code == 200
    assert "No enrolment matches the filters." in other.get_data(as_text=True)


def test_review_page_pages_the_enrolments_keeping_the_filters(client, auth, db_session):
    home = make_institution()
    run = open_run(make_course("Ocean Science", institution=home, slug="ocean"))
    for _ in range(5):
        learner = make_account()
        services.enroll(run, learner, actor=learner)
    admin = make_account(is_admin=True)
    auth.login(admin.email)
    first = client.get("/admin/enrolments?course=ocean&size=2").get_data(as_text=True)
    assert first.count('name="enrollments"') == 0  # enrolled: nothing to decide
    assert "course=ocean&amp;size=2&amp;page=3" in first
    last = client.get("/admin/enrolments?course=ocean&size=2&page=3")
    assert last.status_code == 200
    assert len(re.findall(r"<time datetime=", last.get_data(as_text=True))) == 1
    bad = client.get("/admin/enrolments?page=abc")
    assert bad.status_code == 200
    assert "is not valid; showing the first page." in bad.get_data(as_text=True)
