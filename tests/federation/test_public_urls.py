"""Issue 8, finding 2: absolute URLs come from MOOC_PUBLIC_URL, never from the Host header.

An attacker sends requests with ``Host: evil.example``: a password-reset link mailed to the
victim, a page cached for later visitors, or a document peers store must not point there.
"""

from __future__ import annotations

import re

import pytest

from tests.factories import make_account, make_course, make_institution, make_run

PUBLIC = "https://mooc.example.org"
EVIL = {"Host": "evil.example"}


@pytest.fixture
def public_url(app, monkeypatch):
    monkeypatch.setitem(app.config, "MOOC_PUBLIC_URL", PUBLIC)
    return PUBLIC


def csrf_token(client, path, **kwargs):
    page = client.get(path, **kwargs).get_data(as_text=True)
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)


def test_a_forged_host_does_not_reach_the_reset_link(client, db_session, outbox, public_url):
    make_account("victim@example.org")
    token = csrf_token(client, "/account/password/forgot", headers=EVIL)
    response = client.post(
        "/account/password/forgot",
        data={"email": "victim@example.org", "csrf_token": token},
        headers=EVIL,
    )
    assert response.status_code == 302
    (message,) = outbox
    body = message.get_content()
    assert "evil.example" not in body
    assert f"{PUBLIC}/account/password/reset/" in body


def test_the_cached_course_list_never_serves_a_forged_host(app, client, db_session, public_url):
    institution = make_institution()
    for n in range(3):
        make_course(f"Course {n}", institution=institution)
    url = f"/api/v1/courses?institution={institution.uuid}&limit=2"
    forged = client.get(url, headers=EVIL)  # cached first, under the forged Host
    honest = client.get(url)
    for response in (forged, honest):
        assert response.status_code == 200
        assert "evil.example" not in response.get_data(as_text=True)
        assert "evil.example" not in response.headers.get("Link", "")
        assert response.headers["Link"].startswith(f"<{PUBLIC}/api/v1/courses?")
        item = response.get_json()["items"][0]
        assert item["url"].startswith(f"{PUBLIC}/courses/")


def test_no_public_document_follows_a_forged_host(client, db_session, public_url):
    institution = make_institution()
    course = make_course("Open Course", institution=institution)
    make_run(course)
    pages = [
        "/sitemap.xml",
        f"/courses/{course.slug}",
        "/courses?page=1",
        "/api/v1/institutions?limit=1",
        f"/api/v1/institutions/{institution.uuid}",
        f"/api/v1/courses/{course.uuid}",
        "/api/v1/changes?limit=1",
        "/api/v1/export",
        "/ooapi/v5/organizations?organizationType=root",
    ]
    for path in pages:
        response = client.get(path, headers=EVIL)
        assert response.status_code == 200, path
        text = response.get_data(as_text=True) + str(response.headers)
        assert "evil.example" not in text, path
        assert PUBLIC in text, path


def test_staff_invitations_link_to_the_public_site(client, db_session, outbox, public_url):
    from mooc_portal.publishing import staff

    institution = make_institution()
    manager = make_account(memberships={institution: "manager"})
    staff.invite_staff(manager, institution, "someone@example.org", "editor")
    db_session.commit()  # mail leaves after the commit (the outbox)
    (message,) = outbox
    assert f"{PUBLIC}/partner/invitation/" in message.get_content()
