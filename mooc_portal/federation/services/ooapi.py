"""The queries behind ``/ooapi/v5``: organizations, courses and offerings of the portal's own
public catalog, filtered, sorted and paged as the Open Education API v5 says.

The views parse and check the query string (``federation/ooapi/schemas.py``); these take the
valid values. The root organization is the portal itself; its institutions are below it.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import selectinload

from mooc_portal.catalog.filters import MAX_QUERY_LENGTH
from mooc_portal.catalog.models import (
    Course,
    CourseLanguage,
    CourseRun,
    CourseTranslation,
    Credential,
    DeliveryMode,
    LanguageKind,
    Level,
)
from mooc_portal.catalog.search import CatalogFilters, matching_course_ids
from mooc_portal.db import session
from mooc_portal.errors import NotFound
from mooc_portal.federation.languages import requested_language
from mooc_portal.federation.services.read_model import own_public_courses, own_public_institutions
from mooc_portal.institutions.models import Institution, InstitutionTranslation

ROOT_CODE = "asem-mooc-portal"
MODES = {DeliveryMode.ONLINE: "online", DeliveryMode.BLENDED: "hybrid"}
# The portal's levels are a MOOC's difficulty; OOAPI's are levels of qualification. An
# introductory or intermediate MOOC is taught at undergraduate (EQF 6) level, an advanced one
# at graduate (EQF 7) level: the mapping partners agreed on when they publish to eduXchange.
LEVELS = {Level.INTRODUCTORY: "bachelor", Level.INTERMEDIATE: "bachelor", Level.ADVANCED: "master"}


@dataclass
class Page:
    """One page of an OOAPI list: the rows and OOAPI's pagination fields."""

    items: list[Any]
    size: int
    number: int
    total: int

    def pagination(self) -> dict[str, Any]:
        pages = max(1, math.ceil(self.total / self.size))
        return {
            "pageSize": self.size,
            "pageNumber": self.number,
            "hasPreviousPage": self.number > 1,
            "hasNextPage": self.number < pages,
            "totalPages": pages,
        }


@dataclass
class CourseFilters:
    """What ``/courses`` and ``/organizations/{id}/courses`` filter by (values already valid)."""

    q: str | None = None
    primary_code: str | None = None
    teaching_language: str | None = None
    level: str | None = None
    mode: str | None = None
    sort: Sequence[str] = ("name",)


@dataclass
class OfferingFilters:
    """What the offering lists filter by. The window: an offering is in it while it runs (its
    end is on or after ``since``, today by default, so a run under way is found), and ends by
    ``until`` when that is given."""

    q: str | None = None
    teaching_language: str | None = None
    mode: str | None = None
    offering_type: str | None = None
    result_expected: bool | None = None
    since: date | None = None
    until: date | None = None
    sort: Sequence[str] = ("startDate",)
    today: date = field(default_factory=date.today)


# The root organization ------------------------------------------------------------------


def root_id() -> uuid.UUID:
    """The portal's own organization id (``MOOC_OOAPI_ROOT_ID``, else one derived from its name)."""
    configured = current_app.config.get("MOOC_OOAPI_ROOT_ID")
    if configured:
        return uuid.UUID(str(configured))
    return uuid.uuid5(
        uuid.NAMESPACE_URL, f"asem-mooc-portal:{current_app.config['MOOC_SITE_NAME']}"
    )


def root_name() -> str:
    return str(current_app.config["MOOC_SITE_NAME"])


def _contains(column: Any, term: str) -> Any:
    return func.lower(column).contains(term.lower(), autoescape=True)


# Organizations --------------------------------------------------------------------------


def institution_name() -> Any:
    """An institution's name in its original language, as an SQL expression (to sort by)."""
    return (
        select(InstitutionTranslation.name)
        .where(
            InstitutionTranslation.institution_id == Institution.id,
            InstitutionTranslation.language == Institution.original_language,
        )
        .limit(1)
        .scalar_subquery()
    )


def _organization_sort_columns() -> dict[str, Any]:
    return {"organizationId": Institution.uuid, "name": institution_name()}


def _order(keys: Sequence[str], columns: dict[str, Any]) -> list[Any]:
    return [
        columns[key.lstrip("-")].desc() if key.startswith("-") else columns[key].asc()
        for key in keys
    ]


