"""The declarative base of every portal model, and access to the database session.

Portal models use their own :class:`Base` (tables named ``mooc_*``) so that the portal can
live beside a host's models in the host's database, through the host's Flask-SQLAlchemy.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar, cast

from flask import Flask, current_app
from sqlalchemy import DateTime, MetaData, Table, Uuid, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import CursorResult, Result, make_url
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
    if TYPE_CHECKING:
        __table__: ClassVar[Table]  # every portal model maps one table


class PublicIdMixin:
    """A public identifier for federation: generated once, never reused, never changed."""

    uuid: Mapped[uuid.UUID] = mapped_column(unique=True, default=uuid.uuid4)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    modified_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


def get_session() -> Session:
    """The current application's database session (the host's when the portal is a plugin)."""
    found: Session = current_app.extensions["sqlalchemy"].session
    return found


session = cast(Session, LocalProxy(get_session))


def portal_session_class(app: Flask) -> type[Session]:
    """The class of the sessions ``app``'s ``db.session`` makes: what the portal's event
    listeners are bound to (``sessionmaker`` gives each factory a class of its own)."""
    scoped = app.extensions["sqlalchemy"].session
    found: type[Session] = scoped.session_factory.class_
    return found


def listen_once(session_class: type[Session], name: str, listener: Any) -> None:
    """``event.listen(session_class, name, listener)`` unless already done (``init_app`` may
    run twice). Remembered in the class's own ``__dict__``, not asked of SQLAlchemy's event
    registry (``event.contains``), whose keys hold ``id()``s: a new session class (another
    app's) can reuse the id of a collected one and be taken for it, and then never listen."""
    done: set[tuple[str, Any]] | None = session_class.__dict__.get("_mooc_listening")
    if done is None:
        done = set()
        type.__setattr__(session_class, "_mooc_listening", done)
    if (name, listener) not in done:
        event.listen(session_class, name, listener)
        done.add((name, listener))


def rowcount(result: Result[*tuple[Any, ...]]) -> int:
    """How many rows the UPDATE or DELETE that gave ``result`` matched.

    ``Session.execute`` is typed to return a ``Result``; what it returns for an UPDATE or a
    DELETE is a ``CursorResult``, which has the count.
    """
    return cast("CursorResult[*tuple[Any, ...]]", result).rowcount


def refresh_statistics() -> None:
    """Bring the query planner's statistics up to date after a bulk change (an upgrade, a
    reindex, an import, a harvest), so that it plans with the catalog's real sizes.

    On SQLite nothing else runs ``ANALYZE``: without statistics the planner ran the full-text
    match once per course (seconds for a one-letter search in 3,000 courses). ``PRAGMA
    optimize`` before SQLite 3.46 only considers the tables this connection has queried, which
    after a command may be none, so this runs an ``ANALYZE`` bounded by ``analysis_limit`` (what
    ``optimize`` runs: about 1,000 rows per index whatever the table's size). PostgreSQL's
    autovacuum keeps its own statistics. The search's plans do not depend on these statistics
    (``benchmarks/README.md``); other queries' may. Commits what the session holds.
    """
    session.commit()
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("PRAGMA analysis_limit=1000")
        connection.exec_driver_sql("ANALYZE")
    session.commit()


# SQLSTATE classes that mean "the server is not there for us right now": connection exception,
# insufficient resources (too many connections), operator intervention (shutting down, starting
# up, backend terminated, statement cancelled).
_UNAVAILABLE_SQLSTATE_CLASSES = ("08", "53", "57")
# SQLite has no server to lose: only a database busy or locked by another writer is passing. A
# file it cannot open is a configuration error, answered as any unexpected error.
_SQLITE_UNAVAILABLE = ("SQLITE_BUSY", "SQLITE_LOCKED")
# TCP keepalives, so a connection to a host that vanished (failover, cable) is noticed in
# about a minute rather than the operating system's two hours.
_KEEPALIVES = {
    "keepalives": 1,
    "keepalives_idle": 30,
    "keepalives_interval": 10,
    "keepalives_count": 3,
}


def engine_options(config: Any, url: str) -> dict[str, Any]:
    """The SQLAlchemy engine options for ``url`` from the ``MOOC_DATABASE_*`` settings.

    On PostgreSQL: a pool of ``POOL_SIZE`` (+ ``MAX_OVERFLOW``) connections, each tested before
    use (``pool_pre_ping``) and replaced after ``POOL_RECYCLE`` seconds, a connect timeout per
    host, TCP keepalives, and no server-side prepared statements behind PgBouncer (they do not
    survive transaction pooling). SQLite keeps Flask-SQLAlchemy's defaults.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return {}
    connect_args: dict[str, Any] = {
        "connect_timeout": int(config["MOOC_DATABASE_CONNECT_TIMEOUT"]),
        **_KEEPALIVES,
    }
    if config["MOOC_DATABASE_PGBOUNCER"] and parsed.get_driver_name() == "psycopg":
        connect_args["prepare_threshold"] = None
    return {
        "pool_pre_ping": bool(config["MOOC_DATABASE_PRE_PING"]),
        "pool_size": int(config["MOOC_DATABASE_POOL_SIZE"]),
        "max_overflow": int(config["MOOC_DATABASE_MAX_OVERFLOW"]),
        "pool_timeout": float(config["MOOC_DATABASE_POOL_TIMEOUT"]),
        "pool_recycle": int(config["MOOC_DATABASE_POOL_RECYCLE"]),
        # Most recently used first: the spare connections stay idle and PgBouncer's or the
        # server's idle timeout may close them (pre-ping replaces them on the next use).
        "pool_use_lifo": True,
        "connect_args": connect_args,
    }


def database_unreachable(error: BaseException) -> bool:
    """Whether ``error`` says the database is (for now) out of reach, rather than a bug.

    True for a connection lost or refused (a restart, a failover, a terminated backend), a
    server shutting down or starting up, too many connections, no free pooled connection in
    time, and SQLite's busy or locked database. The request can be tried again later; nothing
    it wrote was committed unless the error came from the commit itself.
    """
    if isinstance(error, sa_exc.TimeoutError):  # no pooled connection came free in time
        return True
    if not isinstance(error, sa_exc.DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    if not isinstance(error, sa_exc.OperationalError):
        return False
    original = error.orig
    sqlite_name = getattr(original, "sqlite_errorname", None)
    if sqlite_name is not None:
        return str(sqlite_name).startswith(_SQLITE_UNAVAILABLE)
    sqlstate = getattr(original, "sqlstate", None)
    # No SQLSTATE: the client library itself failed (refused, closed, timed out).
    return sqlstate is None or str(sqlstate)[:2] in _UNAVAILABLE_SQLSTATE_CLASSES
