"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import mooc_portal.models  # noqa: F401  (every model on Base.metadata)
from mooc_portal.db import Base
from mooc_portal.migrate import include_object


def test_models_and_migrations_agree(app, db_session):
    connection = db_session.connection()
    context = MigrationContext.configure(
        connection,
        opts={
            "include_object": include_object,
            "compare_type": True,
            "version_table": app.config["MOOC_ALEMBIC_VERSION_TABLE"],
        },
    )
    assert compare_metadata(context, Base.metadata) == []
