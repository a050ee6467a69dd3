"""Running the portal's own migrations, in the standalone app or in a host application."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from flask import current_app

from mooc_portal.resources import resource_dir


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(resource_dir("migrations")))
    return config


def upgrade_database(revision: str = "head") -> None:
    """Upgrade the current app's database to ``revision`` (call inside an app context)."""
    assert current_app  # needs an application context
    command.upgrade(alembic_config(), revision)
