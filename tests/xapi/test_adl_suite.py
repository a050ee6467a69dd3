"""ADL's LRS conformance suite, statement requirements, against a live portal on each
database (a scratch database each: the suite leaves what it writes)."""

import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.conftest import POSTGRES_URL, postgres_unavailable_reason
from tests.xapi.adl import STATEMENT_REQUIREMENTS, installed_suite, run_suite
from tests.xapi.live import live_portal


@pytest.fixture(params=["sqlite", "postgresql"])
def scratch_database(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'adl.sqlite3'}"
        return
    reason = postgres_unavailable_reason()
    if reason:
        import os

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


def test_the_statement_requirements_of_adls_suite_pass(scratch_database):
    installed_suite()
    with live_portal(scratch_database) as portal:
        result = run_suite(portal.endpoint, portal.key, portal.secret, grep=STATEMENT_REQUIREMENTS)
    assert result.total > 250, result
    assert result.failed == 0, "\n".join(result.failures)
