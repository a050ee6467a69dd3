"""The planner's statistics are kept current on SQLite (PRAGMA optimize): without them the
full-text match ran once per course."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from mooc_portal.db import refresh_statistics, session
from tests.factories import make_course


def test_statistics_exist_after_a_bulk_change(app, backend):
    if backend != "sqlite":
        pytest.skip("PostgreSQL's autovacuum keeps its own statistics")
    for n in range(30):
        make_course(f"Analysed Course {n}")
    refresh_statistics()
    tables = set(session.scalars(text("SELECT tbl FROM sqlite_stat1")))
    assert "mooc_course" in tables
