"""The catalog's search entries and facet counts, kept in step with courses on every flush.

A search reads :class:`~mooc_portal.catalog.models.CatalogEntry` (one narrow row per public
course, its availability as stored boundaries) and, when browsing without a search text,
:class:`~mooc_portal.catalog.models.CatalogFacetCount`. Both are derived data: this module
rewrites them from the stored courses, runs and institutions.

Every path that changes a course (the partner pages, review, the write API, imports, harvests,
an administrator deactivating an institution) goes through the ORM session, so a listener on
flush refreshes the courses it touched in the same transaction: no caller has to remember it,
and a visitor never sees a count that disagrees with the results. Bulk loads that bypass the
ORM call :func:`rebuild_entries` (as ``flask portal reindex`` does).
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, inspect, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from mooc_portal.catalog.availability import NEVER, TIMELINE_WINDOWS, RunDates, course_timeline
from mooc_portal.catalog.models import (
    CatalogEntry,
    CatalogFacetCount,
    CatalogPending,
    CatalogVersion,
    Course,
    CourseLanguage,
    CourseRecognition,
    CourseRun,
    CourseSearchDocument,
    CourseSubject,
    LanguageKind,
)
from mooc_portal.db import listen_once
from mooc_portal.institutions.models import Institution

CHUNK = 500
PENDING = "mooc_catalog_entries_pending"
COUNT_KEY = ("institution_id", "country", "region", "level", "pace")

Cell = tuple[int, str, str, str, str, str, str]


def _chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def _cells(row: Any) -> list[Cell]:
    """The facet count rows one entry adds to (``row``: an entry's columns)."""
    key = tuple(getattr(row, name) for name in COUNT_KEY)
    cells: list[Any] = [(*key, "course", "")]
    cells += [(*key, "language", value) for value in row.languages.split()]
    cells += [(*key, "field", value) for value in row.fields.split()]
    return cells


def refresh_entries(
    connection: Connection,
    course_ids: Iterable[int],
    *,
    removed: Iterable[int] = (),
    record: bool = True,
) -> None:
    """Rewrite the entries of ``course_ids`` from the stored courses, and move the facet counts
    by the difference. Courses in ``removed`` (about to be deleted) leave the catalog.

    With ``record`` (callers outside a session: commands, bulk loads) the change is recorded
    as a new catalog version at once; the flush listener records a session's changes once,
    just before its commit (:func:`record_version`)."""
    gone = set(removed)
    ids = sorted(set(course_ids) | gone)
    deltas: Counter[Cell] = Counter()
    for chunk in _chunks(ids):
        _refresh(connection, chunk, gone, deltas)
    _add_counts(connection, deltas)  # once: a rebuild touches each count row once
    if record and ids:
        record_version(connection, ids)


# Catalog versions ----------------------------------------------------------------------------

# More changed courses than this in one transaction are recorded as "every course": a process
# reloads all its columns rather than thousands of entries one by one.
MAX_CHANGED = 2000
# Versions kept: a process further behind than this reloads every entry.
KEPT_VERSIONS = 1000
# PostgreSQL advisory lock (held until the commit) that numbers versions in commit order.
VERSION_LOCK = 0x6D6F6F63  # "mooc"
CHANGED = "mooc_catalog_entries_changed"


def record_version(connection: Connection, course_ids: Iterable[int] | None) -> int:
    """Record the entries of ``course_ids`` (``None``: every course) as rewritten by a new
    catalog version, numbered after every committed one; the new version.

    On PostgreSQL the number is taken under a transaction lock: two transactions get their
    numbers in the order they commit, so a process that has read version ``v`` has seen every
    change numbered up to ``v``. Call it just before the commit (the lock is held until then).
    """
    table = CatalogVersion.__table__
    if connection.dialect.name == "postgresql":
        connection.execute(select(func.pg_advisory_xact_lock(VERSION_LOCK)))
    ids = None if course_ids is None else sorted(set(course_ids))
    changed = "*" if ids is None or len(ids) > MAX_CHANGED else " ".join(map(str, ids))
    version = (connection.scalar(select(func.max(table.c.version))) or 0) + 1
    connection.execute(
        table.insert().values(version=version, token=uuid.uuid4().hex, changed=changed)
    )
    connection.execute(delete(table).where(table.c.version <= version - KEPT_VERSIONS))
    return version


def _refresh(
    connection: Connection, ids: Sequence[int], gone: set[int], deltas: Counter[Cell]
) -> None:
    if connection.dialect.name == "postgresql":
        # Two transactions refreshing one course must not both take back the same old counts.
        connection.execute(
            select(Course.id).where(Course.id.in_(ids)).order_by(Course.id).with_for_update()
        )
    entry = CatalogEntry.__table__
    old = connection.execute(select(entry).where(entry.c.course_id.in_(ids))).all()
    courses = connection.execute(
        select(
            Course.id,
            Course.institution_id,
            Course.level,
            Course.pace,
            Course.published_at,
            Institution.country,
            Institution.region,
        )
        .join(Institution, Institution.id == Course.institution_id)
        .where(
            Course.id.in_([i for i in ids if i not in gone]),
            Course.is_public,
        )
    ).all()
    public = [c.id for c in courses]
    languages: dict[int, list[str]] = defaultdict(list)
    fields: dict[int, list[str]] = defaultdict(list)
    runs: dict[int, list[RunDates]] = defaultdict(list)
    if public:
        for course_id, language in connection.execute(
            select(CourseLanguage.course_id, CourseLanguage.language)
            .where(
                CourseLanguage.course_id.in_(public),
                CourseLanguage.kind == LanguageKind.TEACHING,
            )
            .order_by(CourseLanguage.course_id, CourseLanguage.language)
        ):
            languages[course_id].append(language)
        for course_id, code in connection.execute(
            select(CourseSubject.course_id, CourseSubject.code)
            .where(CourseSubject.course_id.in_(public))
            .order_by(CourseSubject.course_id, CourseSubject.code)
        ):
            if code[:2] not in fields[course_id]:
                fields[course_id].append(code[:2])
        runs.update(run_dates(connection, public))

    rows: list[dict[str, Any]] = []
    for course in courses:
        timeline = course_timeline(runs[course.id])
        windows = list(timeline.windows[:TIMELINE_WINDOWS])
        windows += [(NEVER, NEVER)] * (TIMELINE_WINDOWS - len(windows))
        row: dict[str, Any] = {
            "course_id": course.id,
            "institution_id": course.institution_id,
            "country": course.country,
            "region": course.region,
            "level": course.level,
            "pace": course.pace,
            "published_at": course.published_at,
            "languages": " ".join(languages[course.id]),
            "fields": " ".join(fields[course.id]),
            "upcoming_until": timeline.upcoming_until,
            "running_until": timeline.running_until,
            "unscheduled": timeline.unscheduled,
            "overflow": timeline.overflow,
        }
        for n, (start, end) in enumerate(windows, start=1):
            row[f"open_from_{n}"], row[f"open_until_{n}"] = start, end
        rows.append(row)

    for before in old:
        deltas.subtract(_cells(before))
    for after in rows:
        deltas.update(_cells(_Row(after)))
    if old:
        connection.execute(delete(entry).where(entry.c.course_id.in_(ids)))
    if rows:
        connection.execute(entry.insert(), rows)


def run_dates(connection: Connection, course_ids: Sequence[int]) -> dict[int, list[RunDates]]:
    """The dates of every run of ``course_ids`` (what their availability is decided from)."""
    runs: dict[int, list[RunDates]] = {course_id: [] for course_id in course_ids}
    for run in connection.execute(
        select(
            CourseRun.course_id,
            CourseRun.start_at,
            CourseRun.end_at,
            CourseRun.enrollment_start_at,
            CourseRun.enrollment_end_at,
            CourseRun.cancelled,
        ).where(CourseRun.course_id.in_(course_ids))
    ):
        runs[run.course_id].append(RunDates(*run[1:]))
    return runs


class _Row:
    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)


