"""Full-text search over courses, on SQLite FTS5 and PostgreSQL alike, with facets.

One service, :func:`search_courses`, answers the catalog page in a fixed number of queries
whatever the page size or the catalog's size.

Most searches (filters on institution, country, region, level and pace only, sorted by
relevance or newest first) are counted on the process's in-memory columns
(``catalog.columns``): one statement reads the text's matches from the index (and the catalog
versions the columns must catch up with), the filters, every facet count, the availability and
the newest order are computed on the columns, and a relevance order ranks only the courses that
pass every filter (one more statement). The others run as one SQL statement: the page of ids
(with the total as a window count) and the facet counts (a ``UNION ALL`` of the eight
dimensions). Either way the page's courses and the facet's institutions are then loaded.
"""

from __future__ import annotations

import math
import re
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache
from typing import Any

import numpy as np
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    BigInteger,
    ColumnClause,
    ColumnElement,
    Join,
    ScalarSelect,
    Select,
    String,
    and_,
    bindparam,
    case,
    cast,
    column,
    exists,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
    table,
    text,
    true,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import lazyload

from mooc_portal.appctx import current_flask_app
from mooc_portal.catalog import spelling
from mooc_portal.catalog.availability import (
    Availability,
    Moment,
    run_availability_sql,
    timeline_availability_sql,
)
from mooc_portal.catalog.columns import (
    CatalogColumns,
    ColumnStore,
    aggregated,
    ascending,
    numbers,
    pending_sql,
    varints,
    versions_sql,
)
from mooc_portal.catalog.entries import COUNT_KEY
from mooc_portal.catalog.models import (
    AUDIENCES,
    CatalogEntry,
    CatalogFacetCount,
    Course,
    CourseLanguage,
    CourseRecognition,
    CourseRun,
    CourseSearchDocument,
    CourseSubject,
    CourseTranslation,
    LanguageKind,
    Level,
    Pace,
)
from mooc_portal.db import session, utcnow
from mooc_portal.i18n import LocalizedText, country_name, language_name, localized
from mooc_portal.institutions.models import Institution, InstitutionTranslation
from mooc_portal.reference import Region, subject_label

SORTS = ("relevance", "start", "newest", "title")
FACETS = (
    "institution",
    "country",
    "region",
    "language",
    "subject",
    "level",
    "pace",
    "audience",
    "availability",
)
MAX_TOKENS = 12

LEVEL_LABELS = {
    Level.INTRODUCTORY: _l("Introductory"),
    Level.INTERMEDIATE: _l("Intermediate"),
    Level.ADVANCED: _l("Advanced"),
}
PACE_LABELS = {Pace.SELF_PACED: _l("Self-paced"), Pace.INSTRUCTOR_LED: _l("Instructor-led")}
REGION_LABELS = {Region.ASIA: _l("Asia"), Region.EUROPE: _l("Europe")}
AUDIENCE_LABELS = {
    "tvet": _l("Technical and vocational (TVET)"),
    "lifelong_learning": _l("Lifelong learning"),
    "with_industry": _l("Made with industry"),
}


@dataclass(frozen=True)
class CatalogFilters:
    """What a visitor asked the catalog for; every value is already valid."""

    query: str = ""
    institution: tuple[str, ...] = ()
    country: tuple[str, ...] = ()
    region: tuple[str, ...] = ()
    language: tuple[str, ...] = ()
    subject: tuple[str, ...] = ()
    level: tuple[str, ...] = ()
    pace: tuple[str, ...] = ()
    audience: tuple[str, ...] = ()
    availability: tuple[str, ...] = ()
    sort: str = ""

    @property
    def effective_sort(self) -> str:
        if self.sort in SORTS and (self.sort != "relevance" or query_tokens(self.query)):
            return self.sort
        return "relevance" if query_tokens(self.query) else "newest"

    @property
    def is_filtered(self) -> bool:
        return bool(self.query.strip()) or any(getattr(self, name) for name in FACETS)


@dataclass(frozen=True)
class FacetOption:
    value: str
    label: str | LocalizedText
    count: int
    selected: bool


@dataclass
class SearchResult:
    courses: list[Course]
    availability: dict[int, Availability]
    total: int
    page: int
    page_size: int
    facets: dict[str, list[FacetOption]]
    sort: str
    page_out_of_range: bool = False
    requested_page: int = 1
    # "Did you mean ...?": a corrected query that finds courses, when this one found none.
    suggestion: str | None = None

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.page_size))


def search_document(course: Course) -> str:
    """Every text a visitor may search a course by, in every stored language."""
    parts: list[str] = [course.code]
    for translation in course.translations:
        parts += [
            translation.title,
            translation.summary or "",
            translation.description or "",
        ]
    for names in course.institution.translations:
        parts += [names.name, names.short_name or ""]
    text_ = "\n".join(p for p in parts if p)
    grams = [gram for run in UNSPACED.findall(text_) if len(run) > 2 for gram in bigrams(run)]
    return f"{text_}\n{' '.join(grams)}" if grams else text_


# Scripts whose words run together without spaces (Han, Kana, Thai) or form long compounds
# (Hangul: 국제무역 is "international trade"). The word tokenisers of SQLite FTS5 and
# PostgreSQL keep such a run as one token, so a search for 무역 would miss 국제무역: the
# document also carries every two-character piece of such runs, and so does the query.
UNSPACED = re.compile(
    "[\u0e00-\u0e7f\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u3400-\u4dbf"
    "\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]+"
)


def bigrams(run: str) -> list[str]:
    return [run[i : i + 2] for i in range(len(run) - 1)]


def index_course(course: Course) -> None:
    """Write (or rewrite) the course's search document; flushes."""
    document = session.get(CourseSearchDocument, course.id)
    text_ = search_document(course)
    if document is None:
        session.add(CourseSearchDocument(course_id=course.id, document=text_))
    else:
        document.document = text_
    session.flush()
    spelling.add_words(session.connection(), spelling.document_words(text_))


def query_tokens(query: str) -> list[str]:
    """The words of a visitor's query; punctuation and FTS operators are dropped, not obeyed.

    A long run of an unspaced script becomes its two-character pieces, as in the documents.
    """
    tokens: list[str] = []
    for word in re.findall(r"[^\W_]+", query or ""):
        word = word.lower()
        tokens += bigrams(word) if len(word) > 2 and UNSPACED.fullmatch(word) else [word]
    return list(dict.fromkeys(tokens))[:MAX_TOKENS]


def fts5_match(tokens: Sequence[str]) -> str:
    """An FTS5 query: every token as a quoted prefix, all required (no user syntax survives)."""
    return " ".join(f'"{token}"*' for token in tokens)


def tsquery(tokens: Sequence[str]) -> str:
    """A PostgreSQL ``to_tsquery`` text: every token a quoted prefix lexeme, all required."""
    return " & ".join(f"'{token}':*" for token in tokens)


