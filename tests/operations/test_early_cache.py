"""Cached pages answered before Flask runs (mooc_portal/early_cache.py): a visitor without a
session gets exactly the page Flask would give, with their own working CSRF token; nobody with
a session is served from it; a catalog change shows at the next request."""

from __future__ import annotations

import gzip
import json
import re

import brotli

from mooc_portal.catalog.models import CourseStatus
from mooc_portal.db import session
from mooc_portal.metrics import EARLY_CACHE_RESPONSES
from tests.factories import make_account, make_course, make_institution, make_run

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
# A page's ETag also names its visitor's token (the same in both ways of answering).
PER_RESPONSE = {"X-Request-Id", "Set-Cookie", "Content-Length", "Date", "ETag"}


def early_responses() -> float:
    return sum(
        sample.value
        for metric in EARLY_CACHE_RESPONSES.collect()
        for sample in metric.samples
        if sample.name.endswith("_total")
    )


def visitor(app):
    """A browser that has never been here: it sends no cookie."""
    return app.test_client(use_cookies=False)


def page_headers(response) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k not in PER_RESPONSE}


def test_a_visitor_without_a_session_gets_flasks_page_before_flask_runs(app):
    make_run(make_course("Early Course", slug="early"))
    session.commit()
    for url in ("/", "/courses", "/courses/early", "/institutions", "/api/v1/courses"):
        first = visitor(app).get(url)
        before = early_responses()
        second = visitor(app).get(url)
        assert early_responses() == before + 1, url
        assert second.status_code == 200
        assert page_headers(second) == page_headers(first), url
        assert second.headers["ETag"][:34] == first.headers["ETag"][:34]
        assert TOKEN.sub("", second.get_data(as_text=True)) == TOKEN.sub(
            "", first.get_data(as_text=True)
        )
        assert second.headers["X-Request-Id"] != first.headers["X-Request-Id"]
    assert "Early Course" in visitor(app).get("/courses").get_data(as_text=True)


def test_each_early_visitor_gets_their_own_token_which_works(app):
    visitor(app).get("/")
    tokens = []
    for _ in range(2):
        response = visitor(app).get("/")
        tokens.append(TOKEN.search(response.get_data(as_text=True)).group(1))
        cookie = response.headers["Set-Cookie"]
        assert "HttpOnly" in cookie
        assert "__mooc_csrf_token__" not in response.get_data(as_text=True)
    assert tokens[0] != tokens[1]
    # The browser sends back the session cookie it was given: the language switch accepts the
    # token of the page, and the visitor, now with a session, is no longer served early.
    browser = app.test_client()
    page = browser.get("/")
    token = TOKEN.search(page.get_data(as_text=True)).group(1)
    switched = browser.post("/language", data={"language": "ko", "next": "/", "csrf_token": token})
    assert switched.status_code == 302
    before = early_responses()
    assert '<html lang="ko">' in browser.get("/").get_data(as_text=True)
    assert early_responses() == before


def test_compressed_early_pages_are_the_same_page(app):
    make_course("Packed Course")
    session.commit()
    visitor(app).get("/courses")
    plain = visitor(app).get("/courses").get_data(as_text=True)
    packed = visitor(app).get("/courses", headers={"Accept-Encoding": "gzip, br"})
    # A page with a token is assembled around it in gzip.
    assert packed.headers["Content-Encoding"] == "gzip"
    html = gzip.decompress(packed.data).decode()
    assert TOKEN.sub("", html) == TOKEN.sub("", plain)
    assert TOKEN.search(html).group(1) != TOKEN.search(plain).group(1)
    assert len(packed.data) < len(plain)
    visitor(app).get("/api/v1/courses")
    document = visitor(app).get("/api/v1/courses").get_json()
    for encoding, unpack in (("br", brotli.decompress), ("gzip", gzip.decompress)):
        response = visitor(app).get("/api/v1/courses", headers={"Accept-Encoding": encoding})
        assert response.headers["Content-Encoding"] == encoding
        assert "Accept-Encoding" in response.headers["Vary"]
        assert json.loads(unpack(response.data)) == document


