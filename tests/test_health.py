"""``/healthz``, ``/readyz`` and the 503 answered while the database is out of reach.

The database-restart, failover and dropped-connection faults themselves run in the fault suite
(``tests/faults``, ``pytest -m faults``) on private servers; here the portal meets a database
address where nothing listens, which is what a request sees while the server is down.
"""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest
from flask import Flask

from mooc_portal import create_app
from mooc_portal.certificates.issuer import generate_key_pem
from mooc_portal.health import add_readiness_check
from tests.conftest import TEST_SECRET

# Production refuses a weak key: this one is long and varied enough.
PRODUCTION_SECRET = "9b1f4c7e2a5d8036f9c2e5b8a1d4f7036c9e2b5a8d1f4c7e"
CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_healthz_answers_without_session_or_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers
    assert "Content-Security-Policy" in response.headers


def test_readyz_says_ready_when_the_database_answers(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json == {"status": "ready", "checks": {"database": "ok"}}
    assert "Set-Cookie" not in response.headers


def test_a_registered_check_makes_readyz_not_ready_while_it_fails(app, client):
    port = closed_port()

    def queue_reachable() -> None:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()

    checks = app.extensions["mooc_portal"].readiness_checks
    add_readiness_check(app, "queue", queue_reachable)
    try:
        response = client.get("/readyz")
    finally:
        del checks["queue"]
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.json == {
        "status": "not ready",
        "checks": {"database": "ok", "queue": "unreachable (ConnectionRefusedError)"},
    }
    assert client.get("/readyz").status_code == 200


def unreachable_app(tmp_path: Path, url: str) -> Flask:
    return create_app(
        {
            "MOOC_ENV": "production",
            "SECRET_KEY": PRODUCTION_SECRET,
            "MOOC_PUBLIC_URL": "http://localhost",
            "MOOC_CREDENTIAL_KEY": generate_key_pem(),
            "MOOC_DATABASE_URL": url,
        },
        instance_path=str(tmp_path / "instance"),
    )


@pytest.fixture
def down_app(tmp_path: Path) -> Flask:
    """The portal configured for a database server that is down: a PostgreSQL port nothing
    listens on. (SQLite has no server to lose; a file it cannot open is a configuration error,
    answered as any unexpected error: tests/federation/test_bounds.py.)"""
    url = f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/portal"
    app = unreachable_app(tmp_path, url)
    yield app
    with app.app_context():
        app.extensions["sqlalchemy"].engine.dispose()


def test_pages_answer_503_with_retry_after_while_the_database_is_down(down_app):
    client = down_app.test_client()
    assert client.get("/healthz").status_code == 200
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json["checks"]["database"].startswith("unreachable")
    for path in ("/", "/courses", "/institutions"):
        page = client.get(path, headers={"Accept-Language": "en"})
        assert page.status_code == 503, path
        assert page.headers["Retry-After"] == "5"
        assert page.headers["Cache-Control"] == "no-store"
        assert "Content-Security-Policy" in page.headers
        body = page.get_data(as_text=True)
        assert "<h1>Temporarily unavailable</h1>" in body
        assert "cannot reach its database right now" in body
        assert "Traceback" not in body


def test_the_503_page_speaks_korean(down_app):
    page = down_app.test_client().get("/courses", headers={"Accept-Language": "ko"})
    assert page.status_code == 503
    body = page.get_data(as_text=True)
    assert '<html lang="ko">' in body
    assert "일시적으로 사용할 수 없음" in body
    assert "데이터베이스에 연결할 수 없습니다" in body


def test_the_json_apis_answer_their_own_503(down_app):
    client = down_app.test_client()
    api = client.get("/api/v1/courses")
    assert api.status_code == 503
    assert api.headers["Retry-After"] == "5"
    assert api.json["status"] == 503
    assert "cannot reach its database" in api.json["message"]
    ooapi = client.get("/ooapi/v5/courses")
    assert ooapi.status_code == 503
    assert ooapi.mimetype == "application/problem+json"
    assert ooapi.json["status"] == "503"


def test_a_write_while_the_database_is_down_says_it_was_not_saved(down_app):
    client = down_app.test_client()
    login = client.get("/account/login")
    assert login.status_code == 200  # the form itself needs no database
    token = CSRF.search(login.get_data(as_text=True)).group(1)
    response = client.post(
        "/account/login",
        data={"email": "ada@example.org", "password": "correct horse battery", "csrf_token": token},
    )
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert "Your change was not saved" in response.get_data(as_text=True)


def test_pool_settings_come_from_configuration(tmp_path):
    app = unreachable_app(tmp_path, f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/p")
    app2 = create_app(
        {
            "MOOC_ENV": "testing",
            "SECRET_KEY": TEST_SECRET,
            "MOOC_DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:5432/p",
            "MOOC_DATABASE_POOL_SIZE": 3,
            "MOOC_DATABASE_MAX_OVERFLOW": 0,
        },
        instance_path=str(tmp_path / "instance2"),
    )
    with app.app_context():
        default = app.extensions["sqlalchemy"].engine.pool
    with app2.app_context():
        configured = app2.extensions["sqlalchemy"].engine.pool
    assert default.size() == 5
    assert configured.size() == 3


def test_readyz_checks_the_job_queue_when_one_is_configured(tmp_path):
    # Issue 10: /readyz says not ready while the queue's Redis is out of reach.
    app = create_app(
        {
            "MOOC_ENV": "testing",
            "SECRET_KEY": TEST_SECRET,
            "MOOC_DATABASE_URL": f"sqlite:///{tmp_path / 'portal.sqlite3'}",
            "MOOC_REDIS_URL": f"redis://127.0.0.1:{closed_port()}/0",
        },
        instance_path=str(tmp_path / "instance"),
    )
    with app.app_context():
        from mooc_portal.migrate import upgrade_database

        upgrade_database()
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"]["database"] == "ok"
    assert response.json["checks"]["queue"].startswith("unreachable")
    with app.app_context():
        app.extensions["sqlalchemy"].engine.dispose()