def course_availability_sql(now: Moment, course_id: Any = None) -> ColumnElement[int]:
    """A course's availability computed from its runs: the best of its live runs, to be
    scheduled when it has none (``course_id``: the correlated course id, ``Course.id`` by
    default). The search reads :func:`entry_availability_sql` instead."""
    course_id = Course.id if course_id is None else course_id
    best = (
        select(func.min(run_availability_sql(CourseRun, now)))
        .where(CourseRun.course_id == course_id, CourseRun.cancelled.is_(False))
        .correlate_except(CourseRun)
        .scalar_subquery()
    )
    return func.coalesce(best, int(Availability.TO_BE_SCHEDULED))


def entry_availability_sql(now: Moment) -> ColumnElement[int]:
    """A public course's availability from the boundaries stored in its ``CatalogEntry``:
    comparisons with ``now``, nothing read from the runs (but for a course with more enrolment
    windows than the entry holds)."""
    return timeline_availability_sql(
        CatalogEntry, now, course_availability_sql(now, CatalogEntry.course_id)
    )


def next_start_sql(now: Moment) -> ScalarSelect[datetime | None]:
    return (
        select(func.min(CourseRun.start_at))
        .where(
            CourseRun.course_id == Course.id,
            CourseRun.cancelled.is_(False),
            CourseRun.start_at >= now,
        )
        .correlate(Course)
        .scalar_subquery()
    )


def title_sql(language: str) -> ColumnElement[str]:
    """The course title in ``language``, else in its original language (for sorting)."""

    def title_in(lang: Any) -> Any:
        return (
            select(CourseTranslation.title)
            .where(CourseTranslation.course_id == Course.id, CourseTranslation.language == lang)
            .correlate(Course)
            .scalar_subquery()
        )

    return func.lower(func.coalesce(title_in(language), title_in(Course.original_language)))


# SQLite's FTS5 table (created by the migrations, not mapped): rowid is the course id.
FTS = table("mooc_course_fts", column("rowid"))


def _fts_match(tokens: list[str]) -> Any:
    match = bindparam("fts_match", fts5_match(tokens), type_=String)
    return literal_column("mooc_course_fts").op("MATCH")(match)


# SQLite: every occurrence of every word in the FTS5 index (an fts5vocab table, migration
# 0036), and the index's averages record (its rows and tokens, as FTS5's bm25 reads them).
INSTANCES = table("mooc_course_fts_instance", column("term"), column("doc"))
FTS_AVERAGES = (
    select(literal_column("block"))
    .select_from(table("mooc_course_fts_data"))
    .where(literal_column("id") == 1)
    .scalar_subquery()
)

# PostgreSQL's stored ``to_tsvector('simple', document)``, GIN-indexed (migration 0002).
TSV = table("mooc_course_search", column("course_id"), column("document_tsv"))


def _ts_query(tokens: list[str]) -> Any:
    text_ = bindparam("ts_query", tsquery(tokens), type_=String)
    return func.to_tsquery(literal_column("'simple'"), text_)


class _CrossJoin(Join):
    """``left CROSS JOIN right ON ...`` on SQLite, which keeps ``left`` as the outer loop
    whatever its statistics say (https://sqlite.org/optoverview.html#crossjoin); a plain join
    elsewhere."""

    inherit_cache = True


@compiles(_CrossJoin)
def _compile_join(element: _CrossJoin, compiler: Any, **kw: Any) -> str:
    sql: str = compiler.visit_join(element, **kw)  # PostgreSQL: its planner needs no such hint
    return sql


@compiles(_CrossJoin, "sqlite")
def _compile_cross_join(element: _CrossJoin, compiler: Any, **kw: Any) -> str:
    # The left side is a table or a CTE's name: it holds no " JOIN ".
    sql: str = compiler.visit_join(element, **kw)
    return sql.replace(" JOIN ", " CROSS JOIN ", 1)


# The facets whose values are the entry's own columns: the stored facet counts can answer them.
SIMPLE_FACETS = ("institution", "country", "region", "level", "pace")


def _entry_columns(now: Moment) -> dict[str, Any]:
    return {
        "id": CatalogEntry.course_id,
        "institution_id": CatalogEntry.institution_id,
        "country": CatalogEntry.country,
        "region": CatalogEntry.region,
        "level": CatalogEntry.level,
        "pace": CatalogEntry.pace,
        "published_at": CatalogEntry.published_at,
        "availability": entry_availability_sql(now),
    }


def _base(
    filters: CatalogFilters, now: Moment, *, narrow: bool = False, cube: bool = False
) -> Select[Any]:
    """The public courses matching the text query, with the columns the facets filter on.

    The plan starts from the text index when there is a query (SQLite: the FTS5 match is the
    outer loop of a ``CROSS JOIN``; PostgreSQL: the GIN index), and reads one entry row per
    match. Rows that fail two facet filters or more count nowhere and are left out; with
    ``narrow``, only the rows that pass every filter are kept. With ``cube``, each row also
    says which filters it passes (``ok_<facet>``), for :func:`_cube_counts`.
    """
    columns = _entry_columns(now)
    by_facet = _conditions(columns, filters)
    conditions = list(by_facet.values())
    if conditions and "availability" not in by_facet and not narrow:
        # Only the rows that pass every filter are listed or counted by availability: the
        # others need not compare their boundaries with the clock.
        columns["availability"] = case((and_(*conditions), columns["availability"]))
    dialect = session.get_bind().dialect.name
    if (dialect == "postgresql" or cube) and not narrow:
        # The language and subject facets read these instead of probing the course's
        # languages and subjects once per match (see ``_facet_counts`` and ``_cube_counts``).
        columns["languages"] = CatalogEntry.languages
        columns["fields"] = CatalogEntry.fields
    if cube:
        # Whether the row passes each filter: the cube groups the matches by these. Only the
        # rows that pass every filter are counted by language and field: the others need not
        # carry them.
        for name, condition in by_facet.items():
            columns[f"ok_{name}"] = case((condition, 1), else_=0)
        if conditions:
            for name in ("languages", "fields"):
                columns[name] = case((and_(*conditions), columns[name]))
    selected = [value.label(name) for name, value in columns.items()]
    tokens = query_tokens(filters.query)
    if tokens and dialect == "sqlite":
        # FTS5 gives the bm25 score with the match; it costs a read per row, so only the rows
        # that pass every filter (the ones the listing sorts) are scored.
        score: ColumnElement[float] = func.bm25(literal_column("mooc_course_fts"))
        if conditions:
            score = case((and_(*conditions), score), else_=null())
        stmt = (
            select(*selected, score.label("score"))
            .select_from(_CrossJoin(FTS, CatalogEntry, CatalogEntry.course_id == FTS.c.rowid))
            .where(_fts_match(tokens))
        )
    else:
        stmt = select(*selected)
    if narrow:
        stmt = stmt.where(*conditions)
    elif len(conditions) > 1:
        failed = [case((condition, 0), else_=1) for condition in conditions]
        stmt = stmt.where(sum(failed[1:], failed[0]) <= 1)
    if tokens and dialect != "sqlite" and all(LETTERS.fullmatch(token) for token in tokens):
        # PostgreSQL: the entry's lexeme ids (``words``, GIN-indexed) hold every token's
        # prefix range of the vocabulary: the matches are read from the narrow entries
        # alone. A lexeme range is what ``'token':*`` matches, for a token of letters.
        stmt = stmt.where(
            *(ENTRY_WORDS.op("&&")(_lexeme_ids(token, i)) for i, token in enumerate(tokens))
        )
    elif tokens and dialect != "sqlite":
        # Tokens with digits (which the text parser may split): the GIN index of the documents
        # first (a materialized CTE is computed on its own), then one primary-key lookup of
        # the entry per match (a LATERAL subquery that OFFSET 0 keeps from being flattened
        # into a join the planner could turn around).
        hits = (
            select(TSV.c.course_id)
            .where(TSV.c.document_tsv.op("@@")(_ts_query(tokens)))
            .cte("hits")
            .prefix_with("MATERIALIZED")
        )
        entry = stmt.where(CatalogEntry.course_id == hits.c.course_id).offset(0).lateral("entry")
        stmt = select(*entry.c).select_from(hits).join(entry, true())
    return stmt


