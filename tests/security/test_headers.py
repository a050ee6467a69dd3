"""Issue 8, finding 11: security headers on every response; personal data is never cached."""

import pytest

from mooc_portal.db import session
from tests.factories import make_account, make_course, make_institution, make_run

SECURITY = ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy")


def assert_secured(response):
    for name in SECURITY:
        assert name in response.headers, (response.request.path, name)
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/no/such/page", 404),
        ("GET", "/static/no-such-file.css", 404),
        ("GET", "/favicon.ico", 404),
        ("POST", "/", 405),
        ("GET", "/courses/no-such-course", 404),
        ("GET", "/api/v1/nothing-here", 404),
        ("GET", "/", 200),
    ],
)
def test_every_response_of_the_standalone_portal_carries_the_headers(client, method, path, status):
    response = client.open(path, method=method)
    assert response.status_code == status
    assert_secured(response)


def test_the_portal_in_a_host_secures_its_own_prefix_and_leaves_the_host_alone(tmp_path):
    from tests.test_plugin import build_host, host_db

    app, _login = build_host(f"sqlite:///{tmp_path / 'host.sqlite3'}", tmp_path)
    with app.app_context():
        host_db.create_all()
    client = app.test_client()
    assert_secured(client.get("/mooc/no/such/page"))
    host_page = client.get("/login")
    assert "Content-Security-Policy" not in host_page.headers
    with app.app_context():
        host_db.engine.dispose()


@pytest.fixture
def people(db_session):
    institution = make_institution(slug="cache-u")
    manager = make_account(memberships={institution: "manager"})
    learner = make_account()
    admin = make_account(is_admin=True)
    run = make_run(make_course(institution=institution))
    session.commit()
    return {"manager": manager, "learner": learner, "admin": admin, "run": run}


def test_personal_pages_and_exports_are_never_stored(client, auth, people):
    run = people["run"]
    pages = {
        "learner": ["/account/", "/my/learning", "/account/password"],
        "manager": [
            "/partner/cache-u/",
            "/partner/enrolments",
            "/partner/enrolments.csv",
            f"/partner/runs/{run.uuid}/progress",
            f"/partner/runs/{run.uuid}/progress.csv",
            "/partner/cache-u/api-tokens",
        ],
        "admin": ["/admin/", "/admin/enrolments", "/admin/enrolments.csv", "/admin/peers"],
    }
    for who, paths in pages.items():
        auth.login(people[who].email)
        for path in paths:
            response = client.get(path)
            assert response.status_code == 200, (who, path)
            assert response.headers.get("Cache-Control") == "no-store", (who, path)
            assert_secured(response)
        auth.logout()


def test_public_pages_stay_cacheable(client):
    assert client.get("/courses").headers.get("Cache-Control") != "no-store"
    assert client.get("/api/v1/courses").headers.get("Cache-Control") == "no-cache"
