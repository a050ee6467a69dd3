"""Writing a batch of statements in a few round trips.

On PostgreSQL the rows go in with ``COPY`` (one stream, no SQL to build or parse per row) and
the reported figures with one upsert from arrays; elsewhere (SQLite, ``make run``) with
``executemany``. Both run in the request's transaction, like any other write.
"""

from __future__ import annotations

from typing import Any, cast

import psycopg
from psycopg import sql
from sqlalchemy import insert, text

from mooc_portal.db import session


def on_postgresql() -> bool:
    return session.connection().dialect.name == "postgresql"


def _copy(table: str, rows: list[dict[str, Any]]) -> None:
    columns = list(rows[0])
    # Only PostgreSQL copies (insert_rows): its driver is psycopg 3, which has COPY.
    raw = cast("psycopg.Connection[Any]", session.connection().connection.dbapi_connection)
    assert raw is not None
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    )
    with raw.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row([row[c] for c in columns])


def insert_rows(model: Any, rows: list[dict[str, Any]]) -> None:
    """INSERT ``rows`` (dicts with the same keys, every value given) into ``model``'s table."""
    if not rows:
        return
    if on_postgresql():
        _copy(model.__tablename__, rows)
    else:
        session.execute(insert(model), rows)


def insert_rows_returning_ids(model: Any, rows: list[dict[str, Any]]) -> list[int]:
    """:func:`insert_rows`; the new rows' primary keys, in the order of ``rows``."""
    if not rows:
        return []
    if not on_postgresql():
        return list(
            session.scalars(
                insert(model).returning(model.id, sort_by_parameter_order=True), rows
            ).all()
        )
    ids = list(
        session.scalars(
            text(
                "SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)"
            ),
            {"table": model.__tablename__, "n": len(rows)},
        )
    )
    _copy(model.__tablename__, [{"id": key, **row} for key, row in zip(ids, rows, strict=True)])
    return ids
