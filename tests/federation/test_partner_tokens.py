import re
from datetime import timedelta

import pytest
from flask import g
from sqlalchemy import select

from mooc_portal.catalog.models import Course, CourseStatus
from mooc_portal.db import utcnow
from mooc_portal.errors import NotPermitted
from mooc_portal.federation.models import ApiToken
from mooc_portal.federation.partner import create_api_token, revoke_api_token
from tests.factories import make_account, make_course, make_institution

COURSE = {
    "code": "API-101",
    "slug": "api-made-course",
    "title": {"en": "Made through the API", "ko": "API로 만든 강좌"},
    "summary": {"en": "From a partner's LMS."},
    "original_language": "en",
    "teaching_languages": ["en"],
    "subjects": ["0613"],
    "level": "introductory",
    "pace": "self_paced",
}


@pytest.fixture
def partner(db_session):
    institution = make_institution("Token University")
    manager = make_account(memberships={institution: "manager"})
    token, plain = create_api_token(manager, institution, "LMS sync")
    # Committed (a savepoint, undone after the test): a refused request rolls back its session,
    # which in tests is the test's own.
    db_session.commit()
    return {"institution": institution, "manager": manager, "token": token, "plain": plain}


def bearer(plain):
    return {"Authorization": f"Bearer {plain}"}


def test_tokens_are_stored_hashed_and_only_managers_create_them(db_session, partner):
    token, plain = partner["token"], partner["plain"]
    assert plain not in (token.token_hash, token.prefix) and plain.startswith(token.prefix)
    editor = make_account(memberships={partner["institution"]: "editor"})
    with pytest.raises(NotPermitted):
        create_api_token(editor, partner["institution"], "Not mine to make")
    with pytest.raises(NotPermitted):
        create_api_token(make_account(), partner["institution"], "Nor mine")


def test_a_token_creates_a_draft_submits_it_and_adds_runs(client, db_session, partner):
    response = client.post("/api/v1/courses", json=COURSE, headers=bearer(partner["plain"]))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["status"] == "draft"
    course = db_session.scalar(select(Course).where(Course.code == "API-101"))
    assert course.institution_id == partner["institution"].id
    assert {t.language for t in course.translations} == {"en", "ko"}
    # Not public: the read API does not show it.
    assert client.get(f"/api/v1/courses/{body['id']}").status_code == 404

    start = (utcnow() + timedelta(days=30)).isoformat()
    end = (utcnow() + timedelta(days=72)).isoformat()
    run = client.post(
        f"/api/v1/courses/{body['id']}/runs",
        json={"start_at": start, "end_at": end, "capacity": 100},
        headers=bearer(partner["plain"]),
    )
    assert run.status_code == 201, run.get_json()
    changed = client.patch(
        f"/api/v1/runs/{run.get_json()['id']}",
        json={"capacity": 100, "requires_approval": True},
        headers=bearer(partner["plain"]),
    )
    assert changed.status_code == 200, changed.get_json()
    # A token acts as an editor: only the institution's managers change a capacity (issue 8).
    refused = client.patch(
        f"/api/v1/runs/{run.get_json()['id']}",
        json={"capacity": 150},
        headers=bearer(partner["plain"]),
    )
    assert refused.status_code == 403
    assert refused.get_json()["field"] == "capacity"
    submitted = client.patch(
        f"/api/v1/courses/{body['id']}", json={"submit": True}, headers=bearer(partner["plain"])
    )
    assert submitted.get_json()["status"] == "in_review"
    db_session.refresh(course)
    assert course.status == CourseStatus.IN_REVIEW
    assert course.runs[0].capacity == 100 and course.runs[0].requires_approval


def test_a_token_never_reaches_another_institutions_courses(client, db_session, partner):
    other = make_course(institution=make_institution("Elsewhere"), runs=1)
    db_session.commit()
    headers = bearer(partner["plain"])
    assert (
        client.patch(
            f"/api/v1/courses/{other.uuid}", json={"code": "X"}, headers=headers
        ).status_code
        == 404
    )
    assert (
        client.post(f"/api/v1/courses/{other.uuid}/runs", json={}, headers=headers).status_code
        == 404
    )
    assert (
        client.patch(
            f"/api/v1/runs/{other.runs[0].uuid}", json={"capacity": 1}, headers=headers
        ).status_code
        == 404
    )
    db_session.refresh(other)
    assert other.code != "X"


def test_missing_revoked_or_wrong_tokens_are_401(client, db_session, partner):
    assert client.post("/api/v1/courses", json=COURSE).status_code == 401
    bad = client.post("/api/v1/courses", json=COURSE, headers=bearer("mooc_wrong"))
    assert bad.status_code == 401 and "Bearer" in bad.headers["WWW-Authenticate"]
    revoke_api_token(partner["manager"], partner["institution"], partner["token"].id)
    db_session.commit()
    assert (
        client.post("/api/v1/courses", json=COURSE, headers=bearer(partner["plain"])).status_code
        == 401
    )
    assert db_session.scalar(select(Course).where(Course.code == "API-101")) is None