def _add_counts(connection: Connection, deltas: Counter[Cell]) -> None:
    names = (*COUNT_KEY, "facet", "value")
    changes: list[dict[str, Any]] = [
        dict(zip(names, cell, strict=True), n=n) for cell, n in sorted(deltas.items()) if n
    ]
    table = CatalogFacetCount.__table__
    # A count taken back exists already; SQLite checks ``n >= 0`` before it sees a conflict,
    # so decreases are plain updates and only increases may insert.
    decreases = [change for change in changes if change["n"] < 0]
    if decreases:
        connection.execute(
            update(table)
            .where(*(table.c[name] == bindparam(f"key_{name}") for name in names))
            .values(n=table.c.n + bindparam("delta")),
            [
                {"delta": change["n"], **{f"key_{name}": change[name] for name in names}}
                for change in decreases
            ],
        )
    increases = [change for change in changes if change["n"] > 0]
    if increases:
        insert = postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert
        statement = insert(table)
        statement = statement.on_conflict_do_update(
            index_elements=list(names), set_={"n": table.c.n + statement.excluded.n}
        )
        connection.execute(statement, increases)


def rebuild_entries(connection: Connection, *, record: bool = True) -> int:
    """Rebuild every entry and facet count from the courses; the number of public courses.
    With ``record``, a new catalog version says every entry changed."""
    connection.execute(delete(CatalogFacetCount.__table__))
    connection.execute(delete(CatalogEntry.__table__))
    ids = connection.scalars(select(Course.id).order_by(Course.id)).all()
    refresh_entries(connection, ids, record=False)
    if record:
        record_version(connection, None)
    return connection.scalar(select(func.count()).select_from(CatalogEntry.__table__)) or 0