# PostgreSQL (migration 0023): the vocabulary of the documents' lexemes (``C`` collation, so a
# prefix is a range of its unique index), and each entry's lexeme ids, GIN-indexed.
LEXEME = table("mooc_search_lexeme", column("id"), column("lexeme"))
ENTRY_WORDS: ColumnClause[list[int]] = literal_column("mooc_catalog_entry.words")
LETTERS = re.compile(r"[^\W\d_]+")
# SQLite: a token FTS5's tokenizer keeps as it is (already lower case, no diacritics to remove).
ASCII_WORD = re.compile(r"[a-z0-9]+")


def _lexeme_ids(token: str, position: int) -> Any:
    """The ids of the lexemes that start with ``token`` (an array; NULL when none does)."""
    return (
        select(func.array_agg(LEXEME.c.id))
        .where(*_starting_with(LEXEME.c.lexeme, token, position))
        .scalar_subquery()
    )


def _starting_with(word: Any, token: str, position: int) -> tuple[Any, Any]:
    """``word`` starts with the query's token number ``position``: a range of words, bound as
    ``lexeme_from_<n>`` and ``lexeme_to_<n>`` (``_text_params``), which an index reads."""
    start, end = _lexeme_range(token)
    return (
        word >= bindparam(f"lexeme_from_{position}", start, type_=String),
        word < bindparam(f"lexeme_to_{position}", end, type_=String),
    )


def _lexeme_range(token: str) -> tuple[str, str]:
    return token, token + "\U0010ffff"


def _text_params(tokens: Sequence[str]) -> dict[str, str]:
    """The values of the text's bind parameters (``_fts_match``, ``_ts_query``,
    ``_lexeme_ids``) for a statement built for another text of the same shape."""
    params = {"fts_match": fts5_match(tokens), "ts_query": tsquery(tokens)}
    for i, token in enumerate(tokens):
        params[f"lexeme_from_{i}"], params[f"lexeme_to_{i}"] = _lexeme_range(token)
    return params


# SQLite: a text FTS5's tokenizer may change (capitals, diacritics, other scripts), searched
# with MATCH; a text of plain words is read from the index's instances, one word a letter.
MATCH_SHAPE = "q"


def _text_shape(tokens: Sequence[str], dialect: str) -> str:
    """A query of the same shape as ``tokens`` (what a built search statement depends on):
    how many tokens, and whether each is read as a range of the index's words (SQLite: plain
    lower-case ASCII words, from the index's instances; PostgreSQL: letters, a lexeme range
    each) or not (SQLite: an FTS5 MATCH, ``MATCH_SHAPE``; PostgreSQL: the documents' index)."""
    if not tokens:
        return ""
    if dialect == "sqlite" and not all(ASCII_WORD.fullmatch(token) for token in tokens):
        return MATCH_SHAPE
    if all((ASCII_WORD if dialect == "sqlite" else LETTERS).fullmatch(token) for token in tokens):
        return " ".join(f"q{chr(ord('a') + i)}" for i in range(len(tokens)))
    return "q1"


def _conditions(columns: Any, filters: CatalogFilters) -> dict[str, Any]:
    """One SQL condition per facet the visitor restricted (OR within it, AND across), on
    ``columns`` (a name to column mapping, or a selectable's ``.c``)."""
    conditions: dict[str, Any] = {}
    if filters.institution:
        slugs = select(Institution.id).where(Institution.slug.in_(filters.institution))
        conditions["institution"] = columns["institution_id"].in_(slugs)
    for name in ("country", "region", "level", "pace"):
        values = getattr(filters, name)
        if values:
            conditions[name] = columns[name].in_(values)
    if filters.availability:
        states = [int(Availability.from_slug(slug)) for slug in filters.availability]
        conditions["availability"] = columns["availability"].in_(states)
    if filters.language:
        conditions["language"] = exists().where(
            CourseLanguage.course_id == columns["id"],
            CourseLanguage.kind == LanguageKind.TEACHING,
            CourseLanguage.language.in_(filters.language),
        )
    if filters.audience:
        conditions["audience"] = exists().where(
            CourseRecognition.course_id == columns["id"],
            or_(*(getattr(CourseRecognition, mark).is_(True) for mark in filters.audience)),
        )
    if filters.subject:
        conditions["subject"] = exists().where(
            CourseSubject.course_id == columns["id"],
            or_(
                *(CourseSubject.code.startswith(code, autoescape=True) for code in filters.subject)
            ),
        )
    return conditions


def matching_course_ids(filters: CatalogFilters, *, now: datetime | None = None) -> Select[Any]:
    """The ids of the public courses matching ``filters``: the search without its order, page
    or facets, for callers that page on their own (the API's keyset pages)."""
    base = _base(filters, now or utcnow(), narrow=True).subquery("matches")
    return select(base.c.id)


# The facet name that marks the rows of the result page in the combined statement.
PAGE_ROWS = "_page"


def _facet_counts(
    matches: Any, conditions: dict[str, Any], facets: Sequence[str], passing: Any = None
) -> list[Any]:
    """``(facet, value, count)`` for each of ``facets``, each with the other facets' filters.

    ``passing``, when given, holds the matches that pass every filter: a facet the visitor did
    not filter on counts those (a few rows) instead of filtering all the matches again."""
    parts = []
    for name in facets:
        base = matches
        others = [c for facet, c in conditions.items() if facet != name]
        if passing is not None and name not in conditions:
            base, others = passing, []
        if name == "audience":
            parts.extend(_audience_counts(base, others))
            continue
        value: Any
        if name in ("language", "subject") and "languages" in base.c:
            # PostgreSQL: the teaching languages and the broad fields (each once per course)
            # that the entry repeats, unnested per match: no probe of the course's languages
            # or subjects, whose index-only scans read the heap until a vacuum has run.
            listed = base.c.languages if name == "language" else base.c.fields
            values = (
                func.unnest(func.string_to_array(listed, " "))
                .table_valued("value")
                .render_derived()
                .lateral()
            )
            stmt = select(values.c.value).select_from(base.join(values, true()))
            value = values.c.value
        # From the matches to their languages and subjects, never the other way round.
        elif name == "language":
            stmt = select(CourseLanguage.language).select_from(
                _CrossJoin(
                    base,
                    CourseLanguage,
                    and_(
                        CourseLanguage.course_id == base.c.id,
                        CourseLanguage.kind == LanguageKind.TEACHING,
                    ),
                )
            )
            value = CourseLanguage.language
        elif name == "subject":
            value = func.substr(CourseSubject.code, 1, 2)
            stmt = select(value).select_from(
                _CrossJoin(base, CourseSubject, CourseSubject.course_id == base.c.id)
            )
        else:
            value = base.c[f"{name}_id" if name == "institution" else name]
            stmt = select(value)
        parts.append(
            stmt.with_only_columns(
                literal(name, String).label("facet"),
                cast(value, String).label("value"),
                # A course is one row of the matches, and has a teaching language once; only
                # two of its subjects can share a broad field.
                (
                    func.count(func.distinct(base.c.id))
                    if name == "subject" and "fields" not in base.c
                    else func.count()
                ).label("n"),
                null().label("total"),
                null().label("position"),
                maintain_column_froms=True,
            )
            .where(*others)
            .group_by(value)
        )
    return parts


