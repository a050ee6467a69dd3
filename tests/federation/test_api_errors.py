"""Bad bodies sent to the partner write API: the API's JSON error (status, message, field),
checked against the OpenAPI document, and nothing stored changed."""

import json

import pytest
from sqlalchemy import func, select
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from mooc_portal.catalog.models import Course, CourseRun
from tests.federation.openapi_check import check, openapi
from tests.federation.test_partner_tokens import COURSE, bearer, partner  # noqa: F401

NOT_AN_OBJECT = "The request body must be a JSON object."


@pytest.fixture
def api_doc(client):
    return openapi(client.get("/api/v1/openapi.json").get_json())


@pytest.fixture
def written(client, db_session, partner):  # noqa: F811
    """A course with a run, written through the API."""
    headers = bearer(partner["plain"])
    course = client.post("/api/v1/courses", json=COURSE, headers=headers).get_json()
    run = client.post(f"/api/v1/courses/{course['id']}/runs", json={}, headers=headers).get_json()
    db_session.commit()
    return {"course": course["id"], "run": run["id"], "headers": headers}


def check_write(api_doc, response, body):
    """``check`` for a write: the test client's request has had its body read already."""
    sent = response.request
    response.request = Request(
        EnvironBuilder(
            method=sent.method,
            path=sent.path,
            headers=dict(sent.headers),
            data=body if isinstance(body, bytes) else json.dumps(body),
        ).get_environ()
    )
    check(api_doc, response)


def stored(db_session):
    """What the write API may change, to compare before and after a refused request."""
    db_session.expire_all()
    courses = db_session.scalars(select(Course).order_by(Course.id)).all()
    return (
        [
            (c.code, c.slug, c.modified_at, {t.language: t.title for t in c.translations})
            for c in courses
        ],
        db_session.scalar(select(func.count()).select_from(CourseRun)),
    )


def write_urls(written):
    return [
        ("post", "/api/v1/courses"),
        ("patch", f"/api/v1/courses/{written['course']}"),
        ("post", f"/api/v1/courses/{written['course']}/runs"),
        ("patch", f"/api/v1/runs/{written['run']}"),
    ]


@pytest.mark.parametrize(
    "body, content_type",
    [
        (b'{"code": "X-1", "title": {"en": "Broken"', "application/json"),
        (b"", "application/json"),
        (b"[1, 2]", "application/json"),
        (b'"a string"', "application/json"),
        (b"null", "application/json"),
        (b"\xff\xfe", "application/json"),
    ],
)
def test_a_body_that_is_not_a_json_object_is_refused_on_every_write(
    client, db_session, written, api_doc, body, content_type
):
    before = stored(db_session)
    for method, url in write_urls(written):
        response = getattr(client, method)(
            url, data=body, content_type=content_type, headers=written["headers"]
        )
        assert response.status_code == 400, (url, response.get_data(as_text=True))
        assert response.get_json() == {"status": 400, "message": NOT_AN_OBJECT, "field": None}
        check_write(api_doc, response, body)
    assert stored(db_session) == before


@pytest.mark.parametrize(
    "change, message",
    [
        ({"title": {"en": None}}, "title.en: Give a text, not null."),
        ({"title": {"en": ""}}, "title.en: The title must not be empty."),
        ({"title": {"en": "   "}}, "title.en: The title must not be empty."),
        ({"title": {"en": 5}}, "title.en: Give a text (a JSON string)."),
        ({"title": "Data Science"}, "title: Give an object of texts per language tag, such as"),
        ({"title": None}, "title: Give an object of texts per language tag, not null."),
        ({"title": {}}, "title: Give the text in at least one language."),
        ({"title": {"e n": "Spaced"}}, "title: 'e n' is not a language tag"),
        ({"summary": {"xx-nope": "Unknown"}}, "summary: 'xx-nope' is not a known language tag"),
        ({"summary": {"en": ["a", "list"]}}, "summary.en: Give a text (a JSON string)."),
        ({"code": 5}, "code: Give a text (a JSON string)."),
        ({"code": None}, "code: Give a value, not null."),
        ({"submit": "maybe"}, "submit: Give true or false."),
        ({"subjects": "0613"}, "subjects: Give a list (a JSON array)."),
        ({"subjects": ["maths"]}, "subjects.0: Give an ISCED-F 2013 code (2 to 4 digits)"),
        ({"length_weeks": 2.5}, "length_weeks: Give a whole number."),
        ({"effort_hours": "lots"}, "effort_hours: Give a number."),
        ({"image": "ftp://example.org/a.png"}, "image: Give an http or https address."),
        ({"level": "expert"}, "level: Must be one of: introductory, intermediate, advanced."),
        ({"teaching_languages": ["en", 7]}, "teaching_languages.1: Give a text (a JSON string)."),
    ],
)
def test_field_errors_name_the_field_and_say_what_is_wrong(
    client, db_session, written, api_doc, change, message
):
    field = message.split(":")[0].split(".")[0]
    before = stored(db_session)
    for method, url in write_urls(written)[:2]:
        body = {**COURSE, "code": "API-102", "slug": "another", **change}
        response = getattr(client, method)(url, json=body, headers=written["headers"])
        assert response.status_code == 400, response.get_json()
        check_write(api_doc, response, body)
        error = response.get_json()
        assert error["message"].startswith(message), error
        assert "browser (or proxy)" not in error["message"]
        assert error["field"] == field
        assert list(error["errors"]) == [message.split(":")[0]]
    assert stored(db_session) == before