@pytest.mark.parametrize(
    "change, field, status",
    [
        # what the OpenAPI document's schema refuses: 400
        ({"code": ""}, "code", 400),
        ({"title": {}}, "title", 400),
        ({"original_language": "xx-not"}, "original_language", 400),
        ({"teaching_languages": ["en", "not a tag"]}, "teaching_languages", 400),
        ({"hacker": True}, "hacker", 400),
        # The web forms' rules (publishing.services) apply to the API as they are: what the
        # schema accepts and a rule refuses is a 422.
        ({"subjects": ["9999"]}, "subjects", 422),
        ({"credential": "ects"}, "ects_credits", 422),
        ({"credential": "certificate", "ects_credits": 5}, "ects_credits", 422),
        ({"title": {"ko": "한국어만"}}, "title", 422),
    ],
)
def test_bad_course_data_is_refused_at_the_field_and_stores_nothing(
    client, db_session, partner, change, field, status
):
    response = client.post(
        "/api/v1/courses", json={**COURSE, **change}, headers=bearer(partner["plain"])
    )
    assert response.status_code == status, response.get_json()
    assert response.get_json()["field"] == field
    assert db_session.scalar(select(Course).where(Course.slug == "api-made-course")) is None


def test_duplicate_codes_and_bad_run_dates_are_refused(client, db_session, partner):
    headers = bearer(partner["plain"])
    first = client.post("/api/v1/courses", json=COURSE, headers=headers).get_json()
    again = client.post("/api/v1/courses", json={**COURSE, "slug": "other-slug"}, headers=headers)
    assert again.status_code == 409 and again.get_json()["field"] == "code"
    start = utcnow() + timedelta(days=30)
    backwards = client.post(
        f"/api/v1/courses/{first['id']}/runs",
        json={"start_at": start.isoformat(), "end_at": (start - timedelta(days=1)).isoformat()},
        headers=headers,
    )
    assert backwards.status_code == 422 and backwards.get_json()["field"] == "end_at"


def test_managers_create_and_revoke_tokens_on_their_page(client, auth, db_session, partner):
    auth.login(partner["manager"].email)
    g.pop("mooc_account", None)  # see test_peers_admin: the test's app context outlives requests
    url = f"/partner/{partner['institution'].slug}/api-tokens"
    page = client.get(url)
    assert page.status_code == 200 and "LMS sync" in page.get_data(as_text=True)
    token = re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"', page.get_data(as_text=True)
    ).group(1)
    created = client.post(url, data={"name": "Second system", "csrf_token": token})
    assert created.status_code == 200 and created.headers["Cache-Control"] == "no-store"
    plain = re.search(r'class="token-value">([^<]+)<', created.get_data(as_text=True)).group(1)
    assert client.post("/api/v1/courses", json=COURSE, headers=bearer(plain)).status_code == 201
    stored = db_session.scalar(select(ApiToken).where(ApiToken.name == "Second system"))
    assert client.get(url).get_data(as_text=True).count(plain) == 0
    client.post(f"{url}/{stored.id}/revoke", data={"csrf_token": token})
    db_session.refresh(stored)
    assert stored.revoked_at is not None


def test_other_staff_cannot_open_the_token_page(client, auth, db_session, partner):
    outsider = make_account(memberships={make_institution(): "manager"})
    auth.login(outsider.email)
    g.pop("mooc_account", None)
    assert client.get(f"/partner/{partner['institution'].slug}/api-tokens").status_code == 403


def test_api_writes_go_through_the_publishing_workflow_audit_and_index(client, db_session, partner):
    from mooc_portal.audit.models import AuditEntry
    from mooc_portal.catalog.models import CourseSearchDocument
    from mooc_portal.publishing.models import ReviewEvent

    headers = bearer(partner["plain"])
    made = client.post("/api/v1/courses", json={**COURSE, "submit": True}, headers=headers)
    assert made.status_code == 201 and made.get_json()["status"] == "in_review"
    course = db_session.scalar(select(Course).where(Course.code == "API-101"))
    entries = db_session.scalars(
        select(AuditEntry).where(AuditEntry.institution_id == partner["institution"].id)
    ).all()
    assert {(e.entity, e.action) for e in entries} >= {
        ("course", "create"),
        ("course_translation", "create"),
        ("course", "submit"),
    }
    assert {e.actor_email for e in entries} == {partner["manager"].email}
    event = db_session.scalar(select(ReviewEvent).where(ReviewEvent.course_id == course.id))
    assert event.action == "submit" and event.actor_id == partner["manager"].id
    document = db_session.get(CourseSearchDocument, course.id)
    assert "API로 만든 강좌" in document.document

    changed = client.patch(
        f"/api/v1/courses/{course.uuid}", json={"title": {"en": "Renamed"}}, headers=headers
    )
    assert changed.status_code == 200
    db_session.expire_all()
    assert "Renamed" in db_session.get(CourseSearchDocument, course.id).document
    assert course.code == "API-101" and course.subjects[0].code == "0613"  # untouched fields


def test_runs_through_the_api_follow_the_publishing_rules(client, db_session, partner):
    headers = bearer(partner["plain"])
    course = client.post("/api/v1/courses", json=COURSE, headers=headers).get_json()
    start = utcnow() + timedelta(days=30)
    run = client.post(
        f"/api/v1/courses/{course['id']}/runs",
        json={"start_at": start.isoformat(), "end_at": (start + timedelta(days=40)).isoformat()},
        headers=headers,
    ).get_json()
    late = client.patch(
        f"/api/v1/runs/{run['id']}",
        json={"enrollment_end_at": (start + timedelta(days=50)).isoformat()},
        headers=headers,
    )
    assert late.status_code == 422 and late.get_json()["field"] == "enrollment_end_at"
    cancelled = client.patch(f"/api/v1/runs/{run['id']}", json={"cancelled": True}, headers=headers)
    assert cancelled.status_code == 200
    restored = client.patch(f"/api/v1/runs/{run['id']}", json={"cancelled": False}, headers=headers)
    assert restored.status_code == 409 and restored.get_json()["field"] == "cancelled"
