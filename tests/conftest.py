"""Fixtures: the app on SQLite and on PostgreSQL, each test in a transaction rolled back after.

Every test that uses ``app`` runs once per database backend. PostgreSQL is the server at
``MOOC_TEST_POSTGRES_URL`` (default: the machine's 127.0.0.1:5432, user postgres); a fresh
database is created for the test session and dropped after. Without a reachable server the
PostgreSQL half is skipped with the reason.
"""

from __future__ import annotations

import contextvars
import os
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, has_app_context
from flask.testing import FlaskClient
from flask_sqlalchemy.session import _app_ctx_id
from sqlalchemy import event
from sqlalchemy.orm import Session, scoped_session, sessionmaker

from mooc_portal import create_app
from mooc_portal.db import portal_session_class
from mooc_portal.migrate import upgrade_database
from mooc_portal.signals import mail_sent
from tests.scratch_database import (  # noqa: F401 (POSTGRES_URL: for other tests)
    POSTGRES_URL,
    create_database,
    drop_database,
    postgres_unavailable_reason,
)

BACKENDS = ("sqlite", "postgresql")
TEST_SECRET = "test-secret-key-not-for-production"


class Databases:
    """One migrated database per backend for the whole test session."""

    def __init__(self, tmp_dir: Path) -> None:
        self.tmp_dir = tmp_dir
        self.urls: dict[str, str] = {}
        self.apps: dict[str, Flask] = {}
        self._pg_database: str | None = None
        self._pg_reason: str | bool | None = False

    def url(self, backend: str) -> str:
        if backend in self.urls:
            return self.urls[backend]
        if backend == "sqlite":
            url = f"sqlite:///{self.tmp_dir / 'portal-test.sqlite3'}"
        else:
            if self._pg_reason is False:
                self._pg_reason = postgres_unavailable_reason()
            if self._pg_reason:
                if os.environ.get("MOOC_REQUIRE_POSTGRES"):
                    pytest.fail(f"MOOC_REQUIRE_POSTGRES is set but {self._pg_reason}")
                pytest.skip(str(self._pg_reason))
            self._pg_database, url = create_database("mooc_test")
        self.urls[backend] = url
        return url

    def app(self, backend: str) -> Flask:
        if backend not in self.apps:
            app = make_test_app(self.url(backend))
            with app.app_context():
                upgrade_database()
            self.apps[backend] = app
        return self.apps[backend]

    def close(self) -> None:
        for app in self.apps.values():
            with app.app_context():
                app.extensions["sqlalchemy"].engine.dispose()
        if self._pg_database:
            drop_database(self._pg_database)