@pytest.mark.parametrize(
    "change, message",
    [
        ({"capacity": "many"}, "capacity: Give a whole number."),
        (
            {"start_at": "next week"},
            "start_at: Give a date and time in ISO 8601, such as 2026-09-01T09:00:00+09:00.",
        ),
        ({"cancelled": None}, "cancelled: Give a value, not null."),
        (
            {"end_at": "2026-09-01T09:00:00"},
            "end_at: Give the time zone too, such as 2026-09-01T09:00:00+09:00.",
        ),
        ({"colour": "red"}, "colour: Not a field of this API (see /api/v1/docs)."),
    ],
)
def test_run_field_errors_name_the_field(client, db_session, written, api_doc, change, message):
    before = stored(db_session)
    for method, url in write_urls(written)[2:]:
        response = getattr(client, method)(url, json=change, headers=written["headers"])
        assert response.status_code == 400
        error = response.get_json()
        assert error["message"] == message and error["field"] == message.split(":")[0]
        check_write(api_doc, response, change)
    assert stored(db_session) == before


def test_a_patch_with_an_empty_title_keeps_the_stored_title(client, db_session, written):
    response = client.patch(
        f"/api/v1/courses/{written['course']}",
        json={"title": {"en": ""}, "code": "CHANGED"},
        headers=written["headers"],
    )
    assert response.get_json()["message"] == "title.en: The title must not be empty."
    course = db_session.scalar(select(Course).where(Course.slug == COURSE["slug"]))
    db_session.refresh(course)
    assert course.code == COURSE["code"]
    assert {t.language: t.title for t in course.translations}["en"] == COURSE["title"]["en"]


def test_texts_without_a_title_in_their_language_name_the_missing_title(
    client, db_session, written
):
    before = stored(db_session)
    created = client.post(
        "/api/v1/courses",
        json={**COURSE, "code": "API-102", "slug": "another", "title": {"ko": "한국어만"}},
        headers=written["headers"],
    )
    # well-formed (the schema accepts it), refused by a rule across the texts: 422
    assert created.status_code == 422
    assert created.get_json()["message"] == "Give the title in the original language too: title.en."
    assert created.get_json()["field"] == "title"
    changed = client.patch(
        f"/api/v1/courses/{written['course']}",
        json={"summary": {"de": "Nur eine Zusammenfassung"}},
        headers=written["headers"],
    )
    assert changed.status_code == 422
    assert changed.get_json() == {
        "status": 422,
        "message": "The course has no title in de yet: send title.de as well.",
        "field": "title",
    }
    assert stored(db_session) == before


@pytest.mark.parametrize(
    "body, content_type",
    [
        (b"code=X-1&slug=form-sent", "application/x-www-form-urlencoded"),
        (b"code=X-1", "multipart/form-data; boundary=x"),
        (b'{"code": "X-1"}', "text/plain"),
        (b'{"code": "X-1"}', None),
    ],
)
def test_a_body_that_is_not_json_is_415_on_every_write(
    client, db_session, written, api_doc, body, content_type
):
    before = stored(db_session)
    for method, url in write_urls(written):
        response = getattr(client, method)(
            url, data=body, content_type=content_type, headers=written["headers"]
        )
        assert response.status_code == 415, (url, response.get_data(as_text=True))
        assert response.is_json and response.get_json()["status"] == 415
        check_write(api_doc, response, body)
    assert stored(db_session) == before


def test_a_write_without_a_token_is_401_before_its_body_is_looked_at(
    client, db_session, written, api_doc
):
    before = stored(db_session)
    for headers in ({}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic eDp5"}):
        for body, content_type in ((b"[broken", "application/json"), (b"a=b", "text/plain")):
            for method, url in write_urls(written):
                response = getattr(client, method)(
                    url, data=body, content_type=content_type, headers=headers
                )
                assert response.status_code == 401, (url, response.get_data(as_text=True))
                assert response.headers["WWW-Authenticate"].startswith("Bearer")
                check_write(api_doc, response, body)
    assert stored(db_session) == before


@pytest.mark.parametrize(
    "method, path, allowed",
    [
        ("delete", "/api/v1/courses", {"GET", "HEAD", "OPTIONS", "POST"}),
        ("put", "/api/v1/courses/{course}", {"GET", "HEAD", "OPTIONS", "PATCH"}),
        ("post", "/api/v1/institutions", {"GET", "HEAD", "OPTIONS"}),
        ("patch", "/api/v1/changes", {"GET", "HEAD", "OPTIONS"}),
        ("delete", "/api/v1/runs/{run}", {"GET", "HEAD", "OPTIONS", "PATCH"}),
        ("post", "/api/v1/export", {"GET", "HEAD", "OPTIONS"}),
    ],
)
def test_an_unsupported_method_is_a_json_405_with_allow(client, written, method, path, allowed):
    url = path.format(course=written["course"], run=written["run"])
    response = getattr(client, method)(url, json={}, headers=written["headers"])
    assert response.status_code == 405
    assert response.is_json and response.get_json()["status"] == 405
    assert set(response.headers["Allow"].split(", ")) == allowed
    # a path no route has is still a 404
    assert getattr(client, method)("/api/v1/nothing-here").status_code == 404