# Refreshing on flush -------------------------------------------------------------------------

# CourseRecognition and CourseSearchDocument: the entries do not repeat the marks or the text,
# but the in-memory columns hold the marks and (PostgreSQL) the document's words, so their
# changes are recorded as a version of the course too.
WATCHED = (
    Course,
    CourseRun,
    CourseLanguage,
    CourseSubject,
    CourseRecognition,
    CourseSearchDocument,
    Institution,
)
INSTITUTION_FIELDS = ("active", "country", "region")


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    pending: list[Any] = session.info.setdefault(PENDING, [])
    deleted = []
    for obj in session.deleted:
        if isinstance(obj, Course) and obj.id is not None:
            deleted.append(obj.id)
        elif (
            isinstance(obj, WATCHED) and (course_id := getattr(obj, "course_id", None)) is not None
        ):
            pending.append(course_id)
    for obj in (*session.new, *session.dirty):
        if isinstance(obj, Institution):
            # Only what the entries repeat: not its names, nor a course added to its list.
            state = inspect(obj)
            if any(state.attrs[name].history.has_changes() for name in INSTITUTION_FIELDS):
                pending.append(obj)
        elif isinstance(obj, WATCHED):
            pending.append(obj)
    if deleted:
        # Take the counts back while the entries still exist (the delete cascades to them).
        refresh_entries(session.connection(), (), removed=deleted, record=False)
        _mark_pending(session, deleted)


def _after_flush(session: Session, _context: Any) -> None:
    pending = session.info.pop(PENDING, [])
    if not pending:
        return
    ids: set[int] = set()
    institutions: set[int] = set()
    for item in pending:
        if isinstance(item, int):
            ids.add(item)
        elif isinstance(item, Institution):
            if item.id is not None:
                institutions.add(item.id)
        elif isinstance(item, Course):
            if item.id is not None:
                ids.add(item.id)
        elif item.course_id is not None:
            ids.add(item.course_id)
    connection = session.connection()
    if institutions:
        ids.update(
            connection.scalars(select(Course.id).where(Course.institution_id.in_(institutions)))
        )
    if ids:
        refresh_entries(connection, ids, record=False)
        _mark_pending(session, ids)


def _mark_pending(session: Session, ids: Iterable[int]) -> None:
    """Note the courses whose entries this transaction rewrote: in the pending table, which
    only this transaction sees until its commit turns the rows into a version (a search in the
    same transaction, or on the same connection, reads its own changes from it)."""
    session.connection().execute(
        CatalogPending.__table__.insert(), [{"course_id": i} for i in sorted(set(ids))]
    )
    session.info[CHANGED] = True


def _before_commit(session: Session) -> None:
    """Record the transaction's changed entries as one catalog version, last thing before the
    commit (the flush that commit would run comes first, so nothing is left out)."""
    if session.new or session.dirty or session.deleted:
        session.flush()
    if session.info.pop(CHANGED, None):
        pending = CatalogPending.__table__
        ids = session.connection().scalars(delete(pending).returning(pending.c.course_id)).all()
        if ids:
            record_version(session.connection(), ids)


def _after_transaction_end(session: Session, transaction: Any) -> None:
    # Not on a savepoint's rollback: the pending rows flushed before it still stand.
    if transaction.parent is None:
        session.info.pop(CHANGED, None)


def install_entry_maintenance(session_class: type[Session]) -> None:
    """Listen on the flushes of the portal's sessions (idempotent; called by ``init_app``).

    On the class of ``db.session``'s sessions (the host's Flask-SQLAlchemy session when the
    portal is mounted in a host with one), so every request, job and command keeps the entries
    in step, and a host's other sessions are left alone.
    """
    listen_once(session_class, "before_flush", _before_flush)
    listen_once(session_class, "after_flush", _after_flush)
    listen_once(session_class, "before_commit", _before_commit)
    listen_once(session_class, "after_transaction_end", _after_transaction_end)
