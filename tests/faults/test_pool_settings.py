"""The pool settings as PostgreSQL sees them: prepared statements behind PgBouncer."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from mooc_portal.catalog.models import Course
from tests.conftest import make_test_app
from tests.faults.conftest import migrated_database


@pytest.mark.parametrize(("pgbouncer", "prepared"), [(False, True), (True, False)])
def test_no_server_side_prepared_statements_behind_pgbouncer(shared_cluster, pgbouncer, prepared):
    """psycopg prepares a statement run five times on a connection; PgBouncer in transaction
    pooling would hand that statement to another client's server connection."""
    app = make_test_app(migrated_database(shared_cluster), MOOC_DATABASE_PGBOUNCER=pgbouncer)
    with app.app_context():
        engine = app.extensions["sqlalchemy"].engine
        with engine.connect() as connection:
            for _ in range(8):
                connection.execute(select(Course.id).where(Course.slug == "x")).all()
            count = connection.execute(text("SELECT count(*) FROM pg_prepared_statements")).scalar()
        engine.dispose()
    assert (count > 0) is prepared
