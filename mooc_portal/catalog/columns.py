"""The catalog entries as columns in each process's memory, for counting facets.

A search at 100,000 courses matches thousands of them: counting the facets of the matches in
SQL meant reading one entry row per match (17,722 for ``data`` at 100,000 courses), which cost
more than everything else in the search together. The same entries held as NumPy columns
(institution, country, region, level, pace, languages, broad fields, audience marks,
publication time and the availability boundaries, a few megabytes at 100,000 courses) are
counted in microseconds per thousand matches, like the doc values of a search engine. On
PostgreSQL the entries' lexeme ids (``words``) are held too, as an inverted index, so the text's
matches come from memory as well (reading them from the GIN index meant visiting the heap page
of every match).

The database stays the one source: every transaction that rewrites entries records a
:class:`~mooc_portal.catalog.models.CatalogVersion` (the course ids, numbered in commit order,
``catalog.entries``). A search reads the versions after the columns' own in the same
statement as its text matches, and the columns read the changed courses' entries again (or all
of them, when the process is too far behind, a version was rolled back, or thousands changed)
before counting. Results and counts are both computed from these columns, so a count never
disagrees with the results. Columns are immutable: an update makes new ones, swapped in under
a lock, so threads never see a half-made state. Entries a transaction changed and has not
committed yet (``mooc_catalog_pending``) are read for that transaction alone.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import BigInteger, Connection, Integer, String, cast, func, literal_column, select
from sqlalchemy.dialects.postgresql import aggregate_order_by

from mooc_portal.catalog.availability import Availability, Timeline, course_timeline
from mooc_portal.catalog.entries import run_dates
from mooc_portal.catalog.models import (
    AUDIENCES,
    CatalogEntry,
    CatalogPending,
    CatalogVersion,
    CourseRecognition,
)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
# More changed courses than this since the columns were read whole: read them all again.
MAX_INCREMENTAL = 2000
# The sort key of a course without a publication time: PostgreSQL puts NULL first in a
# descending order, SQLite last (negated in the newest order, so not the int64 minimum).
NULL_FIRST = np.iinfo(np.int64).max
NULL_LAST = np.iinfo(np.int64).min + 1
CATEGORIES = ("institution", "country", "region", "level", "pace")
WINDOWS = 3
EMPTY = np.zeros(0, dtype=np.int64)


def micros(moment: datetime) -> int:
    """A UTC time as whole microseconds since 1970 (the columns' unit)."""
    return (moment - EPOCH) // MICROSECOND


def _micros_sql(column: Any, dialect: str) -> Any:
    """A stored timestamp as microseconds since 1970, exactly (SQLite stores
    ``YYYY-MM-DD HH:MM:SS.ffffff`` text; PostgreSQL's epoch is an exact numeric)."""
    if dialect == "postgresql":
        return cast(func.extract("epoch", column) * 1_000_000, BigInteger)
    seconds = cast(func.strftime("%s", column), Integer)
    fraction = cast(func.substr(column, 21, 6), Integer)
    return seconds * 1_000_000 + fraction


def _gather(offsets: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The positions of the items of ``rows`` in a list column (``offsets``), in row order,
    and the new offsets of those rows."""
    starts = offsets[rows]
    lengths = offsets[rows + 1] - starts
    new_offsets = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum(lengths, out=new_offsets[1:])
    positions = np.repeat(starts - new_offsets[:-1], lengths) + np.arange(new_offsets[-1])
    return positions, new_offsets


def _coding(known: Sequence[str], texts: Iterable[str]) -> tuple[tuple[str, ...], dict[str, int]]:
    """``known`` values followed by the new ones among ``texts``, and each value's code."""
    values = list(known)
    index = {value: i for i, value in enumerate(values)}
    for text_ in texts:
        if text_ not in index:
            index[text_] = len(values)
            values.append(text_)
    return tuple(values), index


def _recoded(
    known: tuple[str, ...], values: tuple[str, ...], codes: np.ndarray
) -> tuple[tuple[str, ...], np.ndarray]:
    """``codes`` into ``values`` as codes into ``known`` (extended by the values it lacks)."""
    merged, index = _coding(known, values)
    remap = np.array([index[value] for value in values], dtype=np.int32)
    return merged, remap[codes] if len(codes) else codes


@dataclass(frozen=True)
class Lists:
    """A list of values per row (teaching languages, broad fields), as codes: row ``i`` holds
    ``codes[offsets[i]:offsets[i + 1]]``, each an index into ``values``."""

    values: tuple[str, ...]
    offsets: np.ndarray
    codes: np.ndarray

    @classmethod
    def build(cls, texts: Sequence[str], values: tuple[str, ...] = ()) -> Lists:
        split = [text_.split() for text_ in texts]
        known, index = _coding(values, (value for row in split for value in row))
        lengths = np.fromiter((len(row) for row in split), dtype=np.int64, count=len(split))
        offsets = np.zeros(len(split) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        codes = np.fromiter(
            (index[v] for row in split for v in row), dtype=np.int32, count=int(offsets[-1])
        )
        return cls(known, offsets, codes)

    def take(self, rows: np.ndarray) -> Lists:
        positions, offsets = _gather(self.offsets, rows)
        return Lists(self.values, offsets, self.codes[positions])

    def counts(self, rows: np.ndarray) -> dict[str, int]:
        """How many of ``rows`` hold each value (a row holds a value at most once)."""
        positions, _ = _gather(self.offsets, rows)
        if not len(positions):
            return {}
        found = np.bincount(self.codes[positions], minlength=len(self.values))
        return {self.values[i]: int(found[i]) for i in np.flatnonzero(found)}


def _concat_lists(first: Lists, second: Lists) -> Lists:
    """``first``'s rows then ``second``'s."""
    values, codes = _recoded(first.values, second.values, second.codes)
    offsets = np.concatenate([first.offsets, second.offsets[1:] + first.offsets[-1]])
    return Lists(values, offsets, np.concatenate([first.codes, codes]))


def _concat_categories(first: Categories, second: Categories) -> Categories:
    """``first``'s rows then ``second``'s."""
    values, codes = _recoded(first.values, second.values, second.codes)
    return Categories(values, np.concatenate([first.codes, codes]))


@dataclass(frozen=True)
class Categories:
    """A column of a few distinct texts (institution id, country, region...) as codes."""

    values: tuple[str, ...]
    codes: np.ndarray

    @classmethod
    def build(cls, texts: Sequence[str], values: tuple[str, ...] = ()) -> Categories:
        known, index = _coding(values, texts)
        codes = np.fromiter((index[t] for t in texts), dtype=np.int32, count=len(texts))
        return cls(known, codes)

    def code_of(self, wanted: Sequence[str]) -> list[int]:
        return [i for i, value in enumerate(self.values) if value in wanted]


@dataclass(frozen=True)
class WordIndex:
    """PostgreSQL: which public courses hold each lexeme id (the entries' ``words``).

    ``lexemes``/``courses``: every (lexeme, course) pair read at the last whole load, sorted by
    lexeme; the courses changed since are ``stale`` there and listed again in ``changed``
    (each course's current lexeme ids)."""

    lexemes: np.ndarray
    courses: np.ndarray
    stale: np.ndarray
    changed_courses: np.ndarray
    changed_lexemes: np.ndarray

    @classmethod
    def build(cls, course_ids: np.ndarray, lengths: np.ndarray, lexemes: np.ndarray) -> WordIndex:
        # 32-bit ids: 5 million (lexeme, course) pairs at 100,000 courses take 40 MB.
        owners = np.repeat(course_ids.astype(np.int32), lengths)
        lexemes = lexemes.astype(np.int32)
        order = np.argsort(lexemes, kind="stable")
        return cls(lexemes[order], owners[order], EMPTY, EMPTY, EMPTY)

    def with_changes(
        self, course_ids: np.ndarray, lengths: np.ndarray, lexemes: np.ndarray, gone: np.ndarray
    ) -> WordIndex:
        """The index after ``gone`` (changed courses) now hold these lexemes (or none)."""
        keep = ~np.isin(self.changed_courses, gone)
        return WordIndex(
            self.lexemes,
            self.courses,
            np.union1d(self.stale, gone),
            np.concatenate([self.changed_courses[keep], np.repeat(course_ids, lengths)]),
            np.concatenate([self.changed_lexemes[keep], lexemes]),
        )

    @property
    def changes(self) -> int:
        return len(self.stale)

    def matching(self, lexeme_ids: np.ndarray) -> np.ndarray:
        """The courses holding any of ``lexeme_ids`` (sorted, each once)."""
        # Of the index's own type: searchsorted would otherwise convert the whole index.
        lexeme_ids = lexeme_ids.astype(self.lexemes.dtype)
        low = np.searchsorted(self.lexemes, lexeme_ids, side="left")
        high = np.searchsorted(self.lexemes, lexeme_ids, side="right")
        lengths = high - low
        positions = np.repeat(low - (np.cumsum(lengths) - lengths), lengths) + np.arange(
            lengths.sum()
        )
        found = self.courses[positions]
        if len(self.stale):
            found = found[~np.isin(found, self.stale, assume_unique=False)]
            found = np.concatenate(
                [found, self.changed_courses[np.isin(self.changed_lexemes, lexeme_ids)]]
            )
        return _distinct(found)


def _distinct(values: np.ndarray) -> np.ndarray:
    """``values`` sorted, each once (by sorting: NumPy 2's ``unique`` hashes, which is slower
    for the tens of thousands of ids a search meets)."""
    values = np.sort(values)
    if len(values) < 2:
        return values
    kept: np.ndarray = values[np.concatenate(([True], values[1:] != values[:-1]))]
    return kept


@dataclass(frozen=True)
class CatalogColumns:
    """Every public course's entry, row ``i`` being the course ``ids[i]`` (ascending)."""

    version: int
    token: str
    ids: np.ndarray
    categories: dict[str, Categories]  # institution (its id as text), country, region...
    published: np.ndarray  # microseconds; NULL as the dialect sorts it first when descending
    windows: np.ndarray  # (rows, 3, 2): open-enrolment windows [start, end)
    upcoming_until: np.ndarray
    running_until: np.ndarray
    unscheduled: np.ndarray
    overflow: np.ndarray  # more enrolment windows than the entry holds
    audience: np.ndarray  # one bit per AUDIENCES mark
    languages: Lists
    fields: Lists
    # SQLite: how many tokens each course's document has in the FTS5 index (for ``bm25``).
    doc_tokens: np.ndarray
    # Courses with more enrolment windows than the entry holds: their whole timeline.
    timelines: dict[int, Timeline]
    words: WordIndex | None  # PostgreSQL only

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def newest(self) -> np.ndarray:
        """The rows, newest first, then by id: the catalog's ``newest`` order."""
        order = self.__dict__.get("_newest")
        if order is None:
            order = np.lexsort((self.ids, -self.published))
            object.__setattr__(self, "_newest", order)
        return order

    def locate(self, course_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The rows of those of ``course_ids`` (sorted) that are public courses, in order, and
        which of ``course_ids`` they are (a mask)."""
        if not len(self.ids) or not len(course_ids):
            return EMPTY, np.zeros(len(course_ids), dtype=bool)
        row_of = self.row_of
        known = course_ids < len(row_of)
        rows = np.full(len(course_ids), -1, dtype=np.int64)
        rows[known] = row_of[course_ids[known]]
        public: np.ndarray = rows >= 0
        return rows[public], public

    @property
    def row_of(self) -> np.ndarray:
        """Each course id's row, -1 for a course that is not public (ids are dense)."""
        table = self.__dict__.get("_row_of")
        if table is None:
            size = int(self.ids[-1]) + 1 if len(self.ids) else 0
            table = np.full(size, -1, dtype=np.int32)
            table[self.ids] = np.arange(len(self.ids), dtype=np.int32)
            object.__setattr__(self, "_row_of", table)
        return table

    def availability(self, rows: np.ndarray, now: datetime) -> np.ndarray:
        """Each row's :class:`Availability` at ``now`` (``Timeline.state``, vectorised)."""
        at = micros(now)
        windows = self.windows[rows]
        open_ = ((windows[:, :, 0] <= at) & (at < windows[:, :, 1])).any(axis=1)
        states = np.select(
            [open_, at < self.upcoming_until[rows], at < self.running_until[rows]],
            [int(Availability.OPEN), int(Availability.UPCOMING), int(Availability.IN_PROGRESS)],
            default=int(Availability.ARCHIVED),
        )
        later = states == int(Availability.ARCHIVED)
        states[later & self.unscheduled[rows]] = int(Availability.TO_BE_SCHEDULED)
        for i in np.flatnonzero(self.overflow[rows]).tolist():
            states[i] = int(self.timelines[int(self.ids[rows[i]])].state(now))
        return states

    def take(self, rows: np.ndarray) -> CatalogColumns:
        """These rows only (in this order)."""
        arrays: dict[str, Any] = {name: getattr(self, name)[rows] for name in ROW_ARRAYS}
        return replace(
            self,
            **arrays,
            categories={
                name: Categories(c.values, c.codes[rows]) for name, c in self.categories.items()
            },
            languages=self.languages.take(rows),
            fields=self.fields.take(rows),
        )

    def followed_by(self, other: CatalogColumns) -> CatalogColumns:
        """This one's rows, then ``other``'s (not reordered; ``timelines`` and ``words``
        this one's)."""
        arrays: dict[str, Any] = {
            name: np.concatenate([getattr(self, name), getattr(other, name)]) for name in ROW_ARRAYS
        }
        return replace(
            self,
            **arrays,
            categories={
                name: _concat_categories(column, other.categories[name])
                for name, column in self.categories.items()
            },
            languages=_concat_lists(self.languages, other.languages),
            fields=_concat_lists(self.fields, other.fields),
        )


# The columns that hold one value (or one fixed-size row of values) per course.
ROW_ARRAYS = (
    "ids",
    "published",
    "windows",
    "upcoming_until",
    "running_until",
    "unscheduled",
    "overflow",
    "audience",
    "doc_tokens",
)


# Loading ---------------------------------------------------------------------------------------


def _entry_query(dialect: str) -> Any:
    entry = CatalogEntry.__table__
    recognition = CourseRecognition.__table__
    marks = sum(
        (
            func.coalesce(cast(recognition.c[mark], Integer), 0) * (1 << bit)
            for bit, mark in enumerate(AUDIENCES)
        ),
        literal_column("0"),
    )
    times = [
        _micros_sql(entry.c[name], dialect)
        for n in range(1, WINDOWS + 1)
        for name in (f"open_from_{n}", f"open_until_{n}")
    ]
    return select(
        entry.c.course_id,
        cast(entry.c.institution_id, String),
        *(entry.c[name] for name in CATEGORIES[1:]),
        _micros_sql(entry.c.published_at, dialect),
        *times,
        _micros_sql(entry.c.upcoming_until, dialect),
        _micros_sql(entry.c.running_until, dialect),
        entry.c.unscheduled,
        entry.c.overflow,
        entry.c.languages,
        entry.c.fields,
        marks,
    ).select_from(entry.outerjoin(recognition, recognition.c.course_id == entry.c.course_id))


def _words_query(course_ids: Sequence[int] | None) -> Any:
    """PostgreSQL: the entries' lexeme ids as two texts (each course's number of ids, then
    every id), in course order."""
    entry = CatalogEntry.__table__
    words: Any = literal_column("mooc_catalog_entry.words")
    comma: Any = literal_column("','")
    query = select(
        func.string_agg(
            cast(func.coalesce(func.cardinality(words), 0), String),
            aggregate_order_by(comma, entry.c.course_id),
        ),
        func.string_agg(
            func.array_to_string(words, comma), aggregate_order_by(comma, entry.c.course_id)
        ),
    )
    if course_ids is not None:
        query = query.where(entry.c.course_id.in_(course_ids))
    return query


def numbers(text_: str | None) -> np.ndarray:
    """``"3,1,2"`` (what an aggregate of ids read) as an array of integers."""
    return np.fromstring(text_, dtype=np.int64, sep=",") if text_ else EMPTY


def ascending(values: np.ndarray) -> np.ndarray:
    """``values`` in ascending order, sorted in place only when they are not already."""
    if len(values) > 1 and bool((values[1:] < values[:-1]).any()):
        values.sort()
    return values


def _read(
    connection: Connection, version: int, token: str, course_ids: Sequence[int] | None = None
) -> CatalogColumns:
    """The columns of every public course, or of ``course_ids`` only (words not indexed)."""
    dialect = connection.dialect.name
    query = _entry_query(dialect)
    if course_ids is not None:
        query = query.where(CatalogEntry.__table__.c.course_id.in_(course_ids))
    rows = sorted(connection.execute(query).all(), key=lambda row: row[0])
    n = len(rows)
    by_column: list[Sequence[Any]] = list(zip(*rows, strict=True)) if rows else [()] * 20

    def ints(i: int) -> np.ndarray:
        return np.fromiter(by_column[i], dtype=np.int64, count=n)

    null = NULL_FIRST if dialect == "postgresql" else NULL_LAST
    ids = ints(0)
    overflow = np.fromiter(map(bool, by_column[16]), dtype=bool, count=n)
    return CatalogColumns(
        version=version,
        token=token,
        ids=ids,
        categories={name: Categories.build(by_column[1 + i]) for i, name in enumerate(CATEGORIES)},
        published=np.fromiter(
            (null if v is None else v for v in by_column[6]), dtype=np.int64, count=n
        ),
        windows=np.stack([ints(7 + i) for i in range(2 * WINDOWS)], axis=1).reshape(n, WINDOWS, 2),
        upcoming_until=ints(13),
        running_until=ints(14),
        unscheduled=np.fromiter(map(bool, by_column[15]), dtype=bool, count=n),
        overflow=overflow,
        audience=ints(19),
        languages=Lists.build(by_column[17]),
        fields=Lists.build(by_column[18]),
        doc_tokens=_doc_tokens(connection, ids, course_ids),
        timelines=_timelines(connection, ids[overflow].tolist()),
        words=None,
    )


def varints(data: bytes) -> list[int]:
    """The SQLite varints in ``data`` (FTS5's averages and document sizes)."""
    numbers = []
    value = 0
    for byte in data:  # counts of tokens: never the 9-byte form
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            numbers.append(value)
            value = 0
    return numbers


def _doc_tokens(
    connection: Connection, ids: np.ndarray, course_ids: Sequence[int] | None
) -> np.ndarray:
    """SQLite: the number of tokens of each course's document in the FTS5 index (its
    ``docsize`` row), as ``bm25`` reads it; zeros elsewhere."""
    tokens = np.zeros(len(ids), dtype=np.float64)
    if connection.dialect.name != "sqlite" or not len(ids):
        return tokens
    query = (
        "SELECT d.id, d.sz FROM mooc_course_fts_docsize AS d"
        " JOIN mooc_catalog_entry AS e ON e.course_id = d.id"
    )
    params: dict[str, Any] = {}
    if course_ids is not None:
        query += " WHERE d.id IN (SELECT value FROM json_each(:ids))"
        params["ids"] = "[" + ",".join(map(str, course_ids)) + "]"
    sizes = connection.exec_driver_sql(query, params).all()
    found = np.fromiter((row[0] for row in sizes), dtype=np.int64, count=len(sizes))
    counts = np.fromiter((varints(row[1])[0] for row in sizes), dtype=np.float64, count=len(sizes))
    rows = np.minimum(np.searchsorted(ids, found), len(ids) - 1)
    here = ids[rows] == found  # a course published since the entries were read: not ours
    tokens[rows[here]] = counts[here]
    return tokens


def _timelines(connection: Connection, course_ids: list[int]) -> dict[int, Timeline]:
    if not course_ids:
        return {}
    runs = run_dates(connection, course_ids)
    return {course_id: course_timeline(dates) for course_id, dates in runs.items()}


def _load(connection: Connection, version: int, token: str) -> CatalogColumns:
    columns = _read(connection, version, token)
    if connection.dialect.name == "postgresql":
        lengths, lexemes = connection.execute(_words_query(None)).one()
        columns = replace(
            columns, words=WordIndex.build(columns.ids, numbers(lengths), numbers(lexemes))
        )
    return columns


def _merge(
    connection: Connection, old: CatalogColumns, changed: set[int], version: int, token: str
) -> CatalogColumns:
    """``old`` with the entries of ``changed`` read again (a course may have left or joined)."""
    wanted = sorted(changed)
    changed_ids = np.array(wanted, dtype=np.int64)
    fresh = _read(connection, version, token, wanted)
    kept = old.take(np.flatnonzero(~np.isin(old.ids, changed_ids)))
    both = kept.followed_by(fresh)
    both = replace(
        both.take(np.argsort(both.ids, kind="stable")),
        version=version,
        token=token,
        timelines={
            **{i: t for i, t in old.timelines.items() if i not in changed},
            **fresh.timelines,
        },
        words=None,
    )
    if old.words is not None:
        lengths, lexemes = connection.execute(_words_query(wanted)).one()
        with_words = fresh.ids  # the changed courses still public, in id order
        words = old.words.with_changes(with_words, numbers(lengths), numbers(lexemes), changed_ids)
        both = replace(both, words=words)
    return both


# Keeping them up to date -------------------------------------------------------------------------


def versions_sql(dialect: str, since: Any) -> Any:
    """A scalar subquery: the versions from ``since`` on as one text,
    ``version:token:changed`` joined by ``|`` (read with the search's matches, in one
    statement, so both see the same moment)."""
    table = CatalogVersion.__table__
    row = (
        cast(table.c.version, String)
        + literal_column("':'")
        + table.c.token
        + literal_column("':'")
        + table.c.changed
    )
    return select(aggregated(dialect, row, "|")).where(table.c.version >= since).scalar_subquery()


def pending_sql(dialect: str) -> Any:
    """A scalar subquery: the courses whose entries this transaction rewrote and has not
    committed yet (comma-separated; NULL when none)."""
    table = CatalogPending.__table__
    return select(aggregated(dialect, cast(table.c.course_id, String), ",")).scalar_subquery()


def aggregated(dialect: str, value: Any, separator: str = ",") -> Any:
    """The values of a column as one text joined by ``separator`` (an aggregate)."""
    sep: Any = literal_column(f"'{separator}'")
    if dialect == "postgresql":
        return func.string_agg(value, sep)
    return func.group_concat(value, sep)


@dataclass(frozen=True)
class _Version:
    number: int
    token: str
    changed: str


def _parse_versions(text_: str | None) -> list[_Version]:
    versions = []
    for part in (text_ or "").split("|"):
        if part:
            number, token, changed = part.split(":", 2)
            versions.append(_Version(int(number), token, changed))
    return sorted(versions, key=lambda v: v.number)


class ColumnStore:
    """The columns of one database in this process (one per portal app)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._columns: CatalogColumns | None = None

    @property
    def since(self) -> int:
        """The version the columns are at (the search asks for the versions from it on)."""
        columns = self._columns
        return -1 if columns is None else columns.version

    def current(
        self, connection: Connection, versions_text: str | None, pending: str | None = None
    ) -> CatalogColumns:
        """The columns as of ``versions_text`` (what :func:`versions_sql` read from
        :attr:`since` on), reading what changed since; with the entries of ``pending`` (what
        :func:`pending_sql` read: this transaction's own changes) as this transaction sees
        them. Only columns of committed versions are kept for the other requests."""
        versions = _parse_versions(versions_text)
        with self._lock:
            columns = self._columns
            fresh = (
                columns is not None
                and bool(versions)
                and (versions[-1].number, versions[-1].token) == (columns.version, columns.token)
            )
            if not fresh:
                columns = self._update(connection, columns, versions)
                if not pending:  # else what was read holds this transaction's changes
                    self._columns = columns
        assert columns is not None
        if pending:
            changed = {int(i) for i in pending.split(",")}
            columns = _merge(connection, columns, changed, columns.version, columns.token)
        return columns

    def _update(
        self, connection: Connection, columns: CatalogColumns | None, versions: list[_Version]
    ) -> CatalogColumns:
        if not versions:  # none from ours on (ours was pruned or rolled back): read all
            latest = _parse_versions(
                connection.scalar(select(versions_sql(connection.dialect.name, _latest_version())))
            )
            last = latest[-1] if latest else _Version(-1, "", "*")
            return _load(connection, last.number, last.token)
        last = versions[-1]
        known = columns is not None and (
            versions[0].number == columns.version and versions[0].token == columns.token
        )
        changed: set[int] = set()
        for version in versions[1:] if known else ():
            if version.changed == "*":
                known = False
                break
            changed.update(int(i) for i in version.changed.split())
        if columns is None or not known:
            return _load(connection, last.number, last.token)
        stale = columns.words.changes if columns.words is not None else 0
        if len(changed) + stale > MAX_INCREMENTAL:
            return _load(connection, last.number, last.token)
        return _merge(connection, columns, changed, last.number, last.token)


def _latest_version() -> Any:
    table = CatalogVersion.__table__
    return select(func.max(table.c.version)).scalar_subquery()
