"""One commit per request: unless the view raised, or said it must not commit.

The status of the response plays no part. These tests give a fresh portal a few views of the
portal blueprint that write a row and then answer in each way, and look for the row from
another connection afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from flask import Flask, abort
from sqlalchemy import create_engine, delete, select

from mooc_portal.catalog.models import SubjectArea
from mooc_portal.db import session
from mooc_portal.errors import InvalidInput
from mooc_portal.transaction import install_request_transaction, no_commit
from tests.conftest import make_test_app


def _write(code: str) -> None:
    session.add(SubjectArea(code=code, label="written by the test view"))
    session.flush()


def add_test_views(app: Flask) -> None:
    def answers_422(code: str) -> tuple[str, int]:
        _write(code)
        return "kept, though the answer is an error status", 422

    def raises_a_domain_error(code: str) -> str:
        _write(code)
        raise InvalidInput("refused after a write")

    def aborts(code: str) -> str:
        _write(code)
        abort(404)

    def says_no_commit(code: str) -> str:
        _write(code)
        no_commit()
        return "a preview: nothing is kept"

    for view in (answers_422, raises_a_domain_error, aborts, says_no_commit):
        # Endpoints of the portal blueprint: its after_request decides about the commit.
        app.add_url_rule(f"/test/{view.__name__}/<code>", f"portal.{view.__name__}", view)
    install_request_transaction(app)


@pytest.fixture
def portal(databases, backend) -> Iterator[Flask]:
    databases.app(backend)  # migrated
    app = make_test_app(databases.url(backend))
    add_test_views(app)
    yield app
    with app.app_context():
        session.execute(delete(SubjectArea).where(SubjectArea.label.like("written by%")))
        session.commit()
        app.extensions["sqlalchemy"].engine.dispose()


def stored(portal: Flask, code: str) -> bool:
    with portal.app_context():
        engine = create_engine(portal.extensions["sqlalchemy"].engine.url)
    try:
        with engine.connect() as connection:
            found = connection.scalar(select(SubjectArea.code).where(SubjectArea.code == code))
    finally:
        engine.dispose()
    return found is not None


@pytest.mark.parametrize(
    ("view", "status", "kept"),
    [
        ("answers_422", 422, True),
        ("raises_a_domain_error", 400, False),
        ("aborts", 404, False),
        ("says_no_commit", 200, False),
    ],
)
def test_a_request_commits_unless_its_view_raised_or_said_no(portal, view, status, kept):
    # Never an ISCED-F code (four digits, seeded): a random hex one could be "0521".
    code = f"t{uuid.uuid4().hex[:3]}"
    response = portal.test_client().get(f"/test/{view}/{code}")
    assert response.status_code == status
    assert stored(portal, code) is kept


def test_a_failed_login_is_kept_for_the_throttle_and_a_refused_one_is_not(databases, backend):
    from mooc_portal.accounts.models import LoginAttempt
    from tests.conftest import AuthActions

    databases.app(backend)  # migrated
    app = make_test_app(databases.url(backend), MOOC_LOGIN_MAX_FAILURES=2)
    address = f"{uuid.uuid4().hex[:8]}@example.org"
    auth = AuthActions(app.test_client())
    try:
        answers = [auth.login(address, "guess").status_code for _ in range(4)]
        with app.app_context():
            attempts = session.scalars(
                select(LoginAttempt).where(LoginAttempt.email == address)
            ).all()
        assert answers[:2] == [200, 200] and set(answers[2:]) == {429}
        assert len(attempts) == 2
    finally:
        with app.app_context():
            session.execute(delete(LoginAttempt).where(LoginAttempt.email == address))
            session.commit()
            app.extensions["sqlalchemy"].engine.dispose()