def _audience_counts(base: Any, others: list[Any]) -> list[Any]:
    """``(audience, mark, count)`` for each audience mark a match carries."""
    return [
        select(
            literal("audience", String).label("facet"),
            literal(mark, String).label("value"),
            func.count().label("n"),
            null().label("total"),
            null().label("position"),
        )
        .select_from(
            _CrossJoin(
                base,
                CourseRecognition,
                and_(
                    CourseRecognition.course_id == base.c.id,
                    getattr(CourseRecognition, mark).is_(True),
                ),
            )
        )
        .where(*others)
        .having(func.count() > 0)
        for mark in AUDIENCES
    ]


# The facet names that mark the cube's rows and the passing rows' details in the statement.
CUBE_ROWS = "_cube"
DETAIL_ROWS = "_detail"
CUBE_KEYS = ("institution", "country", "region", "level", "pace")


def _joined(parts: Sequence[Any]) -> Any:
    """``a|b|c``: several grouped values in the one text column the statement's rows share."""
    text_: Any = cast(parts[0], String)
    for part in parts[1:]:
        text_ = text_ + literal_column("'|'") + cast(part, String)
    return text_


def _cube_counts(matches: Any, passing: Any, filtered: Sequence[str]) -> list[Any]:
    """A few grouped reads of the matches instead of one per facet and value: the matches
    grouped by their simple facets' values and by which filters they pass (a few hundred rows
    at most, from which :func:`_fold_cube` sums every simple facet's counts), and the rows that
    pass every filter grouped by availability, by teaching languages, by broad fields and by
    audience marks (each a short list of values, split in Python).

    For a text search whose filters are all simple facets (``SIMPLE_FACETS``): the matches
    are read once, and nothing is probed per match but the passing rows' recognition."""
    oks = [matches.c[f"ok_{name}"] for name in filtered]
    keys = [matches.c[f"{name}_id" if name == "institution" else name] for name in CUBE_KEYS]
    recognition = CourseRecognition
    marks = [
        case(
            (getattr(recognition, mark).is_(True), literal_column("'1'")),
            else_=literal_column("'0'"),
        )
        for mark in AUDIENCES
    ]

    rows = matches if passing is None else passing  # without filters every match passes

    def grouped(facet: str, values: Sequence[Any]) -> Any:
        return select(
            literal(facet, String).label("facet"),
            _joined(values).label("value"),
            func.count().label("n"),
            null().label("total"),
            null().label("position"),
        ).group_by(*values)

    return [
        grouped(CUBE_ROWS, keys + oks),
        grouped("availability", [rows.c.availability]),
        grouped(DETAIL_ROWS + "language", [rows.c.languages]),
        grouped(DETAIL_ROWS + "subject", [rows.c.fields]),
        grouped(DETAIL_ROWS + "audience", marks).select_from(
            rows.outerjoin(recognition, recognition.course_id == rows.c.id)
        ),
    ]


def _fold_cube(rows: Sequence[Any], filtered: Sequence[str]) -> list[tuple[str, str, int]]:
    """``(facet, value, count)`` for every facet, from :func:`_cube_counts`' rows: a simple
    facet counts the matches that pass every other facet's filter (its own may fail)."""
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for facet, value, n, *_ in rows:
        if facet == CUBE_ROWS:
            parts = value.split("|")
            failed = [
                name
                for name, ok in zip(filtered, parts[len(CUBE_KEYS) :], strict=True)
                if ok != "1"
            ]
            # A match that passes every filter counts in every facet; one that fails a single
            # filter (the matches fail at most one) counts only in that filter's facet.
            for name, own in zip(CUBE_KEYS, parts, strict=False):
                if not failed or failed == [name]:
                    counts[(name, own)] += n
        elif facet == DETAIL_ROWS + "audience":
            for mark, flag in zip(AUDIENCES, value.split("|"), strict=True):
                if flag == "1":
                    counts[("audience", mark)] += n
        elif facet.startswith(DETAIL_ROWS):
            for each in value.split():  # space-separated languages or broad fields
                counts[(facet.removeprefix(DETAIL_ROWS), each)] += n
        else:
            counts[(facet, value)] += n
    return [(facet, value, n) for (facet, value), n in counts.items()]


def _count_columns() -> dict[str, Any]:
    counts = CatalogFacetCount
    return {name: getattr(counts, name) for name in COUNT_KEY}


def _stored_counts(filters: CatalogFilters) -> list[Any]:
    """The facet counts of a search without text whose filters are all simple facets, summed
    from the stored counts per institution, level and pace (no course is read)."""
    counts = CatalogFacetCount
    conditions = _conditions(_count_columns(), filters)
    parts = []
    for name in (*SIMPLE_FACETS, "language", "subject"):
        others = [c for facet, c in conditions.items() if facet != name]
        value: Any
        if name in SIMPLE_FACETS:
            kind = "course"
            value = getattr(counts, f"{name}_id" if name == "institution" else name)
        else:
            kind = "language" if name == "language" else "field"
            value = counts.value
        parts.append(
            select(
                literal(name, String).label("facet"),
                cast(value, String).label("value"),
                func.sum(counts.n).label("n"),
                null().label("total"),
                null().label("position"),
            )
            .where(counts.facet == kind, *others)
            .group_by(value)
            .having(func.sum(counts.n) > 0)
        )
    return parts


TOTAL_ROW = "_total"


def _stored_total(filters: CatalogFilters) -> Any:
    """How many public courses pass ``filters`` (simple facets only), from the stored counts."""
    counts = CatalogFacetCount
    conditions = _conditions(_count_columns(), filters)
    return select(
        literal(TOTAL_ROW, String).label("facet"),
        null().label("value"),
        func.sum(counts.n).label("n"),
        null().label("total"),
        null().label("position"),
    ).where(counts.facet == "course", *conditions.values())