def organization_page(
    *,
    q: str | None,
    primary_code: str | None,
    organization_type: str | None,
    sort: Sequence[str],
    size: int,
    number: int,
) -> Page:
    """The root and the institutions, filtered and sorted alike: the root takes the place its
    name or id gives it under ``sort``'s first key. Items are the root's id (a ``UUID``) or an
    ``Institution``."""
    query = own_public_institutions()
    if primary_code is not None:
        query = query.where(Institution.slug == primary_code)
    if q:
        query = query.where(
            exists().where(
                InstitutionTranslation.institution_id == Institution.id,
                or_(
                    _contains(InstitutionTranslation.name, q),
                    _contains(InstitutionTranslation.short_name, q),
                    _contains(InstitutionTranslation.description, q),
                ),
            )
        )
    if organization_type not in (None, "institute"):
        query = query.where(Institution.id.is_(None))
    with_root = (
        organization_type in (None, "root")
        and primary_code in (None, ROOT_CODE)
        and (not q or q.lower() in root_name().lower())
    )
    columns = _organization_sort_columns()
    count = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    root_at = _root_position(query, sort[0], columns) if with_root else None
    start = (number - 1) * size
    root_on_page = root_at is not None and start <= root_at < start + size
    offset = start - int(root_at is not None and root_at < start)
    rows: list[Any] = list(
        session.scalars(
            query.order_by(*_order(sort, columns), Institution.id)
            .offset(offset)
            .limit(size - int(root_on_page))
        )
    )
    if root_on_page and root_at is not None:  # (root_on_page says root_at is given)
        rows.insert(root_at - start, root_id())
    return Page(rows, size, number, count + int(with_root))


def _root_position(query: Select[Any], key: str, columns: dict[str, Any]) -> int:
    column = columns[key.lstrip("-")]
    value: Any = root_id() if key.lstrip("-") == "organizationId" else root_name()
    before = column > value if key.startswith("-") else column < value
    return session.scalar(select(func.count()).select_from(query.where(before).subquery())) or 0


def root_institutions() -> list[Institution]:
    """The institutions below the root, by id."""
    return list(session.scalars(own_public_institutions().order_by(Institution.id)))


def get_institution(organization_id: uuid.UUID) -> Institution:
    """A public institution of this portal; ``NotFound`` otherwise."""
    institution = session.scalar(
        own_public_institutions().where(Institution.uuid == organization_id)
    )
    if institution is None:
        raise NotFound("No organization with this id.")
    return institution


def organization_scope(organization_id: uuid.UUID) -> Institution | None:
    """``None`` for the root (all of the portal's courses), else the institution;
    ``NotFound`` for an id that is neither."""
    return None if organization_id == root_id() else get_institution(organization_id)


# Courses --------------------------------------------------------------------------------


def course_title() -> Any:
    """A course's title in its original language, as an SQL expression (to sort by)."""
    return (
        select(CourseTranslation.title)
        .where(
            CourseTranslation.course_id == Course.id,
            CourseTranslation.language == Course.original_language,
        )
        .limit(1)
        .scalar_subquery()
    )


def _text_matches(q: str) -> Any:
    """OOAPI's ``q``: the name, abbreviation or description contains it (any language), or the
    catalog's own full-text search finds it (stems, several words)."""
    return or_(
        _contains(Course.code, q),
        exists().where(
            CourseTranslation.course_id == Course.id,
            or_(
                _contains(CourseTranslation.title, q),
                _contains(CourseTranslation.summary, q),
                _contains(CourseTranslation.description, q),
            ),
        ),
        Course.id.in_(matching_course_ids(CatalogFilters(query=q[:MAX_QUERY_LENGTH]))),
    )


def _teaching_language(code: str) -> Any:
    tag = requested_language(code)
    return exists().where(
        CourseLanguage.course_id == Course.id,
        CourseLanguage.kind == LanguageKind.TEACHING,
        or_(CourseLanguage.language == tag, CourseLanguage.language.like(f"{tag}-%")),
    )


def _offered_in(mode: str) -> Any:
    ours = [k.value for k, v in MODES.items() if v == mode]
    return exists().where(
        CourseRun.course_id == Course.id,
        CourseRun.cancelled.is_(False),
        CourseRun.delivery_mode.in_(ours),
    )


def courses_query(filters: CourseFilters, institution: Institution | None = None) -> Select[Any]:
    """The public courses ``filters`` ask for (of ``institution`` when given), unsorted."""
    query = own_public_courses()
    if institution is not None:
        query = query.where(Course.institution_id == institution.id)
    if filters.primary_code is not None:
        query = query.where(Course.code == filters.primary_code)
    if filters.q:
        query = query.where(_text_matches(filters.q))
    if filters.teaching_language is not None:
        query = query.where(_teaching_language(filters.teaching_language))
    if filters.level is not None:
        ours = [k.value for k, v in LEVELS.items() if v == filters.level]
        query = query.where(Course.level.in_(ours))
    if filters.mode is not None:
        query = query.where(_offered_in(filters.mode))
    return query


