"""Full-text search over courses, on SQLite FTS5 and PostgreSQL alike, with facets.

One service, :func:`search_courses`, answers the catalog page in a fixed number of queries
whatever the page size: one for the page of ids (with the total as a window count), one for the
facet counts (a ``UNION ALL`` of the eight dimensions), and the loads of the page's courses and
of the facet's institutions with their eager relationships.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    and_,
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
    union_all,
)

from mooc_portal.catalog.availability import Availability, run_availability_sql
from mooc_portal.catalog.models import (
    Course,
    CourseLanguage,
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
    for translation in course.institution.translations:
        parts += [translation.name, translation.short_name or ""]
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


def course_availability_sql(now: datetime) -> ColumnElement[int]:
    """A course's availability: the best of its live runs, to be scheduled when it has none."""
    best = (
        select(func.min(run_availability_sql(CourseRun, now)))
        .where(CourseRun.course_id == Course.id, CourseRun.cancelled.is_(False))
        .correlate(Course)
        .scalar_subquery()
    )
    return func.coalesce(best, int(Availability.TO_BE_SCHEDULED))


def next_start_sql(now: datetime) -> ColumnElement[datetime]:
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
    return literal_column("mooc_course_fts").op("MATCH")(fts5_match(tokens))


# PostgreSQL's stored ``to_tsvector('simple', document)``, GIN-indexed (migration 0002).
TSV = table("mooc_course_search", column("course_id"), column("document_tsv"))


def _ts_query(tokens: list[str]) -> Any:
    return func.to_tsquery(literal_column("'simple'"), tsquery(tokens))


def _base(filters: CatalogFilters, now: datetime) -> Select[Any]:
    """The public courses matching the text query, with the columns the facets filter on."""
    from mooc_portal.catalog.services import public_courses

    stmt = public_courses().with_only_columns(
        Course.id.label("id"),
        Institution.id.label("institution_id"),
        Institution.country.label("country"),
        Institution.region.label("region"),
        Course.level.label("level"),
        Course.pace.label("pace"),
        course_availability_sql(now).label("availability"),
        maintain_column_froms=True,
    )
    tokens = query_tokens(filters.query)
    if tokens and session.get_bind().dialect.name == "sqlite":
        # FTS5 gives the bm25 score with the match at no extra cost: keep it for sorting.
        fts = (
            select(
                FTS.c.rowid.label("course_id"),
                func.bm25(literal_column("mooc_course_fts")).label("score"),
            )
            .where(_fts_match(tokens))
            .subquery("fts")
        )
        stmt = stmt.join(fts, fts.c.course_id == Course.id).add_columns(fts.c.score)
    elif tokens:
        # Only the GIN index here; ts_rank re-reads documents, so it is left to the listing.
        matching = select(TSV.c.course_id).where(TSV.c.document_tsv.op("@@")(_ts_query(tokens)))
        stmt = stmt.where(Course.id.in_(matching))
    return stmt


def _conditions(base: Any, filters: CatalogFilters) -> dict[str, Any]:
    """One SQL condition per facet the visitor restricted (OR within it, AND across)."""
    conditions: dict[str, Any] = {}
    if filters.institution:
        slugs = select(Institution.id).where(Institution.slug.in_(filters.institution))
        conditions["institution"] = base.c.institution_id.in_(slugs)
    for name in ("country", "region", "level", "pace"):
        values = getattr(filters, name)
        if values:
            conditions[name] = base.c[name].in_(values)
    if filters.availability:
        states = [int(Availability.from_slug(slug)) for slug in filters.availability]
        conditions["availability"] = base.c.availability.in_(states)
    if filters.language:
        conditions["language"] = exists().where(
            CourseLanguage.course_id == base.c.id,
            CourseLanguage.kind == LanguageKind.TEACHING,
            CourseLanguage.language.in_(filters.language),
        )
    if filters.subject:
        conditions["subject"] = exists().where(
            CourseSubject.course_id == base.c.id,
            or_(
                *(CourseSubject.code.startswith(code, autoescape=True) for code in filters.subject)
            ),
        )
    return conditions


def matching_course_ids(filters: CatalogFilters, *, now: datetime | None = None) -> Select[Any]:
    """The ids of the public courses matching ``filters``: the search without its order, page
    or facets, for callers that page on their own (the API's keyset pages)."""
    base = _base(filters, now or utcnow()).subquery("matches")
    return select(base.c.id).where(*_conditions(base, filters).values())


# The facet name that marks the rows of the result page in the combined statement.
PAGE_ROWS = "_page"