def _newest_page(
    filters: CatalogFilters, now: Moment, number: int, size: int, matches: Any = None
) -> Any:
    """A page of the newest public courses passing ``filters``.

    Without ``matches``, read along the entries' newest index (SQLite): the page costs what it
    lists, not what the catalog holds. PostgreSQL, planning without statistics, expects a
    facet filter to keep one row and scans the entries instead of walking the index; there
    the page is the top of ``matches`` (the materialised rows the availability facet reads
    anyway), so the entries are scanned once, not twice.
    """
    if matches is None:
        columns = _entry_columns(now)
        entry = CatalogEntry.__table__
        source: Any = select(
            entry.c.course_id.label("id"),
            entry.c.published_at,
            columns["availability"].label("availability"),
        ).where(*_conditions(columns, filters).values())
        key = [entry.c.published_at.desc(), entry.c.course_id]
    else:
        source = select(matches.c.id, matches.c.published_at, matches.c.availability)
        key = [matches.c.published_at.desc(), matches.c.id]
    rows = source.order_by(*key).limit(size).offset((number - 1) * size).subquery("page")
    return select(
        literal(PAGE_ROWS, String).label("facet"),
        cast(rows.c.id, String).label("value"),
        rows.c.availability.label("n"),
        null().label("total"),
        func.row_number().over(order_by=[rows.c.published_at.desc(), rows.c.id]).label("position"),
    )


@dataclass(frozen=True)
class _Search:
    """A built search statement and what reading its rows needs."""

    statement: Any
    first_page: Any  # the first page alone, for a page past the last one
    settings: Any  # PostgreSQL: ``SET LOCAL`` for the search's transaction
    stored: bool
    cube: bool
    sort: str
    filtered: tuple[str, ...]


# PostgreSQL, for the search's transaction only (``set_config(..., true)`` is ``SET LOCAL``;
# why each: see ``_built_search``): no JIT, and with a text an SSD's page cost, so that the GIN
# index is read rather than every entry or document (a small catalog's plan otherwise).
NO_JIT = func.set_config("jit", "off", true())
_PG_SETTINGS = select(NO_JIT, func.set_config("random_page_cost", "1.1", true()))


@lru_cache(maxsize=512)
def _built_search(
    dialect: str, filters: CatalogFilters, language: str, page: int, page_size: int
) -> _Search:
    """The search statement for ``filters`` (whose query is only a shape: see
    ``_text_shape``), with the clock and the words as bind parameters (``search_now``,
    ``_text_params``). Building it (hundreds of SQL expression objects, and their cache key)
    cost more than running it on a small catalog; a built statement is immutable and shared
    by every request of the process."""
    now = bindparam("search_now", type_=CatalogEntry.__table__.c.published_at.type)
    # One statement: the matching courses are read once (a materialized CTE) by the page
    # listing and by the facet counts alike. Browsing without a text whose filters are all
    # simple facets takes most counts from the stored ones and reads only the courses it lists.
    tokens = query_tokens(filters.query)
    simple = all(not getattr(filters, name) for name in FACETS if name not in SIMPLE_FACETS)
    stored = not tokens and simple
    walk_newest = stored and filters.effective_sort == "newest" and dialect == "sqlite"
    # A text search whose filters are all simple facets counts every facet from a few grouped
    # reads of the matches (``_cube_counts``).
    cube = bool(tokens) and simple
    base = _base(filters, now, narrow=stored, cube=cube).cte("matches")
    if not walk_newest:  # read more than once
        base = base.prefix_with("MATERIALIZED")
    conditions = {} if stored else _conditions(base.c, filters)
    # The matches that pass every filter, materialised once: most facets count these (the
    # visitor filtered on few of them), instead of filtering every match again per facet; in
    # a cube search the listing reads them too.
    passing = None
    if conditions:
        passed = [base.c[f"ok_{name}"] == 1 for name in conditions] if cube else conditions.values()
        passing = select(*base.c).where(*passed).cte("passing").prefix_with("MATERIALIZED")
    listed = passing if cube and passing is not None else base

    sort = filters.effective_sort
    sort_key: Any = None
    rank_documents = False
    if sort == "relevance":
        if "score" in listed.c:
            sort_key = listed.c.score
        else:  # PostgreSQL: rank only the courses that passed every filter
            rank_documents = True
            sort_key = -func.ts_rank(TSV.c.document_tsv, _ts_query(tokens))
    elif sort == "start":
        sort_key = next_start_sql(now)
    elif sort == "title":
        sort_key = title_sql(language)
    else:
        sort_key = listed.c.published_at.desc()
    order = [sort_key.is_(None), sort_key] if sort == "start" else [sort_key]
    if sort == "relevance":
        order.append(listed.c.published_at.desc())
    order.append(listed.c.id)
    listing = select(
        listed.c.id,
        listed.c.availability,
        func.count().over().label("total"),
        func.row_number().over(order_by=order).label("position"),
    )
    if sort in ("start", "title"):  # their keys are read from the course by a subquery
        listing = listing.join(Course, Course.id == listed.c.id)
    if rank_documents:
        listing = listing.join(TSV, TSV.c.course_id == listed.c.id)
    if listed is base:
        listing = listing.where(*conditions.values())
    listing = listing.order_by(*order)

    def page_of(number: int) -> Any:
        if stored and sort == "newest":
            return _newest_page(
                filters, now, number, page_size, matches=None if walk_newest else base
            )
        rows = listing.limit(page_size).offset((number - 1) * page_size).subquery("page")
        return select(
            literal(PAGE_ROWS, String).label("facet"),
            cast(rows.c.id, String).label("value"),
            rows.c.availability.label("n"),
            rows.c.total,
            rows.c.position,
        )

    if stored:
        counts = [
            *_stored_counts(filters),
            _stored_total(filters),
            *_facet_counts(base, {}, ("availability", "audience")),
        ]
    elif cube:
        counts = _cube_counts(base, passing, list(conditions))
    else:
        counts = _facet_counts(base, conditions, FACETS, passing)
    settings = None
    if dialect == "postgresql":
        # For this transaction only (``set_config(..., true)`` is ``SET LOCAL``):
        # - no JIT compilation: the availability's fallback subquery (for the rare course with
        #   more enrolment windows than its entry holds) is priced per row, which puts a search
        #   at 100,000 courses far above ``jit_above_cost``; compiling its expressions then took
        #   4.3 s of a 4.7 s search that ran in 0.4 s without it (``EXPLAIN ANALYZE``);
        # - random_page_cost of an SSD: with the default (4, a spinning disk's) PostgreSQL
        #   prefers reading every document to the GIN index once a word matches a few percent
        #   of courses: 5 ms instead of 1.5 ms at 10,000 courses.
        settings = _PG_SETTINGS if tokens else select(NO_JIT)
    return _Search(
        statement=union_all(page_of(page), *counts),
        first_page=page_of(1),
        settings=settings,
        stored=stored,
        cube=cube,
        sort=sort,
        filtered=tuple(conditions),
    )