def course_page(
    filters: CourseFilters, *, size: int, number: int, institution: Institution | None = None
) -> Page:
    """A page of public courses, sorted by ``filters.sort`` (then id, for a stable order)."""
    query = courses_query(filters, institution)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    order = _order(filters.sort, {"courseId": Course.uuid, "name": course_title()})
    rows = session.scalars(
        query.order_by(*order, Course.id).limit(size).offset((number - 1) * size)
    ).all()
    return Page(list(rows), size, number, total)


def get_course(course_id: uuid.UUID) -> Course:
    """A public course of this portal; ``NotFound`` otherwise."""
    course = session.scalar(own_public_courses().where(Course.uuid == course_id))
    if course is None:
        raise NotFound("No course with this id.")
    return course


def course_modes(course: Course) -> list[str]:
    """The modes of delivery of the runs not cancelled (none: the course claims none)."""
    return sorted(
        {MODES[DeliveryMode(run.delivery_mode)] for run in course.runs if not run.cancelled}
    )


# Offerings ------------------------------------------------------------------------------


def offering_dates(run: CourseRun) -> tuple[date, date] | None:
    """A run's start and end day, or None when it is no offering (cancelled, undated, or with
    no end: neither given nor the course's length)."""
    if run.cancelled or run.start_at is None:
        return None
    end: datetime | None = run.end_at
    if end is None and run.course.length_weeks:
        end = run.start_at + timedelta(weeks=run.course.length_weeks)
    if end is None:
        return None
    return run.start_at.date(), end.date()


def get_offering(offering_id: uuid.UUID) -> CourseRun:
    """A dated, not cancelled run of a public course; ``NotFound`` otherwise."""
    run = session.scalar(
        select(CourseRun).where(
            CourseRun.uuid == offering_id,
            CourseRun.course_id.in_(own_public_courses().with_only_columns(Course.id)),
        )
    )
    if run is None or offering_dates(run) is None:
        raise NotFound("No offering with this id.")
    return run


def offering_page(
    filters: OfferingFilters,
    *,
    size: int,
    number: int,
    course: Course | None = None,
    institution: Institution | None = None,
) -> Page:
    """Offerings (dated runs) of ``course``, of ``institution``'s courses, or of every public
    course, in ``filters``' window, sorted and paged. Items are ``CourseRun``s."""
    if filters.offering_type not in (None, "course"):
        return Page([], size, number, 0)  # the portal offers courses only
    courses = courses_query(
        CourseFilters(q=filters.q, teaching_language=filters.teaching_language), institution
    ).with_only_columns(Course.id)
    query = select(CourseRun).where(CourseRun.cancelled.is_(False), CourseRun.start_at.is_not(None))
    query = query.where(CourseRun.course_id.in_(courses))
    if course is not None:
        query = query.where(CourseRun.course_id == course.id)
    if filters.mode is not None:
        ours = [k.value for k, v in MODES.items() if v == filters.mode]
        query = query.where(CourseRun.delivery_mode.in_(ours))
    if filters.result_expected is not None:
        expected = Course.credential != Credential.NONE
        query = query.join(CourseRun.course).where(
            expected if filters.result_expected else ~expected
        )
    since = filters.since or filters.today
    # Narrowed in SQL where the end is stored; a run ending with its course's length is
    # checked below (its end is not a column).
    query = query.where(
        or_(CourseRun.end_at.is_(None), CourseRun.end_at >= _day_start(since))
    ).options(selectinload(CourseRun.course).selectinload(Course.translations))
    if filters.until is not None:
        query = query.where(CourseRun.start_at < _day_start(filters.until + timedelta(days=1)))
    offered = []
    for run in session.scalars(query.order_by(CourseRun.id)):
        dates = offering_dates(run)
        if dates is None or dates[1] < since or (filters.until and dates[1] > filters.until):
            continue
        offered.append((run, dates))
    _sort_offerings(offered, filters.sort)
    return Page(
        [run for run, _ in offered[(number - 1) * size : number * size]], size, number, len(offered)
    )


def _day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _sort_offerings(
    offered: list[tuple[CourseRun, tuple[date, date]]], keys: Sequence[str]
) -> None:
    by: dict[str, Callable[[tuple[CourseRun, tuple[date, date]]], Any]] = {
        "offeringId": lambda item: str(item[0].uuid),
        "name": lambda item: item[0].course.text("title", item[0].course.original_language).text,
        "startDate": lambda item: item[1][0],
        "endDate": lambda item: item[1][1],
    }
    for key in reversed(keys):  # stable sorts, last key first
        offered.sort(key=by[key.lstrip("-")], reverse=key.startswith("-"))
