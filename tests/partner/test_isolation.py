"""Isolation: staff of another institution reach nothing of this one, through any partner route."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from mooc_portal.accounts.models import Membership
from mooc_portal.audit.models import AuditEntry
from mooc_portal.catalog.models import Course, CourseRun, CourseTranslation
from mooc_portal.catalog.outline import Lesson, LessonTranslation, Module, ModuleTranslation
from mooc_portal.db import session
from mooc_portal.publishing import outline
from mooc_portal.publishing.models import OutlineRemoval
from tests.factories import make_account

PUBLIC = {"portal.partner.accept_invitation", "portal.partner.course_image_file"}
OPERATIONS = {
    "portal.partner.module_change": "delete",
    "portal.partner.lesson_change": "delete",
    "portal.partner.staff_change": "remove",
}


def removal_in(home):
    """A removed lesson of home's course, which the outsider must not be able to put back."""
    editor = home["editor"]
    lesson = outline.add_lesson(editor, home["module"], outline.LessonData("Removed"))
    return outline.remove_lesson(editor, lesson)


def partner_urls(app, home):
    """Every partner route (but the public ones and the member's own index), filled in."""
    values = {
        "slug": home["institution"].slug,
        "course_uuid": str(home["course"].uuid),
        "run_uuid": str(home["run"].uuid),
        "module_uuid": str(home["module"].uuid),
        "lesson_uuid": str(home["lesson"].uuid),
        "removal_uuid": str(removal_in(home).uuid),
        "language": "en",
        "account_uuid": str(home["editor"].uuid),
        "kind": "csv",
    }
    urls = []
    adapter = app.url_map.bind("localhost")
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("portal.partner.") or rule.endpoint in PUBLIC:
            continue
        if not rule.arguments:
            continue  # /partner/: lists the visitor's own institutions only
        args = {name: values.get(name) for name in rule.arguments}
        if "operation" in rule.arguments:
            args["operation"] = OPERATIONS[rule.endpoint]
        url = adapter.build(rule.endpoint, args)
        for method in sorted(rule.methods & {"GET", "POST"}):
            urls.append((method, url))
    return urls


def state():
    def count(model):
        return session.scalar(select(func.count()).select_from(model))

    return (
        [(c.code, c.status, c.modified_at) for c in session.scalars(select(Course))],
        count(CourseRun),
        count(CourseTranslation),
        count(Module),
        count(Lesson),
        count(ModuleTranslation),
        count(LessonTranslation),
        count(OutlineRemoval),
        count(Membership),
        count(AuditEntry),
        [r.cancelled for r in session.scalars(select(CourseRun))],
    )


@pytest.mark.parametrize("role", ["manager", "editor"])
def test_every_partner_route_refuses_staff_of_another_institution(
    app, client, auth, home, stranger, role, db_session
):
    from mooc_portal.institutions.models import Institution

    other = session.scalar(select(Institution).where(Institution.id != home["institution"].id))
    outsider = stranger if role == "manager" else make_account(memberships={other: "editor"})
    urls = partner_urls(app, home)
    assert len(urls) > 25  # the walk really covers the partner area
    auth.login(outsider.email)
    token = auth.csrf_token("/")
    before = state()
    for method, url in urls:
        if method == "GET":
            response = client.get(url)
        else:
            response = client.post(
                url,
                data={
                    "csrf_token": token,
                    "action": "submit",
                    "title": "Hijacked",
                    "code": "HACK",
                    "email": "spy@evil.example",
                    "role": "manager",
                    "language": "fr",
                    "name": "Hijacked",
                    "country": "KR",
                    "original_language": "en",
                    "teaching_languages": "en",
                },
            )
        assert response.status_code in (403, 404), (method, url, response.status_code)
        assert "Home Draft" not in response.get_data(as_text=True), (method, url)
    db_session.expire_all()
    assert state() == before


def test_anonymous_visitors_are_sent_to_log_in(client, home):
    response = client.get(f"/partner/{home['institution'].slug}/")
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]


def test_every_admin_route_refuses_partner_staff(app, client, auth, home):
    auth.login(home["manager"].email)
    token = auth.csrf_token("/")
    adapter = app.url_map.bind("localhost")
    values = {
        "slug": home["institution"].slug,
        "course_uuid": str(home["course"].uuid),
        "run_uuid": str(home["run"].uuid),
        "job_id": 1,
        "peer_id": 1,
    }
    before = state()
    walked = 0
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("portal.admin."):
            continue
        url = adapter.build(rule.endpoint, {name: values[name] for name in rule.arguments})
        for method in sorted(rule.methods & {"GET", "POST"}):
            walked += 1
            data = {"csrf_token": token, "action": "approve", "active": "0", "name": "X"}
            response = client.get(url) if method == "GET" else client.post(url, data=data)
            assert response.status_code == 403, (method, url, response.status_code)
    assert walked >= 20
    session.expire_all()
    assert state() == before
    assert home["institution"].active
