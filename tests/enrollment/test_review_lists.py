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


def _runs_row(page: str, title: str) -> list[str]:
    """The Runs table's counts (enrolled ... completed) of the run of the course ``title``."""
    table = page.split('id="runs-heading"')[1].split('id="enrolments-heading"')[0]
    row = next(r for r in table.split("<tr>") if title in r)
    return re.findall(r"<td>(\d+)</td>", row)


def _listed_states(page: str) -> list[str]:
    listed = page.split('id="enrolments-heading"')[1]
    return re.findall(r'class="badge enrolment-badge enrolment-(\w+)"', listed)


def test_completions_agree_in_the_runs_table_the_list_and_the_state_filter(
    client, auth, db_session
):
    from mooc_portal.privacy.sharing import enrol_with_consent

    home = make_institution()
    run = open_run(make_course("Ocean Science", institution=home, slug="ocean"))
    shared = enrol_with_consent(run, make_account(), country=False, progress=True, completion=True)
    withheld = enrol_with_consent(
        run, make_account(), country=False, progress=True, completion=False
    )
    no_choice = make_account()  # enrolled before the consent existed: nothing shared
    unshared = services.enroll(run, no_choice, actor=no_choice)
    for enrollment in (shared, withheld, unshared):
        services.complete(enrollment)
    manager = make_account(memberships={home: "manager"})
    auth.login(manager.email)

    page = client.get("/partner/enrolments").get_data(as_text=True)
    counts = _runs_row(page, "Ocean Science")
    # Enrolled, pending, waitlist, rejected, withdrawn, completed: as the list shows them.
    assert counts[0] == "2" and counts[5] == "1"
    assert sorted(_listed_states(page)) == ["completed", "enrolled", "enrolled"]
    completed = client.get("/partner/enrolments?state=completed").get_data(as_text=True)
    assert _listed_states(completed) == ["completed"]
    enrolled = client.get("/partner/enrolments?state=enrolled").get_data(as_text=True)
    assert _listed_states(enrolled) == ["enrolled", "enrolled"]
    progress = client.get(f"/partner/runs/{run.uuid}/progress").get_data(as_text=True)
    assert "<dt>Completion rate</dt><dd>33%</dd>" in progress

    auth.logout()
    admin = make_account(is_admin=True)
    auth.login(admin.email)
    everything = client.get("/admin/enrolments").get_data(as_text=True)
    assert _runs_row(everything, "Ocean Science")[5] == "3"
    assert _listed_states(everything) == ["completed"] * 3
    completed = client.get("/admin/enrolments?state=completed").get_data(as_text=True)
    assert _listed_states(completed) == ["completed"] * 3
    progress = client.get(f"/admin/runs/{run.uuid}/progress").get_data(as_text=True)
    assert "<dt>Completion rate</dt><dd>100%</dd>" in progress