def _facet_counts(base: Any, conditions: dict[str, Any]) -> Any:
    """``(facet, value, count)`` for every dimension, each with the other facets' filters."""
    parts = []
    for name in FACETS:
        others = [c for facet, c in conditions.items() if facet != name]
        value: Any
        if name == "language":
            stmt = select(CourseLanguage.language).join(
                base,
                and_(
                    CourseLanguage.course_id == base.c.id,
                    CourseLanguage.kind == LanguageKind.TEACHING,
                ),
            )
            value = CourseLanguage.language
        elif name == "subject":
            value = func.substr(CourseSubject.code, 1, 2)
            stmt = select(value).join(base, CourseSubject.course_id == base.c.id)
        else:
            value = base.c[f"{name}_id" if name == "institution" else name]
            stmt = select(value)
        parts.append(
            stmt.with_only_columns(
                literal(name, String).label("facet"),
                cast(value, String).label("value"),
                func.count(func.distinct(base.c.id)).label("n"),
                null().label("total"),
                null().label("position"),
                maintain_column_froms=True,
            )
            .where(*others)
            .group_by(value)
        )
    return parts


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
    # One statement: the matching courses are computed once (a materialized CTE; the
    # correlated availability subquery and the text match run once per course) and read by
    # the page listing and by the eight facet counts alike.
    base = _base(filters, now).cte("matches").prefix_with("MATERIALIZED")
    conditions = _conditions(base, filters)

    sort = filters.effective_sort
    tokens = query_tokens(filters.query)
    sort_key: Any = None
    rank_documents = False
    if sort == "relevance":
        if "score" in base.c:
            sort_key = base.c.score
        else:  # PostgreSQL: rank only the courses that passed every filter
            rank_documents = True
            sort_key = -func.ts_rank(TSV.c.document_tsv, _ts_query(tokens))
    elif sort == "start":
        sort_key = next_start_sql(now)
    elif sort == "title":
        sort_key = title_sql(language)
    else:
        sort_key = Course.published_at.desc()
    order = [sort_key.is_(None), sort_key] if sort == "start" else [sort_key]
    if sort == "relevance":
        order.append(Course.published_at.desc())
    order.append(base.c.id)
    listing = select(
        base.c.id,
        base.c.availability,
        func.count().over().label("total"),
        func.row_number().over(order_by=order).label("position"),
    ).join(Course, Course.id == base.c.id)
    if rank_documents:
        listing = listing.join(TSV, TSV.c.course_id == base.c.id)
    listing = listing.where(*conditions.values()).order_by(*order)

    def page_of(number: int) -> Any:
        rows = listing.limit(page_size).offset((number - 1) * page_size).subquery("page")
        return select(
            literal(PAGE_ROWS, String).label("facet"),
            cast(rows.c.id, String).label("value"),
            rows.c.availability.label("n"),
            rows.c.total,
            rows.c.position,
        )

    counts = _facet_counts(base, conditions)
    if tokens and session.get_bind().dialect.name == "postgresql":
        # With the default random_page_cost (4, a spinning disk's) PostgreSQL prefers reading
        # every document to the GIN index once a word matches a few percent of courses: 5 ms
        # instead of 1.5 ms at 10,000 courses. For this transaction only, price pages as SSDs.
        session.execute(text("SET LOCAL random_page_cost = 1.1"))
    rows = session.execute(union_all(page_of(page), *counts)).all()
    hits = sorted((r for r in rows if r.facet == PAGE_ROWS), key=lambda r: r.position)
    counts = [r for r in rows if r.facet != PAGE_ROWS]
    out_of_range = False
    if not hits and page > 1:
        out_of_range, page = True, 1
        hits = sorted(session.execute(page_of(1)).all(), key=lambda r: r.position)
    total = hits[0].total if hits else 0

    ids = [int(row.value) for row in hits]
    # Loaded whole (its relationships are eager, a fixed number of queries), so that callers
    # such as an API can use every attribute without a query per course.
    by_id = {c.id: c for c in session.scalars(select(Course).where(Course.id.in_(ids))).all()}
    courses = [by_id[i] for i in ids]
    availability = {int(row.value): Availability(row.n) for row in hits}

    facets = _facet_options(counts, filters, language)
    return SearchResult(
        courses=courses,
        availability=availability,
        total=total,
        page=page,
        page_size=page_size,
        facets=facets,
        sort=sort,
        page_out_of_range=out_of_range,
        requested_page=requested_page,
    )


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
