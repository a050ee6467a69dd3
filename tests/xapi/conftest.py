from __future__ import annotations

import base64
import os
import uuid
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from mooc_portal.xapi.credentials import create_credential
from tests.conftest import POSTGRES_URL, postgres_unavailable_reason
from tests.factories import make_account, make_institution

VERSION = {"X-Experience-API-Version": "1.0.3"}


def basic(key: str, secret: str) -> dict[str, str]:
    token = base64.b64encode(f"{key}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {token}", **VERSION}


class Partner:
    """An institution, its manager and one xAPI credential, with request helpers."""

    def __init__(self, client: Any, name: str) -> None:
        self.client = client
        self.institution = make_institution(name)
        self.manager = make_account(memberships={self.institution: "manager"})
        self.credential, self.secret = create_credential(self.manager, self.institution, "LMS")
        self.headers = basic(self.credential.key, self.secret)

    def post(self, body: Any, **kwargs: Any) -> Any:
        return self.client.post("/xapi/statements", json=body, headers=self.headers, **kwargs)

    def put(self, statement_id: str, body: Any) -> Any:
        return self.client.put(
            f"/xapi/statements?statementId={statement_id}", json=body, headers=self.headers
        )

    def get(self, path: str = "/xapi/statements", **params: Any) -> Any:
        return self.client.get(path, query_string=params, headers=self.headers)


@pytest.fixture
def partner(client, db_session) -> Partner:
    made = Partner(client, "Statement University")
    db_session.commit()
    return made


@pytest.fixture
def other_partner(client, db_session) -> Partner:
    made = Partner(client, "Other University")
    db_session.commit()
    return made


def statement(
    verb: str = "http://adlnet.gov/expapi/verbs/experienced",
    *,
    mbox: str = "mailto:learner@example.org",
    activity: str = "https://lms.example.org/course/1",
    **extra: Any,
) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "actor": {"objectType": "Agent", "mbox": mbox},
        "verb": {"id": verb, "display": {"en-US": verb.rsplit("/", 1)[-1]}},
        "object": {"objectType": "Activity", "id": activity},
        **extra,
    }


@pytest.fixture(params=["sqlite", "postgresql"])
def scratch_database(request, tmp_path):
    """A database of its own for a live portal (what it writes is not rolled back)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'adl.sqlite3'}"
        return
    reason = postgres_unavailable_reason()
    if reason:
        if os.environ.get("MOOC_REQUIRE_POSTGRES"):
            pytest.fail(f"MOOC_REQUIRE_POSTGRES is set but {reason}")
        pytest.skip(reason)
    name = f"mooc_adl_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
