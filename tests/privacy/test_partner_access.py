"""Partner staff see only what each learner agreed to share, on every page, export and API."""

from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import select

from mooc_portal.audit.models import AuditEntry
from mooc_portal.db import session
from mooc_portal.federation.partner import create_api_token
from mooc_portal.privacy import sharing
from mooc_portal.progress import services as progress
from tests.factories import make_account, make_institution
from tests.progress.conftest import build_space


@pytest.fixture
def partner_run(app):
    institution = make_institution(country="DE")
    space = build_space(institution=institution)
    manager = make_account(memberships={institution: "manager"})
    withholder = make_account(
        "withholder@example.org", display_name="Wanda Withholder", country="FI"
    )
    sharer = make_account("sharer@example.org", display_name="Sam Sharer", country="TH")
    rows = {}
    for learner, shares in ((withholder, False), (sharer, True)):
        enrollment = sharing.enrol_with_consent(
            space.run, learner, country=shares, progress=shares, completion=shares
        )
        for lesson in space.lessons:
            if lesson.counts_toward_completion:
                progress.mark_complete(enrollment, lesson, actor=learner)
        rows[learner.email] = enrollment
    _token, plain = create_api_token(manager, institution, "LMS")
    session.commit()
    assert {e.state for e in rows.values()} == {"completed"}
    return {"space": space, "manager": manager, "rows": rows, "token": plain}


def row_of(page: str, email: str) -> str:
    match = re.search(
        r"<tr>(?:(?!</tr>).)*" + re.escape(email) + r"(?:(?!</tr>).)*</tr>", page, re.S
    )
    assert match, f"no row for {email}"
    return match.group(0)


def csv_rows(body: str) -> dict[str, dict[str, str]]:
    body = body.removeprefix("\ufeff")  # the BOM that spreadsheet software needs
    return {row["email"]: row for row in csv.DictReader(io.StringIO(body))}


def test_review_page_and_filters_show_only_shared_fields(client, auth, partner_run):
    auth.login(partner_run["manager"].email)
    page = client.get("/partner/enrolments").get_data(as_text=True)
    withheld, shared = row_of(page, "withholder@example.org"), row_of(page, "sharer@example.org")
    # The country filter's menu names every ASEM country; the list itself names none it
    # was not given.
    rows = re.findall(r"<tr>(?:(?!</tr>).)*</tr>", page, re.S)
    assert not any("Finland" in row for row in rows) and "Thailand" in shared
    assert "Enrolled" in withheld and "Completed" not in withheld
    assert "Completed" in shared

    def listed(query: str) -> set[str]:
        text = client.get(f"/partner/enrolments?{query}").get_data(as_text=True)
        return {e for e in ("withholder@example.org", "sharer@example.org") if e in text}

    assert listed("country=FI") == set()  # a filter cannot reveal a withheld country
    assert listed("country=TH") == {"sharer@example.org"}
    assert listed("state=completed") == {"sharer@example.org"}
    assert listed("state=enrolled") == {"withholder@example.org"}


def test_csv_exports_leave_withheld_fields_empty_and_are_audited(client, auth, partner_run):
    manager = partner_run["manager"]
    auth.login(manager.email)
    enrolments = csv_rows(client.get("/partner/enrolments.csv").get_data(as_text=True))
    assert enrolments["withholder@example.org"]["country"] == ""
    assert enrolments["withholder@example.org"]["state"] == "enrolled"
    assert enrolments["sharer@example.org"]["country"] == "TH"
    assert enrolments["sharer@example.org"]["state"] == "completed"

    run = partner_run["space"].run
    figures = csv_rows(client.get(f"/partner/runs/{run.uuid}/progress.csv").get_data(True))
    withheld = figures["withholder@example.org"]
    assert (withheld["state"], withheld["lessons_done"], withheld["progress_percent"]) == (
        "enrolled",
        "",
        "",
    )
    assert withheld["last_activity"] == "" and withheld["country"] == ""
    assert figures["sharer@example.org"]["progress_percent"] == "100"

    entries = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "export").order_by(AuditEntry.id)
    ).all()
    assert [(e.entity, e.actor_email, e.after["learners"]) for e in entries] == [
        ("enrolments", manager.email, 2),
        ("progress", manager.email, 2),
    ]


def test_progress_page_hides_withheld_progress(client, auth, partner_run):
    auth.login(partner_run["manager"].email)
    run = partner_run["space"].run
    page = client.get(f"/partner/runs/{run.uuid}/progress").get_data(as_text=True)
    withheld = row_of(page, "withholder@example.org")
    assert "Not shared by the learner" in withheld and "100%" not in withheld
    assert "Completed" not in withheld
    assert "Not shared" not in row_of(page, "sharer@example.org")


def test_administrators_see_every_field(client, auth, partner_run):
    auth.login(make_account(is_admin=True).email)
    rows = csv_rows(client.get("/admin/enrolments.csv").get_data(as_text=True))
    assert rows["withholder@example.org"]["country"] == "FI"
    assert rows["withholder@example.org"]["state"] == "completed"


def test_the_api_gives_partners_no_learner_data(client, partner_run):
    run, course = partner_run["space"].run, partner_run["space"].course
    headers = {"Authorization": f"Bearer {partner_run['token']}"}
    for path in (
        f"/api/v1/runs/{run.uuid}",
        f"/api/v1/courses/{course.uuid}",
        "/api/v1/courses",
        "/api/v1/export",
        "/api/v1/changes",
        f"/ooapi/v5/courses/{course.uuid}",
    ):
        body = client.get(path, headers=headers).get_data(as_text=True)
        for secret in ("withholder@example.org", "Wanda Withholder", "sharer@example.org"):
            assert secret not in body, f"{path} shows {secret}"


def test_other_institutions_see_nothing(client, auth, partner_run):
    outsider = make_account(memberships={make_institution(): "manager"})
    session.commit()
    auth.login(outsider.email)
    page = client.get("/partner/enrolments").get_data(as_text=True)
    assert "withholder@example.org" not in page and "sharer@example.org" not in page
    assert "withholder@example.org" not in client.get("/partner/enrolments.csv").get_data(True)
    run = partner_run["space"].run
    assert client.get(f"/partner/runs/{run.uuid}/progress.csv").status_code == 403


def test_a_learner_can_change_what_an_institution_receives(client, auth, partner_run):
    auth.login("sharer@example.org")
    page = client.get("/account/sharing").get_data(as_text=True)
    institution_id = partner_run["space"].course.institution_id
    token = re.search(
        rf'name="i{institution_id}-csrf_token" (?:type="hidden" )?value="([^"]+)"', page
    )
    response = client.post(
        "/account/sharing",
        data={"institution": institution_id, f"i{institution_id}-csrf_token": token.group(1)},
    )
    assert response.status_code == 302
    auth.logout()
    auth.login(partner_run["manager"].email)
    rows = csv_rows(client.get("/partner/enrolments.csv").get_data(as_text=True))
    assert rows["sharer@example.org"]["country"] == ""