def search_courses(
    filters: CatalogFilters,
    *,
    language: str,
    page: int = 1,
    page_size: int = 20,
    now: datetime | None = None,
) -> SearchResult:
    """A page of public courses matching ``filters``, with the total and the facet counts.

    ``language`` is the visitor's: it picks the title to sort by and the facet labels. A page
    past the last one gives the first page with ``page_out_of_range`` set.
    """
    now = now or utcnow()
    page_size = max(1, page_size)
    requested_page = page
    tokens = query_tokens(filters.query)
    if counted_in_memory(filters):
        found = _search_columns(filters, tokens, now, page, page_size)
    else:
        found = _search_sql(filters, tokens, now, language, page, page_size)
    ids, page = found.ids, found.page
    # Loaded with what a course's card shows (a fixed number of queries: the translations, the
    # languages, the institution). Runs, subjects and recognition load when first used.
    by_id = {
        c.id: c
        for c in session.scalars(
            select(Course)
            .where(Course.id.in_(ids))
            .options(*(lazyload(rel) for rel in (Course.runs, Course.subjects, Course.recognition)))
        ).all()
    }
    courses = [by_id[i] for i in ids]

    facets = _facet_options(found.counts, filters, language)
    # Only a search that found nothing looks for a misspelling: the others cost what they did.
    suggestion = suggest_query(filters, now=now) if found.total == 0 and tokens else None
    return SearchResult(
        courses=courses,
        availability=found.availability,
        total=found.total,
        page=page,
        page_size=page_size,
        facets=facets,
        sort=filters.effective_sort,
        page_out_of_range=found.out_of_range,
        requested_page=requested_page,
        suggestion=suggestion,
    )


@dataclass(frozen=True)
class _Found:
    """A page of a search (its course ids, in order) with the total and the facet counts."""

    ids: list[int]
    availability: dict[int, Availability]
    total: int
    counts: Sequence[tuple[str, str, int]]
    page: int
    out_of_range: bool


def _search_sql(
    filters: CatalogFilters,
    tokens: list[str],
    now: datetime,
    language: str,
    page: int,
    page_size: int,
) -> _Found:
    """The search as one SQL statement (searches the in-memory columns do not answer)."""
    dialect = session.get_bind().dialect.name
    # Built once per shape of search (the filters, the number of words, the sort, the page)
    # and kept: a search only binds its words and the clock.
    built = _built_search(
        dialect, replace(filters, query=_text_shape(tokens, dialect)), language, page, page_size
    )
    params = {"search_now": now, **_text_params(tokens)}
    if built.settings is not None:
        session.execute(built.settings)
    rows = session.execute(built.statement, params).all()
    hits = sorted((r for r in rows if r.facet == PAGE_ROWS), key=lambda r: r.position)
    counts: Sequence[Any] = [r for r in rows if r.facet not in (PAGE_ROWS, TOTAL_ROW)]
    if built.cube:
        counts = _fold_cube(counts, built.filtered)
    out_of_range = False
    if not hits and page > 1:
        out_of_range, page = True, 1
        hits = sorted(session.execute(built.first_page, params).all(), key=lambda r: r.position)
    if built.stored:
        total = sum(r.n or 0 for r in rows if r.facet == TOTAL_ROW)
    else:
        total = hits[0].total if hits else 0
    return _Found(
        ids=[int(row.value) for row in hits],
        availability={int(row.value): Availability(row.n) for row in hits},
        total=total,
        counts=[(r[0], r[1], r[2]) for r in counts],
        page=page,
        out_of_range=out_of_range,
    )


# Searches counted in memory ------------------------------------------------------------------

# The sorts the in-memory columns order by themselves (by the text's rank, or newest first).
COLUMN_SORTS = ("relevance", "newest")


def counted_in_memory(filters: CatalogFilters) -> bool:
    """Whether the search is answered from the in-memory columns (``catalog.columns``): its
    filters are all simple facets and it sorts by relevance or newest first (most searches,
    and browsing). Others run as one SQL statement (:func:`_built_search`)."""
    simple = all(not getattr(filters, name) for name in FACETS if name not in SIMPLE_FACETS)
    return simple and filters.effective_sort in COLUMN_SORTS


def column_store() -> ColumnStore:
    """This process's columns of the portal's database (made at the first search)."""
    extras = current_flask_app().extensions["mooc_portal"].extras
    store: ColumnStore | None = extras.get(COLUMNS_KEY)
    if store is None:
        store = extras.setdefault(COLUMNS_KEY, ColumnStore())
    assert store is not None
    return store


COLUMNS_KEY = "catalog_columns"


def warm_columns() -> None:
    """Read this process's catalog columns now (in an app context), so that its first visitor
    does not wait for them: 1 to 3 seconds at 100,000 courses. gunicorn's ``post_worker_init``
    calls it in every new worker (``gunicorn.conf.py``)."""
    _current_columns(session.get_bind().dialect.name, [])
    session.rollback()


def _current_columns(dialect: str, tokens: list[str]) -> tuple[Any, CatalogColumns]:
    """What ``_matches_statement`` reads for ``tokens``, and this process's columns brought up
    to the versions it read (with the entries this transaction changed and has not committed
    yet, if any)."""
    store = column_store()
    statement = _matches_statement(dialect, _text_shape(tokens, dialect))
    row = session.execute(statement, {"columns_since": store.since, **_text_params(tokens)}).one()
    return row, store.current(session.connection(), row.versions, row.pending)


@lru_cache(maxsize=64)
def _matches_statement(dialect: str, shape: str) -> Any:
    """One statement, so that everything it reads is of the same moment: the catalog versions
    from the columns' own on (``columns_since``), this transaction's uncommitted changes, and
    what the text's matches come from: on SQLite, for plain words, each token's instances in
    the index (``docs_<n>``: the course of each occurrence) and the index's averages (for
    ``bm25``), else the ids FTS5 matches (``hits``, comma-separated); on PostgreSQL, for a text
    of letters, each token's lexeme ids (``lexemes_<n>``), which the columns' word index turns
    into courses, else the ids from the documents' index."""
    versions = versions_sql(dialect, bindparam("columns_since", type_=BigInteger))
    parts = [versions.label("versions"), pending_sql(dialect).label("pending")]
    tokens = query_tokens(shape)
    if not tokens:
        return select(*parts)
    hits: Any
    if dialect == "sqlite" and shape != MATCH_SHAPE:
        # Each token's instances in the index (the course of each occurrence of a word that
        # starts with it), and the index's averages: the matches and their bm25 from these.
        parts.append(FTS_AVERAGES.label("fts_averages"))
        for i, token in enumerate(tokens):
            docs = select(aggregated(dialect, INSTANCES.c.doc))
            docs = docs.where(*_starting_with(INSTANCES.c.term, token, i))
            parts.append(docs.scalar_subquery().label(f"docs_{i}"))
        return select(*parts)
    if dialect == "sqlite":
        hits = select(aggregated(dialect, FTS.c.rowid)).select_from(FTS).where(_fts_match(tokens))
    elif all(LETTERS.fullmatch(token) for token in tokens):
        for i, token in enumerate(tokens):
            ids = select(aggregated(dialect, cast(LEXEME.c.id, String)))
            ids = ids.where(*_starting_with(LEXEME.c.lexeme, token, i))
            parts.append(ids.scalar_subquery().label(f"lexemes_{i}"))
        return select(*parts)
    else:
        hits = select(aggregated(dialect, cast(TSV.c.course_id, String))).where(
            TSV.c.document_tsv.op("@@")(_ts_query(tokens))
        )
    return select(*parts, hits.scalar_subquery().label("hits"))


