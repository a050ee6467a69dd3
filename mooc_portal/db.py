"""The declarative base of every portal model, and access to the database session.

Portal models use their own :class:`Base` (tables named ``mooc_*``) so that the portal can
live beside a host's models in the host's database, through the host's Flask-SQLAlchemy.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from flask import current_app
from sqlalchemy import DateTime, MetaData, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from sqlalchemy.types import TypeDecorator
from werkzeug.local import LocalProxy

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every database (SQLite stores no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC datetimes")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), uuid.UUID: Uuid()}


class PublicIdMixin:
    """A public identifier for federation: generated once, never reused, never changed."""

    uuid: Mapped[uuid.UUID] = mapped_column(unique=True, default=uuid.uuid4)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    modified_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


def get_session() -> Session:
    """The current application's database session (the host's when the portal is a plugin)."""
    return current_app.extensions["sqlalchemy"].session


session: Session = LocalProxy(get_session)  # type: ignore[assignment]


def refresh_statistics() -> None:
    """Bring the query planner's statistics up to date after a bulk change (an upgrade, a
    reindex, an import, a harvest), so that it plans with the catalog's real sizes.

    On SQLite nothing else runs ``ANALYZE``: without statistics the planner ran the full-text
    match once per course (seconds for a one-letter search in 3,000 courses). ``PRAGMA
    optimize`` analyses the tables whose statistics are missing or stale (bit 0x10000: every
    table, not only those this connection used), at most ``analysis_limit`` rows per index; the
    first time a plain ``ANALYZE`` (optimize skips tables it finds small). PostgreSQL's
    autovacuum keeps its own statistics: nothing to do there. Commits what the session holds.
    """
    session.commit()
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("PRAGMA analysis_limit=1000")
        analysed = (
            connection.exec_driver_sql(
                "SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'"
            ).first()
            and connection.exec_driver_sql(
                "SELECT 1 FROM sqlite_stat1 WHERE tbl = 'mooc_course' LIMIT 1"
            ).first()
        )
        # PRAGMA optimize leaves a table it finds small unanalysed: the first time, all of them.
        connection.exec_driver_sql("PRAGMA optimize=0x10002" if analysed else "ANALYZE")
    session.commit()
