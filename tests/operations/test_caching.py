"""The shared page cache and HTTP caching: served from the cache, never another user's page,
every catalog change visible at the next request, 304s and compression."""

from __future__ import annotations

import json
import re

import brotli
import pytest
from flask import Flask

from mooc_portal.catalog.models import CourseStatus
from mooc_portal.db import session
from tests.conftest import make_test_app, reset_shared_state, rolled_back
from tests.factories import make_account, make_course, make_run


def text(response) -> str:
    return response.get_data(as_text=True)


def without_token(html: str) -> str:
    """The page less its CSRF token, which Flask-WTF signs anew (with the time) every request."""
    return re.sub(r'name="csrf_token" value="[^"]+"', "", html)


def test_the_second_anonymous_visit_is_served_from_the_cache(client, count_queries):
    make_run(make_course("Cached Catalogue Course", slug="cached"))
    for url in ("/", "/courses", "/courses?q=cached", "/courses/cached", "/institutions"):
        first = text(client.get(url))
        with count_queries() as counter:
            second = client.get(url)
        assert without_token(text(second)) == without_token(first), url
        # Only the catalog's version is read: the change feed's latest sequence.
        assert counter.count == 1, (url, counter.statements)
    with count_queries() as counter:
        assert client.get("/api/v1/courses").status_code == 200
        assert client.get("/api/v1/courses").status_code == 200
    assert counter.count > 1
    with count_queries() as counter:
        client.get("/api/v1/courses")
    assert counter.count == 1


def test_a_publish_an_edit_and_a_withdrawal_show_at_the_next_request(client, db_session):
    course = make_course("Fresh Course", slug="fresh", status=CourseStatus.DRAFT)
    session.commit()
    assert "Fresh Course" not in text(client.get("/courses"))
    course.status = CourseStatus.PUBLISHED
    session.commit()
    assert "Fresh Course" in text(client.get("/courses"))
    assert "Fresh Course" in text(client.get("/courses/fresh"))
    course.translations[0].title = "Renamed Fresh Course"
    session.commit()
    assert "Renamed Fresh Course" in text(client.get("/courses"))
    assert "Renamed Fresh Course" in text(client.get("/courses/fresh"))
    course.status = CourseStatus.WITHDRAWN
    session.commit()
    assert "Renamed Fresh Course" not in text(client.get("/courses"))
    assert client.get("/courses/fresh").status_code == 404


def test_a_logged_in_page_is_never_another_users_cache_entry(app, client, auth):
    make_run(make_course("Shared Course", slug="shared"))
    make_account("minji@example.org", display_name="Minji Kim")
    make_account("lukas@example.org", display_name="Lukas Weber")
    session.commit()
    anonymous = text(client.get("/courses/shared"))
    assert "Log in to enrol" in anonymous
    auth.login("minji@example.org")
    minji = text(client.get("/courses/shared"))
    assert "Minji Kim" in minji
    assert "Log in to enrol" not in minji
    other = app.test_client()
    from tests.conftest import AuthActions

    AuthActions(other).login("lukas@example.org")
    lukas = text(other.get("/courses/shared"))
    assert "Lukas Weber" in lukas
    assert "Minji Kim" not in lukas
    auth.logout()
    assert "Minji Kim" not in text(client.get("/courses/shared"))


def test_each_language_and_time_zone_has_its_own_entry(client):
    from datetime import UTC, datetime

    make_run(make_course(slug="zoned"), start=datetime(2031, 3, 1, 23, 30, tzinfo=UTC))
    english = text(client.get("/courses/zoned", headers={"Accept-Language": "en"}))
    korean = text(client.get("/courses/zoned", headers={"Accept-Language": "ko"}))
    assert '<html lang="en">' in english
    assert '<html lang="ko">' in korean
    assert "11:30\u202fPM UTC" in english
    client.set_cookie("mooc_tz", "Asia/Seoul")
    seoul = text(client.get("/courses/zoned", headers={"Accept-Language": "en"}))
    assert "8:30\u202fAM" in seoul
    assert "11:30\u202fPM UTC" not in seoul


