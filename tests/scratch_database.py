"""Scratch PostgreSQL databases for tests and benchmarks: made with a unique name, dropped
after (also while connections are open).

The server is ``MOOC_TEST_POSTGRES_URL`` (default: 127.0.0.1:5432, user postgres); a
benchmark may pass another one. Used by ``tests/conftest.py``, the tests that need a database
of their own and ``benchmarks/``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

POSTGRES_URL = os.environ.get(
    "MOOC_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def postgres_unavailable_reason(server_url: str = POSTGRES_URL) -> str | None:
    """Why the PostgreSQL server cannot be reached, or None when it can."""
    try:
        engine = create_engine(server_url, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
    except Exception as exc:  # any failure to connect means: skip, with the reason
        return f"PostgreSQL not reachable at {make_url(server_url).render_as_string()}: {exc}"
    return None


def _execute(server_url: str, statement: str) -> None:
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(statement))
    finally:
        admin.dispose()


def create_database(prefix: str, server_url: str = POSTGRES_URL) -> tuple[str, str]:
    """Create an empty database named ``<prefix>_<pid>_<random>``: (its name, its URL)."""
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    _execute(server_url, f'CREATE DATABASE "{name}"')
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    return name, url


def drop_database(name: str, server_url: str = POSTGRES_URL) -> None:
    """Drop the database, ending the connections still open to it."""
    _execute(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def scratch_database(prefix: str, server_url: str = POSTGRES_URL) -> Iterator[str]:
    """A new database's URL for the ``with`` block; dropped after it."""
    name, url = create_database(prefix, server_url)
    try:
        yield url
    finally:
        drop_database(name, server_url)
