"""Two portal instances on two ports, one PostgreSQL database and one Redis: what a visitor
does on one host holds on the other (sessions, images, the catalog, rate limits).

Real HTTP servers in threads; a database of its own (the test commits) and a Redis key prefix
of its own (Redis is shared with other users of the machine: nothing is flushed).
"""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Iterator

import httpx
import pytest
from flask import Flask
from sqlalchemy import text
from werkzeug.serving import make_server

from mooc_portal.catalog.models import CourseStatus
from mooc_portal.db import session
from tests.factories import make_account, make_course, make_institution, make_run
from tests.many_hosts import REDIS_URL, delete_redis_keys, two_hosts

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(scope="module")
def hosts() -> Iterator[tuple[Flask, str, str]]:
    prefix = f"mooc-test-{uuid.uuid4().hex[:12]}:"
    config = {
        "MOOC_CACHE_REDIS_URL": REDIS_URL,
        "MOOC_CACHE_KEY_PREFIX": prefix,
        "MOOC_RATELIMIT_LOGIN": "5 per minute",
    }
    with two_hosts(**config) as (first, second, _url):
        servers = [make_server("127.0.0.1", 0, app, threaded=True) for app in (first, second)]
        for server in servers:
            threading.Thread(target=server.serve_forever, daemon=True).start()
        first.extensions["test_hosts"] = [first, second]
        first.extensions["test_hosts_prefix"] = prefix
        try:
            yield first, *(f"http://127.0.0.1:{s.server_port}" for s in servers)
        finally:
            for server in servers:
                server.shutdown()
            delete_redis_keys(f"*{prefix}*")


def csrf(browser: httpx.Client, url: str) -> str:
    match = re.search(
        r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"',
        browser.get(url, follow_redirects=True).text,
    )
    assert match, url
    return match.group(1)


def log_in(browser: httpx.Client, base: str, email: str, password: str) -> httpx.Response:
    token = csrf(browser, f"{base}/account/login")
    return browser.post(
        f"{base}/account/login",
        data={"email": email, "password": password, "csrf_token": token},
    )


def upload_image(base: str, email: str, course_uuid: object) -> httpx.Response:
    """A PNG posted as the course's picture on the host at ``base`` by the staff member."""
    with httpx.Client(timeout=10) as editor:
        log_in(editor, base, email, "correct horse battery")
        url = f"{base}/partner/courses/{course_uuid}/image"
        return editor.post(
            url,
            data={"csrf_token": csrf(editor, url)},
            files={"image": ("photo.png", PNG, "image/png")},
        )


def test_two_hosts_share_sessions_images_the_catalog_and_rate_limits(hosts):
    app, first, second = hosts
    with app.app_context():
        institution = make_institution(name="Shared Host University")
        make_account("learner@example.org", display_name="Roaming Learner")
        make_account(
            "editor@example.org", display_name="Host Editor", memberships={institution: "editor"}
        )
        make_account("admin@example.org", display_name="Host Admin", is_admin=True)
        course = make_course(
            "Course Across Hosts",
            slug="across",
            institution=institution,
            status=CourseStatus.IN_REVIEW,
        )
        make_run(course)
        session.commit()
        course_uuid = course.uuid

    with httpx.Client(timeout=10) as learner:
        # A learner logs in on the first host and continues on the second.
        assert (
            log_in(learner, first, "learner@example.org", "correct horse battery").status_code
            == 302
        )
        page = learner.get(f"{second}/my/learning")
        assert page.status_code == 200
        assert "Roaming Learner" in page.text

    # An image uploaded on the first host is served by the second.
    assert upload_image(first, "editor@example.org", course_uuid).status_code == 302
    with app.app_context():
        name = session.scalar(text("SELECT image FROM mooc_course WHERE slug = 'across'"))
    image = httpx.get(f"{second}/partner/media/{name}", timeout=10)
    assert image.status_code == 200
    assert image.content == PNG

    # A course published on the first host is on the second's catalog page at once.
    visitor = httpx.Client(timeout=10)
    assert "Course Across Hosts" not in visitor.get(f"{second}/courses").text
    assert "Course Across Hosts" not in visitor.get(f"{second}/courses").text  # now cached
    with httpx.Client(timeout=10) as admin:
        log_in(admin, first, "admin@example.org", "correct horse battery")
        url = f"{first}/partner/courses/{course_uuid}"
        approved = admin.post(
            f"{url}/transition", data={"csrf_token": csrf(admin, url), "action": "approve"}
        )
        assert approved.status_code == 302
    assert "Course Across Hosts" in visitor.get(f"{second}/courses").text
    visitor.close()

    # The log-in limit (5 a minute here) counts every attempt from this address on both hosts:
    # the three log-ins above (on the first host) and two more, then the second host refuses.
    with httpx.Client(timeout=10) as attacker:
        statuses = [
            log_in(attacker, base, "nobody@example.org", "wrong password").status_code
            for base in (second, first, second, first)
        ]
    assert statuses == [200, 200, 429, 429]


def test_an_image_in_the_object_store_uploaded_on_one_host_is_served_by_the_other(hosts):
    """``MOOC_MEDIA_STORAGE = "s3"``: a real S3-compatible server on 127.0.0.1."""
    from tests.object_store import object_store

    app, first, second = hosts
    with app.app_context():
        institution = make_institution(name="Object Store University")
        make_account(
            "s3-editor@example.org", memberships={institution: "editor"}, display_name="S3 Editor"
        )
        course = make_course("Stored Elsewhere", slug="stored-elsewhere", institution=institution)
        session.commit()
        course_uuid = course.uuid
    # The log-in limit the test above used up.
    delete_redis_keys(f"*{app.extensions['test_hosts_prefix']}*")
    with object_store() as store:
        for each in app.extensions["test_hosts"]:
            each.config.update(store.config())
        try:
            uploaded = upload_image(first, "s3-editor@example.org", course_uuid)
            assert uploaded.status_code == 302
            with app.app_context():
                name = session.scalar(
                    text("SELECT image FROM mooc_course WHERE slug = 'stored-elsewhere'")
                )
                assert (
                    session.scalar(
                        text("SELECT count(*) FROM mooc_media_file WHERE name = :n"), {"n": name}
                    )
                    == 0
                )
            assert store.keys() == [f"media/{name}"]
            image = httpx.get(f"{second}/partner/media/{name}", timeout=10)
            assert image.status_code == 200
            assert image.headers["Cache-Control"] == "public, max-age=31536000, immutable"
            assert image.content == PNG
        finally:
            for each in app.extensions["test_hosts"]:
                each.config["MOOC_MEDIA_STORAGE"] = "database"