@dataclass(frozen=True)
class _Matches:
    """The courses a text matches (ids, sorted); from the index's instances (SQLite, a text of
    plain words) also what ``bm25`` reads: each token's occurrences in each match (``freq``,
    aligned with ``ids``) and inverse document frequency, and the average document length."""

    ids: np.ndarray
    freq: list[np.ndarray] | None = None
    idf: list[float] | None = None
    average_tokens: float = 0.0


def _text_matches(columns: CatalogColumns, row: Any, tokens: list[str]) -> _Matches:
    """The courses the text matches, from what ``_matches_statement`` read: a course matches
    when it holds, for every token, a word that starts with it (a lexeme, on PostgreSQL)."""
    if "fts_averages" in row._fields:
        return _instance_matches(row, len(tokens))
    if "hits" in row._fields:
        # FTS5 lists its matches by rowid (the course id), already in order; an aggregate of
        # PostgreSQL's in any order.
        return _Matches(ascending(numbers(row.hits)))
    assert columns.words is not None
    found: np.ndarray | None = None
    for i in range(len(tokens)):
        courses = columns.words.matching(numbers(getattr(row, f"lexemes_{i}")))
        found = courses if found is None else np.intersect1d(found, courses, assume_unique=True)
    return _Matches(found if found is not None else np.zeros(0, dtype=np.int64))


def _instance_matches(row: Any, count: int) -> _Matches:
    """SQLite: the matches of ``count`` tokens from their instances in the FTS5 index, with
    what FTS5's ``bm25`` computes from: the rows and tokens in the index (its averages
    record), and each token's documents and occurrences."""
    averages = varints(row.fts_averages or b"")
    rows, total = (averages[0], averages[1]) if len(averages) > 1 else (0, 0)
    per_token = []
    for i in range(count):
        # In course order for each word that starts with the token: in order already when one
        # word does.
        docs = ascending(numbers(getattr(row, f"docs_{i}")))
        if not len(docs):
            return _Matches(np.zeros(0, dtype=np.int64))
        starts = np.flatnonzero(np.concatenate(([True], docs[1:] != docs[:-1])))
        per_token.append((docs[starts], np.diff(np.append(starts, len(docs)))))
    ids = per_token[0][0]
    for docs, _freq in per_token[1:]:
        ids = np.intersect1d(ids, docs, assume_unique=True)
    freq = [
        occurrences if len(docs) == len(ids) else occurrences[np.searchsorted(docs, ids)]
        for docs, occurrences in per_token
    ]
    idf = []
    for docs, _freq in per_token:
        # fts5_aux.c, fts5Bm25GetData: the phrase's documents among every row of the index.
        value = math.log((rows - len(docs) + 0.5) / (len(docs) + 0.5))
        idf.append(value if value > 0.0 else 1e-6)
    return _Matches(ids, freq, idf, total / rows if rows else 0.0)


def _bm25(matches: _Matches, at: np.ndarray, doc_tokens: np.ndarray) -> np.ndarray:
    """FTS5's ``bm25`` (fts5_aux.c, fts5Bm25Function, k1 1.2, b 0.75) of the matches at
    positions ``at``, with the same operations in the same order, so the same numbers."""
    assert matches.freq is not None and matches.idf is not None
    k1, b = 1.2, 0.75
    score = np.zeros(len(at), dtype=np.float64)
    for freq, idf in zip(matches.freq, matches.idf, strict=True):
        f = freq[at].astype(np.float64)
        score = score + idf * (
            (f * (k1 + 1.0)) / (f + k1 * (1 - b + b * doc_tokens / matches.average_tokens))
        )
    return -1.0 * score


# The relevance of the courses that pass every filter, ranked as the SQL search ranks them:
# ``id score`` pairs in one text (one value to fetch, not a row per course; every digit of the
# score kept, so that equal and unequal scores compare as in SQL).
_SCORES = {
    "sqlite": text(
        "SELECT group_concat(pair, ' ') FROM ("
        "SELECT rowid || ' ' || printf('%.17g', bm25(mooc_course_fts)) AS pair"
        " FROM mooc_course_fts WHERE mooc_course_fts MATCH :fts_match"
        # "+rowid": a filter on the matches, not a lookup per id (one FTS query each).
        " AND +rowid IN (SELECT value FROM json_each(:ids))"
        # LIMIT -1: not flattened into the aggregate, where FTS5 cannot rank.
        " LIMIT -1)"
    ),
    "postgresql": text(
        "SELECT string_agg("
        "course_id || ' ' || CAST(-ts_rank(document_tsv, to_tsquery('simple', :ts_query))"
        " AS text), ' ') FROM mooc_course_search WHERE course_id = ANY(CAST(:ids AS integer[]))"
    ),
}


