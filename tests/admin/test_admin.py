"""Administrators: institutions, staff assignment, the audit log."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from mooc_portal.catalog.services import public_courses
from mooc_portal.db import session
from mooc_portal.institutions.models import Institution
from mooc_portal.publishing import services
from mooc_portal.publishing.validation import RunData, TranslationData
from tests.factories import make_account, make_course, make_institution


@pytest.fixture
def admin(db_session):
    return make_account("admin@portal.example", is_admin=True)


def test_admin_creates_an_institution_and_assigns_a_manager(client, auth, admin):
    auth.login(admin.email)
    token = auth.csrf_token("/admin/institutions/new")
    response = client.post(
        "/admin/institutions/new",
        data={
            "csrf_token": token,
            "name": "Hanoi Open University",
            "country": "VN",
            "original_language": "vi",
            "slug": "hou",
        },
    )
    assert response.status_code == 302
    institution = session.scalar(select(Institution).where(Institution.slug == "hou"))
    assert institution.region == "asia" and institution.active
    response = client.post(
        "/admin/institutions/hou/staff",
        data={"csrf_token": token, "email": "dean@hou.example", "role": "manager"},
    )
    assert response.status_code == 302
    page = client.get("/admin/institutions/hou").get_data(as_text=True)
    assert "dean@hou.example" in page


def test_deactivated_institution_leaves_the_catalog_and_nothing_is_deleted(client, auth, admin):
    institution = make_institution(slug="fading")
    course = make_course(institution=institution, runs=1)
    auth.login(admin.email)
    response = client.post(
        "/admin/institutions/fading/active",
        data={"csrf_token": auth.csrf_token("/"), "active": "0"},
    )
    assert response.status_code == 302
    assert course not in session.scalars(public_courses()).all()
    assert session.get(type(course), course.id) is course
    assert course.status == "published"


def test_audit_log_records_and_filters_changes(client, auth, admin):
    home = make_institution(slug="home-u")
    # A manager: only managers change a run's capacity (issue 8).
    editor = make_account("editor@home.example", memberships={home: "manager"})
    course = make_course(institution=home, status="draft")
    run = services.create_run(editor, course, RunData(capacity=10))
    services.update_run(editor, run, RunData(capacity=12))
    auth.login(admin.email)
    page = client.get("/admin/audit?entity=run&actor=editor@home.example").get_data(as_text=True)
    assert "2 entries" in page
    assert '"capacity": 12' in page and '"capacity": 10' in page
    assert "1 entry" in client.get("/admin/audit?entity=run&action=create").get_data(as_text=True)
    assert "0 entries" in client.get("/admin/audit?entity=lesson").get_data(as_text=True)
    assert "0 entries" in client.get("/admin/audit?institution=nowhere").get_data(as_text=True)
    bad = client.get("/admin/audit?since=yesterday&page=x")
    assert bad.status_code == 200
    assert "not valid" in bad.get_data(as_text=True)


def test_audit_log_shows_every_script_as_written(client, auth, admin):
    home = make_institution(slug="hanbit")
    editor = make_account("editor@hanbit.example", memberships={home: "editor"})
    course = make_course(institution=home, status="draft", titles={"en": "Rivers"})
    services.save_translation(editor, course, TranslationData(language="ko", title="한국의 강"))
    auth.login(admin.email)
    page = client.get("/admin/audit?entity=course_translation").get_data(as_text=True)
    assert "1 entry" in page and "한국의 강" in page
    assert "\\ud55c" not in page  # not as JSON escapes


def test_admin_pages_open(client, auth, admin):
    make_institution("Kyoto Open", slug="kyoto-open", country="JP")
    auth.login(admin.email)
    listing = client.get("/admin/institutions")
    assert listing.status_code == 200 and "Kyoto Open" in listing.get_data(as_text=True)
    assert client.get("/admin/institutions/new").status_code == 200
    assert client.get("/admin/institutions/nowhere").status_code == 404
    assert client.get("/admin/courses/not-a-uuid").status_code == 404
    duplicate = client.post(
        "/admin/institutions/new",
        data={
            "csrf_token": auth.csrf_token("/"),
            "name": "Kyoto Open",
            "country": "JP",
            "original_language": "ja",
            "slug": "kyoto-open",
        },
    )
    assert duplicate.status_code == 400
    assert 'id="slug-error"' in duplicate.get_data(as_text=True)