def test_early_lists_answer_304_and_head_has_no_body(app):
    make_course("Tagged Early Course")
    session.commit()
    visitor(app).get("/api/v1/courses")
    etag = visitor(app).get("/api/v1/courses").headers["ETag"]
    before = early_responses()
    again = visitor(app).get("/api/v1/courses", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    head = visitor(app).head("/api/v1/courses")
    assert head.status_code == 200
    assert head.data == b""
    assert early_responses() == before + 2
    make_course("Another Tagged Early Course")
    session.commit()
    changed = visitor(app).get("/api/v1/courses", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert "Another Tagged Early Course" in changed.get_data(as_text=True)


def test_a_catalog_change_shows_at_the_next_early_request(app):
    course = make_course("Early Fresh Course", slug="early-fresh", status=CourseStatus.DRAFT)
    session.commit()
    visitor(app).get("/courses")
    assert "Early Fresh Course" not in visitor(app).get("/courses").get_data(as_text=True)
    course.status = CourseStatus.PUBLISHED
    session.commit()
    assert "Early Fresh Course" in visitor(app).get("/courses").get_data(as_text=True)
    course.status = CourseStatus.WITHDRAWN
    session.commit()
    assert "Early Fresh Course" not in visitor(app).get("/courses").get_data(as_text=True)


def test_language_and_time_zone_have_their_own_early_entries(app):
    from datetime import UTC, datetime

    make_run(make_course(slug="early-zoned"), start=datetime(2031, 3, 1, 23, 30, tzinfo=UTC))
    session.commit()
    for _ in range(2):
        english = visitor(app).get("/courses/early-zoned", headers={"Accept-Language": "en"})
        korean = visitor(app).get("/courses/early-zoned", headers={"Accept-Language": "ko"})
        seoul = visitor(app).get(
            "/courses/early-zoned",
            headers={"Accept-Language": "en", "Cookie": "mooc_tz=Asia%2FSeoul"},
        )
        assert '<html lang="en">' in english.get_data(as_text=True)
        assert '<html lang="ko">' in korean.get_data(as_text=True)
        assert "11:30\u202fPM UTC" in english.get_data(as_text=True)
        assert "8:30\u202fAM" in seoul.get_data(as_text=True)


def test_nobody_logged_in_or_with_a_session_is_served_early(app, client, auth):
    make_run(make_course("Private Early Course", slug="private-early"))
    make_account("minji@example.org", display_name="Minji Kim")
    session.commit()
    visitor(app).get("/courses/private-early")
    auth.login("minji@example.org")
    before = early_responses()
    mine = client.get("/courses/private-early").get_data(as_text=True)
    assert "Minji Kim" in mine
    assert early_responses() == before
    # Her page is nobody else's, early or not.
    for _ in range(2):
        page = visitor(app).get("/courses/private-early").get_data(as_text=True)
        assert "Minji Kim" not in page
        assert "Log in to enrol" in page
    # Any cookie but the time zone's, and any credentials, go to Flask.
    before = early_responses()
    visitor(app).get("/courses/private-early", headers={"Cookie": "remember_token=x"})
    visitor(app).get("/api/v1/courses", headers={"Authorization": "Bearer not-a-token"})
    visitor(app).post("/courses/private-early")
    assert early_responses() == before


def test_an_expired_entry_is_made_again_by_one_request_while_others_get_it(app):
    from mooc_portal.early_cache import EarlyPageCache

    middleware = app.wsgi_app
    assert isinstance(middleware, EarlyPageCache)
    visitor(app).get("/institutions")
    [key] = [k for k in middleware.backend()._cache if k.startswith("early:")]
    entry = middleware.backend().get(key)
    entry["made_at"] -= app.config["MOOC_CACHE_TIMEOUT"] + 1
    middleware.backend().set(key, entry)
    # Another request is making it again (it holds the lock): this one gets the old entry.
    middleware.backend().add(f"lock:{key}", 1)
    before = early_responses()
    assert visitor(app).get("/institutions").status_code == 200
    assert early_responses() == before + 1
    # Nobody is: this request makes it again, through Flask.
    middleware.backend().delete(f"lock:{key}")
    assert visitor(app).get("/institutions").status_code == 200
    assert early_responses() == before + 1
    assert middleware.fresh(middleware.backend().get(key))
    assert not middleware.backend().has(f"lock:{key}")


def test_a_verifier_asking_for_json_is_not_served_the_cached_html(app):
    """An institution's page answers its Open Badges Profile to ``Accept: application/ld+json``
    (a verifier dereferencing a credential's ``creator``): once the HTML page is cached, that
    request still reaches Flask and gets the JSON."""
    make_institution("Early Institute", slug="early-institute")
    session.commit()
    url = "/institutions/early-institute"
    visitor(app).get(url)
    assert visitor(app).get(url).mimetype == "text/html"
    for accept in ("application/ld+json", "application/json", "application/json, text/html;q=0.5"):
        profile = visitor(app).get(url, headers={"Accept": accept})
        assert profile.mimetype in ("application/ld+json", "application/json"), accept
        assert profile.get_json()["type"] == ["Profile"]
    browser = visitor(app).get(url, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert browser.mimetype == "text/html"