def _search_columns(
    filters: CatalogFilters, tokens: list[str], now: datetime, page: int, page_size: int
) -> _Found:
    """The search counted on this process's in-memory columns: one statement reads the text's
    matches (the index alone) and the catalog versions; the filters, the facet counts, the
    availability and the order are computed on the columns. A relevance order is FTS5's
    ``bm25`` computed in memory (SQLite, plain words), or else reads the rank of the courses
    that pass every filter in one more statement."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql" and not all(LETTERS.fullmatch(token) for token in tokens):
        session.execute(_PG_SETTINGS)  # the documents' index (see ``_matches_statement``)
    row, columns = _current_columns(dialect, tokens)
    matches: _Matches | None = None
    if tokens:
        matches = _text_matches(columns, row, tokens)
        rows, public = columns.locate(matches.ids)
    else:
        rows = np.arange(len(columns), dtype=np.int64)
    institutions: list[str] = []
    if filters.institution:
        institutions = [
            str(i)
            for i in session.scalars(
                select(Institution.id).where(Institution.slug.in_(filters.institution))
            )
        ]
    passed, counts = count_facets(columns, rows, filters, institutions)
    passing = rows[passed]
    states = columns.availability(passing, now)
    counts += [("availability", str(state), n) for state, n in _tally(states)]

    if filters.effective_sort == "relevance":
        if matches is not None and matches.freq:
            # Ranked in memory: the positions of the passing courses among the matches.
            at = np.flatnonzero(public)[passed]
            score = _bm25(matches, at, columns.doc_tokens[passing])
        else:
            score = _sql_scores(columns.ids[passing], dialect, tokens)
        # Best match first, then newest, then by id, as the SQL search orders them.
        order = np.lexsort((columns.ids[passing], -columns.published[passing], score))
    else:  # newest first: the columns keep that order
        chosen = np.zeros(len(columns), dtype=bool)
        chosen[passing] = True
        newest = columns.newest[chosen[columns.newest]]
        order = np.searchsorted(passing, newest)
    out_of_range = False
    start = (page - 1) * page_size
    if start >= len(order) and page > 1:
        out_of_range, page, start = True, 1, 0
    listed = order[start : start + page_size]
    ids = columns.ids[passing[listed]].tolist()
    return _Found(
        ids=ids,
        availability={
            i: Availability(int(state)) for i, state in zip(ids, states[listed], strict=True)
        },
        total=len(passing),
        counts=counts,
        page=page,
        out_of_range=out_of_range,
    )


def _tally(values: np.ndarray) -> list[tuple[int, int]]:
    if not len(values):
        return []
    found = np.bincount(values)
    return [(int(v), int(found[v])) for v in np.flatnonzero(found)]


def count_facets(
    columns: CatalogColumns, rows: np.ndarray, filters: CatalogFilters, institutions: list[str]
) -> tuple[np.ndarray, list[tuple[str, str, int]]]:
    """Which of ``rows`` (the matches) pass every filter, and the facet counts but
    availability: a simple facet counts the matches that pass every *other* facet's filter
    (its own values are alternatives), the others count the rows that pass every filter."""
    wanted = {name: list(getattr(filters, name)) for name in SIMPLE_FACETS}
    wanted["institution"] = institutions if filters.institution else []
    oks: dict[str, np.ndarray] = {}
    for name in SIMPLE_FACETS:
        if getattr(filters, name):
            category = columns.categories[name]
            chosen = np.zeros(len(category.values), dtype=bool)
            chosen[category.code_of(wanted[name])] = True
            oks[name] = chosen[category.codes[rows]]
    passed = np.logical_and.reduce(list(oks.values())) if oks else np.ones(len(rows), dtype=bool)
    passing = rows[passed]
    counts: list[tuple[str, str, int]] = []
    for name in SIMPLE_FACETS:
        others = [ok for facet, ok in oks.items() if facet != name]
        if name not in oks:
            counted = passing
        elif others:
            counted = rows[np.logical_and.reduce(others)]
        else:
            counted = rows
        category = columns.categories[name]
        found = np.bincount(category.codes[counted], minlength=len(category.values))
        counts += [(name, category.values[i], int(found[i])) for i in np.flatnonzero(found)]
    for name, lists in (("language", columns.languages), ("subject", columns.fields)):
        counts += [(name, value, n) for value, n in lists.counts(passing).items()]
    marks = columns.audience[passing]
    for bit, mark in enumerate(AUDIENCES):
        n = int(np.count_nonzero(marks & (1 << bit)))
        if n:
            counts.append(("audience", mark, n))
    return passed, counts


def _sql_scores(ids: np.ndarray, dialect: str, tokens: list[str]) -> np.ndarray:
    """The score of each of ``ids`` (the lower the better: ``bm25`` on SQLite, ``-ts_rank``
    on PostgreSQL), read from the database."""
    if dialect == "sqlite":
        listed = "[" + ",".join(map(str, ids.tolist())) + "]"
    else:
        listed = "{" + ",".join(map(str, ids.tolist())) + "}"
    pairs = session.scalar(_SCORES[dialect], {"ids": listed, **_text_params(tokens)})
    scored = np.fromstring(pairs, sep=" ").reshape(-1, 2) if pairs else np.zeros((0, 2))
    # A course the text no longer matches (its document changed since) comes last.
    score = np.full(len(ids), math.inf)
    score[np.searchsorted(ids, scored[:, 0].astype(np.int64))] = scored[:, 1]
    return score


def suggest_query(filters: CatalogFilters, *, now: datetime | None = None) -> str | None:
    """A corrected form of ``filters.query`` whose words are the catalog's own and which finds
    public courses with the same filters ("Did you mean ...?"), or ``None``. For a search that
    found nothing: it costs a few small queries."""
    if not query_tokens(filters.query):
        return None
    for corrected in spelling.corrections(session.connection(), filters.query)[:3]:
        found = session.scalar(
            select(matching_course_ids(replace(filters, query=corrected), now=now).exists())
        )
        if found:
            return corrected
    return None


@dataclass(frozen=True)
class _Name:
    language: str
    name: str


def _institution_names(
    ids: Sequence[int], slugs: Sequence[str], language: str
) -> dict[int, tuple[str, LocalizedText]]:
    """``id -> (slug, name in the visitor's language)`` in one plain query (no ORM objects)."""
    rows = session.execute(
        select(
            Institution.id,
            Institution.slug,
            Institution.original_language,
            InstitutionTranslation.language,
            InstitutionTranslation.name,
        )
        .join(InstitutionTranslation, InstitutionTranslation.institution_id == Institution.id)
        .where(or_(Institution.id.in_(ids), Institution.slug.in_(slugs)))
    ).all()
    translations: dict[int, list[_Name]] = {}
    meta: dict[int, tuple[str, str]] = {}
    for id_, slug, original, tag, name in rows:
        translations.setdefault(id_, []).append(_Name(tag, name))
        meta[id_] = (slug, original)
    return {
        id_: (meta[id_][0], localized(names, "name", language, meta[id_][1]))
        for id_, names in translations.items()
    }


def _facet_options(
    counts: Sequence[Any], filters: CatalogFilters, language: str
) -> dict[str, list[FacetOption]]:
    grouped: dict[str, dict[str, int]] = {name: {} for name in FACETS}
    for facet, value, n, *_ in counts:
        if value is not None:
            grouped[facet][value] = n
    names = _institution_names(
        [int(v) for v in grouped["institution"]], filters.institution, language
    )
    grouped["institution"] = {
        names[int(v)][0]: n for v, n in grouped["institution"].items() if int(v) in names
    }
    grouped["availability"] = {
        Availability(int(v)).slug: n for v, n in grouped["availability"].items()
    }
    by_slug = dict(names.values())

    def label(facet: str, value: str) -> str | LocalizedText:
        if facet == "institution":
            return by_slug[value]
        if facet == "country":
            return country_name(value, language)
        if facet == "region":
            return str(REGION_LABELS.get(Region(value), value))
        if facet == "language":
            return language_name(value, language)
        if facet == "subject":
            return subject_label(value, language)
        if facet == "level":
            return str(LEVEL_LABELS.get(Level(value), value))
        if facet == "pace":
            return str(PACE_LABELS.get(Pace(value), value))
        if facet == "audience":
            return str(AUDIENCE_LABELS.get(value, value))
        return Availability.from_slug(value).label

    facets: dict[str, list[FacetOption]] = {}
    for facet in FACETS:
        selected = set(getattr(filters, facet))
        values = dict(grouped[facet])
        for value in selected:
            if facet != "institution" or value in by_slug:
                values.setdefault(value, 0)
        options = [
            FacetOption(value, label(facet, value), n, value in selected)
            for value, n in values.items()
            if facet != "institution" or value in by_slug
        ]
        if facet == "availability":
            options.sort(key=lambda o: Availability.from_slug(o.value))
        elif facet in ("level", "subject"):
            options.sort(key=lambda o: o.value)
        else:
            options.sort(key=lambda o: str(o.label).casefold())
        facets[facet] = options
    return facets


def request_reindex() -> None:
    """Ask the worker to rebuild every search document (a job, written with this transaction)."""
    from mooc_portal.jobs.services import enqueue

    enqueue("reindex", {}, dedupe_key=f"reindex:{uuid.uuid4()}", topic="catalog")


def reindex_job(_payload: dict[str, Any]) -> None:
    """The ``reindex`` job: every course's search document, a batch of 200 per commit."""
    ids = list(session.scalars(select(Course.id).order_by(Course.id)))
    for start in range(0, len(ids), 200):
        for course_id in ids[start : start + 200]:
            course = session.get(Course, course_id)
            if course is not None:
                index_course(course)
        session.commit()