class IsolatedClient(FlaskClient):
    """A test client whose every request gets its own app context, as in production.

    pytest-flask pushes a request context for each test; Flask would reuse its app context
    (and so ``g``, the locale and the database session) for the client's requests. Running
    each request in an empty ``contextvars`` context gives it a fresh one.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        # Buffered: a streamed body is read inside the request's own context too.
        kwargs.setdefault("buffered", True)
        response = contextvars.Context().run(super().open, *args, **kwargs)
        if has_app_context():
            # The test's own objects now read what the request stored, as a user would see it.
            self.application.extensions["sqlalchemy"].session.expire_all()
        return response


def make_test_app(database_url: str, **config: Any) -> Flask:
    app = _create_test_app(database_url, **config)
    app.test_client_class = IsolatedClient
    return app


def _create_test_app(database_url: str, **config: Any) -> Flask:
    return create_app(
        {
            "MOOC_ENV": "testing",
            "TESTING": True,
            "SECRET_KEY": TEST_SECRET,
            "MOOC_DATABASE_URL": database_url,
            "SERVER_NAME": None,
            # Whatever the environment says: the tests of the address rules need them on.
            "MOOC_ALLOW_PRIVATE_PEERS": False,
            **config,
        }
    )


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    dbs = Databases(tmp_path_factory.mktemp("db"))
    yield dbs
    dbs.close()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def app(databases: Databases, backend: str) -> Iterator[Flask]:
    """The portal on a migrated database; everything a test writes is rolled back after it."""
    app = databases.app(backend)
    reset_shared_state(app)
    with rolled_back(app):
        yield app


def reset_shared_state(app: Flask) -> None:
    """Each test starts with an empty page cache and no rate-limit hits (the app is shared)."""
    extras = app.extensions["mooc_portal"].extras
    extras["cache"].clear()
    extras["limiter"].reset()


@contextmanager
def rolled_back(app: Flask) -> Iterator[None]:
    """Run inside one outer transaction; commits become savepoints, all undone at the end."""
    db = app.extensions["sqlalchemy"]
    with app.app_context():
        connection = db.engine.connect()
    transaction = connection.begin()
    original = db.session
    db.session = scoped_session(
        sessionmaker(
            bind=connection,
            join_transaction_mode="create_savepoint",
            class_=rolled_back_session_class(app),
        ),
        scopefunc=_app_ctx_id,
    )
    try:
        yield
    finally:
        db.session = original
        transaction.rollback()
        connection.close()


def rolled_back_session_class(app: Flask) -> type[Session]:
    """A session class bound to the test's connection that is still one of the portal's
    sessions: a subclass of ``db.session``'s class, so the listeners ``init_app`` bound to it
    (change feed, catalog entries, cache, outbox) run for the test's sessions too."""
    portal_class = portal_session_class(app)
    db = app.extensions["sqlalchemy"]

    class RolledBackSession(portal_class):  # type: ignore[misc,valid-type]
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(db=db, **kwargs)

        def get_bind(self, *args: Any, **kwargs: Any) -> Any:
            # The test's connection, not the engine Flask-SQLAlchemy's get_bind would pick.
            return Session.get_bind(self, *args, **kwargs)

    return RolledBackSession


@pytest.fixture
def db_session(app: Flask) -> Session:
    """The session of the test's own app context (pytest-flask pushes one per test)."""
    return app.extensions["sqlalchemy"].session


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> Any:
    return app.test_cli_runner()


class QueryCounter:
    """Counts the SQL statements the app sends while active."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO")):
            self.statements.append(statement)

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_queries(app: Flask) -> Any:
    """``with count_queries() as counter: ...`` then ``counter.count``."""

    @contextmanager
    def counting() -> Iterator[QueryCounter]:
        counter = QueryCounter()
        with app.app_context():
            engine = app.extensions["sqlalchemy"].engine
        event.listen(engine, "before_cursor_execute", counter)
        try:
            yield counter
        finally:
            event.remove(engine, "before_cursor_execute", counter)

    return counting


class AuthActions:
    """Log in and out through the real pages, as flaskr's tests do."""

    def __init__(self, client: FlaskClient) -> None:
        self._client = client

    def csrf_token(self, path: str = "/account/login") -> str:
        import re

        page = self._client.get(path).get_data(as_text=True)
        match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page)
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def login(self, email: str, password: str = "correct horse battery") -> Any:
        return self._client.post(
            "/account/login",
            data={"email": email, "password": password, "csrf_token": self.csrf_token()},
        )

    def logout(self) -> Any:
        return self._client.post("/account/logout", data={"csrf_token": self.csrf_token("/")})


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)


@pytest.fixture
def fake_dns(app: Flask) -> Iterator[dict[str, list[str]]]:
    """A resolver for peer host names: ``fake_dns["peer.example"] = ["93.184.215.14"]``.

    Tests of the portal's address rules never ask the real DNS (there is no network) and never
    connect to what a name resolves to. A name missing from the map does not resolve.
    """
    answers: dict[str, list[str]] = {}

    def resolve(host: str, port: int) -> list[str]:
        if host not in answers:
            raise OSError(f"{host} does not resolve")
        found = answers[host]
        return [found.pop(0)] if len(found) > 1 else list(found)  # successive answers

    extras = app.extensions["mooc_portal"].extras
    extras["peer_resolver"] = resolve
    try:
        yield answers
    finally:
        extras.pop("peer_resolver", None)


@pytest.fixture
def outbox(app: Flask) -> Iterator[list[EmailMessage]]:
    """The messages the portal sends during the test (through the ``mail_sent`` signal)."""
    sent: list[EmailMessage] = []

    def record(sender: Flask, message: EmailMessage) -> None:
        sent.append(message)

    with mail_sent.connected_to(record, app):
        yield sent
