"""Alembic environment for the portal's tables only (``mooc_*``), with their own version table.

Works under Flask-Migrate (``flask db upgrade`` in the standalone portal) and under
``flask portal upgrade-db`` in a host application: both run inside an app context.
"""

from alembic import context
from flask import current_app

import mooc_portal.models  # noqa: F401  (registers every model on Base.metadata)
from mooc_portal.db import Base
from mooc_portal.migrate import include_object


def run_migrations() -> None:
    engine = current_app.extensions["sqlalchemy"].engine
    version_table = current_app.config.get("MOOC_ALEMBIC_VERSION_TABLE", "mooc_alembic_version")
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            version_table=version_table,
            include_object=include_object,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations()
