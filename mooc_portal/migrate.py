"""Running the portal's own migrations, in the standalone app or in a host application."""

from __future__ import annotations

from typing import Any

from alembic import command
from alembic.config import Config
from flask import current_app

from mooc_portal.resources import resource_dir

# Objects the ORM does not map but the migrations create on purpose.
UNMAPPED = {
    "mooc_course_fts",
    "ix_mooc_course_search_tsv",
    "document_tsv",
    "ix_mooc_catalog_entry_newest",
    "mooc_search_trigram",
    "ix_mooc_search_word_trgm",
    "mooc_search_lexeme",
    "words",
    "ix_mooc_catalog_entry_words",
}


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """What the portal's migrations own: ``mooc_*`` tables, not a host's, nor FTS5's shadow
    tables (``mooc_course_fts_*``), nor the search objects made by hand in the migrations."""
    name = name or ""
    if type_ == "table" and (not name.startswith("mooc_") or name.startswith("mooc_course_fts")):
        return False
    return name not in UNMAPPED


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(resource_dir("migrations")))
    return config


def upgrade_database(revision: str = "head") -> None:
    """Upgrade the current app's database to ``revision`` (call inside an app context)."""
    from mooc_portal.db import refresh_statistics

    assert current_app  # needs an application context
    command.upgrade(alembic_config(), revision)
    refresh_statistics()