def test_every_visitor_gets_their_own_csrf_token_from_a_cached_page(app, client):
    pattern = r'name="csrf_token" value="([^"]+)"'
    mine = re.search(pattern, text(client.get("/"))).group(1)
    theirs = re.search(pattern, text(app.test_client().get("/"))).group(1)
    assert "__mooc_csrf_token__" not in (mine + theirs)
    assert mine != theirs
    # The token works: the language switch accepts it.
    response = client.post("/language", data={"language": "ko", "next": "/", "csrf_token": mine})
    assert response.status_code == 302


def test_pages_and_api_lists_answer_304_when_nothing_changed(client):
    make_course("Tagged Course")
    for url, cache_control in (
        ("/courses", "no-cache"),
        ("/api/v1/courses", "no-cache"),
        ("/ooapi/v5/courses", "no-cache"),
    ):
        first = client.get(url)
        assert first.headers["Cache-Control"] == cache_control
        etag = first.headers["ETag"]
        again = client.get(url, headers={"If-None-Match": etag})
        assert again.status_code == 304, url
        assert again.data == b""
    make_course("Another Tagged Course")
    session.commit()
    changed = client.get("/api/v1/courses", headers={"If-None-Match": etag})
    assert changed.status_code == 200


def test_a_flashed_message_is_not_lost_to_the_cache(client):
    client.get("/courses")
    with client.session_transaction() as flask_session:
        flask_session["_flashes"] = [("success", "Saved for you.")]
    assert "Saved for you." in text(client.get("/courses"))
    assert "Saved for you." not in text(client.get("/courses"))


@pytest.mark.parametrize("url", ["/courses", "/api/v1/courses", "/api/v1/export"])
def test_pages_the_api_and_the_snapshot_are_sent_compressed(client, url):
    for n in range(5):
        make_course(f"Compressed Course {n}")
    session.commit()
    plain = client.get(url)
    packed = client.get(url, headers={"Accept-Encoding": "br"})
    assert packed.headers["Content-Encoding"] == "br"
    unpacked = brotli.decompress(packed.data)
    if url == "/courses":
        assert without_token(unpacked.decode()) == without_token(text(plain))
    else:
        document, expected = json.loads(unpacked), json.loads(plain.data)
        if url.endswith("/export"):  # a streamed snapshot, stamped with the time it was made
            del document["generated_at"], expected["generated_at"]
        assert document == expected
    assert len(packed.data) < len(plain.data)


@pytest.fixture
def limited_app(databases, backend) -> Flask:
    databases.app(backend)  # the database, migrated
    app = make_test_app(
        databases.url(backend),
        MOOC_RATELIMIT_LOGIN="3 per minute",
        MOOC_RATELIMIT_API_WRITE="2 per minute",
    )
    reset_shared_state(app)
    with rolled_back(app), app.app_context():
        yield app
    with app.app_context():
        app.extensions["sqlalchemy"].engine.dispose()


def test_log_in_attempts_are_limited_with_a_retry_after(limited_app):
    client = limited_app.test_client()
    from tests.conftest import AuthActions

    auth = AuthActions(client)
    for _ in range(3):
        assert auth.login("nobody@example.org", "wrong password").status_code == 200
    refused = auth.login("nobody@example.org", "wrong password")
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert "Too many requests" in text(refused)
    # Pages that only show things are not limited.
    assert client.get("/courses").status_code == 200


def test_api_writes_are_limited_per_token_as_json(limited_app):
    client = limited_app.test_client()
    headers = {"Authorization": "Bearer not-a-real-token"}
    # An unknown token is refused (401) before the body is read (issue 11); the limit counts
    # the attempts per token all the same.
    for _ in range(2):
        assert client.post("/api/v1/courses", json={}, headers=headers).status_code == 401
    refused = client.post("/api/v1/courses", json={}, headers=headers)
    assert refused.status_code == 429
    assert refused.get_json()["status"] == 429
    assert int(refused.headers["Retry-After"]) > 0
    other = {"Authorization": "Bearer another-token"}
    assert client.post("/api/v1/courses", json={}, headers=other).status_code == 401
