"""The catalog-provider part of the Open Education API (OOAPI) v5, under ``/ooapi/v5``.

Institutions are organizations of type ``institute`` below one ``root`` organization, the
portal itself; courses are OOAPI courses; a course's runs are its course offerings. Only runs
with a start date and an end (given, or the start plus the course's length) are offerings, as
OOAPI requires both dates; cancelled runs are not offered.
"""

from __future__ import annotations

import math
import uuid
from datetime import date, datetime, timedelta
from typing import Any

from flask import Blueprint, Response, current_app, request
from sqlalchemy import Select, exists, func, or_, select

from mooc_portal.caching import cached_page
from mooc_portal.catalog.filters import MAX_QUERY_LENGTH
from mooc_portal.catalog.models import (
    Course,
    CourseLanguage,
    CourseRun,
    CourseTranslation,
    Credential,
    DeliveryMode,
    LanguageKind,
)
from mooc_portal.catalog.search import CatalogFilters, matching_course_ids
from mooc_portal.db import session
from mooc_portal.errors import InvalidInput, NotFound, PortalError
from mooc_portal.federation.languages import bcp47_primary, iso_639_2
from mooc_portal.federation.serialize import PageLinks
from mooc_portal.federation.services.read_model import own_public_courses, own_public_institutions
from mooc_portal.institutions.models import Institution, InstitutionTranslation
from mooc_portal.numbers import MAX_SQL_INTEGER, parse_whole_number
from mooc_portal.urls import external_url

bp = Blueprint("ooapi", __name__, url_prefix="/ooapi/v5")

PAGE_SIZES = (10, 20, 50, 100, 250)
SPECIFICATION_URL = (
    "https://raw.githubusercontent.com/open-education-api/specification/release/5.0/v5/ooapi.json"
)
DOCUMENTATION_URL = "https://openonderwijsapi.nl/v5/"
MODES = {DeliveryMode.ONLINE: "online", DeliveryMode.BLENDED: "hybrid"}


# Helpers --------------------------------------------------------------------------------


def _json(payload: Any, status: int = 200) -> Response:
    response = current_app.json.response(payload)
    response.status_code = status
    return response


def _strings(translations: Any, field: str, fallback: str | None = None) -> list[dict[str, str]]:
    """A multilingual field as OOAPI ``LanguageTypedString`` items."""
    items = [
        {"language": t.language, "value": getattr(t, field)}
        for t in sorted(translations, key=lambda t: t.language)
        if getattr(t, field)
    ]
    if not items and fallback is not None:
        items = [
            {"language": t.language, "value": getattr(t, fallback)}
            for t in sorted(translations, key=lambda t: t.language)
            if getattr(t, fallback)
        ]
    return items


def _root_id() -> uuid.UUID:
    configured = current_app.config.get("MOOC_OOAPI_ROOT_ID")
    if configured:
        return uuid.UUID(str(configured))
    return uuid.uuid5(
        uuid.NAMESPACE_URL, f"asem-mooc-portal:{current_app.config['MOOC_SITE_NAME']}"
    )


def _uuid(value: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise NotFound(f"No {what} with this id.") from None


def _list_arg(name: str, allowed: tuple[str, ...], default: list[str]) -> list[str]:
    raw = request.args.get(name)
    if raw is None:
        return default
    values = [v for v in raw.split(",") if v]
    for value in values:
        if value not in allowed:
            raise InvalidInput(f"{name}: {value!r} is not one of {', '.join(allowed)}.", field=name)
    return values


def _expand(allowed: tuple[str, ...]) -> set[str]:
    return set(_list_arg("expand", allowed, []))


def _page_args() -> tuple[int, int]:
    sizes = f"pageSize is one of {', '.join(map(str, PAGE_SIZES))}."
    size = parse_whole_number(request.args.get("pageSize", "10"), field="pageSize", message=sizes)
    if size not in PAGE_SIZES:
        raise InvalidInput(sizes, field="pageSize")
    number = parse_whole_number(
        request.args.get("pageNumber", "1"),
        field="pageNumber",
        minimum=1,
        message=f"pageNumber is a whole number from 1 to {MAX_SQL_INTEGER}.",
    )
    return size, number


def _paginate(query: Select[Any], order: list[Any], serialize: Any) -> Response:
    size, number = _page_args()
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    rows = session.scalars(query.order_by(*order).limit(size).offset((number - 1) * size)).all()
    pages = max(1, math.ceil(total / size))
    return _json(
        {
            "pageSize": size,
            "pageNumber": number,
            "hasPreviousPage": number > 1,
            "hasNextPage": number < pages,
            "totalPages": pages,
            "items": [serialize(row) for row in rows],
        }
    )


def _sort(name: str, allowed: tuple[str, ...], default: str, columns: dict[str, Any]) -> list[Any]:
    keys = _list_arg(name, allowed + tuple(f"-{a}" for a in allowed), [default])
    order = []
    for key in keys:
        column = columns[key.lstrip("-")]
        order.append(column.desc() if key.startswith("-") else column.asc())
    return order


# Organizations --------------------------------------------------------------------------


def _root(expand_children: bool = False) -> dict[str, Any]:
    name = current_app.config["MOOC_SITE_NAME"]
    children: list[Any] = []
    for institution in session.scalars(own_public_institutions().order_by(Institution.id)):
        children.append(_organization(institution) if expand_children else str(institution.uuid))
    return {
        "organizationId": str(_root_id()),
        "organizationType": "root",
        "primaryCode": {"codeType": "identifier", "code": "asem-mooc-portal"},
        "name": [{"language": "en", "value": name}],
        "shortName": "ASEM MOOC",
        "link": external_url("portal.web.home"),
        "children": children,
    }


def _organization(institution: Institution, expand_parent: bool = False) -> dict[str, Any]:
    short = institution.text("short_name", institution.original_language).text
    name = institution.text("name", institution.original_language).text
    data: dict[str, Any] = {
        "organizationId": str(institution.uuid),
        "organizationType": "institute",
        "primaryCode": {"codeType": "identifier", "code": institution.slug},
        "name": _strings(institution.translations, "name"),
        "shortName": (short or name)[:256],
        "parent": _root() if expand_parent else str(_root_id()),
        "addresses": [{"addressType": "postal", "countryCode": institution.country}],
    }
    description = _strings(institution.translations, "description")
    if description:
        data["description"] = description
    if institution.website:
        data["link"] = institution.website
    if institution.logo:
        data["logo"] = institution.logo
    return data


@bp.route("/")
def service() -> Response:
    email = current_app.config.get("MOOC_OOAPI_CONTACT_EMAIL") or "contact@asem-mooc.example"
    return _json(
        {
            "contactEmail": email,
            "specification": SPECIFICATION_URL,
            "documentation": DOCUMENTATION_URL,
        }
    )


@bp.route("/organizations")
def organizations() -> Response:
    wanted_type = request.args.get("organizationType")
    order = _sort(
        "sort",
        ("organizationId", "name"),
        "name",
        {"organizationId": Institution.uuid, "name": _institution_name()},
    )
    size, number = _page_args()
    query = own_public_institutions()
    if "primaryCode" in request.args:
        query = query.where(Institution.slug == request.args["primaryCode"])
    if "search" in request.args:
        term = request.args["search"].lower()
        query = query.where(
            exists().where(
                InstitutionTranslation.institution_id == Institution.id,
                func.lower(InstitutionTranslation.name).contains(term, autoescape=True),
            )
        )
    include_root = wanted_type in (None, "root") and "primaryCode" not in request.args
    if wanted_type not in (None, "root", "institute", "department", "faculty", "branch",
                           "academy", "school"):  # fmt: skip
        raise InvalidInput(
            "organizationType is not an OOAPI organization type.", field="organizationType"
        )
    if wanted_type not in (None, "institute"):
        query = query.where(Institution.id.is_(None))
    # The root comes first on the first page; the institutions follow it.
    total = (session.scalar(select(func.count()).select_from(query.subquery())) or 0) + int(
        include_root
    )
    start = (number - 1) * size
    items: list[dict[str, Any]] = []
    if include_root and start == 0:
        items.append(_root())
    offset = max(0, start - int(include_root))
    limit = size - len(items)
    for institution in session.scalars(query.order_by(*order).limit(limit).offset(offset)):
        items.append(_organization(institution))
    pages = max(1, math.ceil(total / size))
    return _json(
        {
            "pageSize": size,
            "pageNumber": number,
            "hasPreviousPage": number > 1,
            "hasNextPage": number < pages,
            "totalPages": pages,
            "items": items,
        }
    )


def _institution_name() -> Any:
    return (
        select(InstitutionTranslation.name)
        .where(
            InstitutionTranslation.institution_id == Institution.id,
            InstitutionTranslation.language == Institution.original_language,
        )
        .limit(1)
        .scalar_subquery()
    )


@bp.route("/organizations/<organization_id>")
def organization(organization_id: str) -> Response:
    expand = _expand(("parent", "children"))
    wanted = _uuid(organization_id, "organization")
    if wanted == _root_id():
        return _json(_root(expand_children="children" in expand))
    institution = session.scalar(own_public_institutions().where(Institution.uuid == wanted))
    if institution is None:
        raise NotFound("No organization with this id.")
    return _json(_organization(institution, expand_parent="parent" in expand))


# Courses --------------------------------------------------------------------------------


def _first_teaching_language(course: Course) -> str:
    languages = course.teaching_languages or [course.original_language]
    return iso_639_2(languages[0])


def _modes(course: Course) -> list[str]:
    modes = {MODES[DeliveryMode(run.delivery_mode)] for run in course.runs if not run.cancelled}
    return sorted(modes) or ["online"]


def _course(course: Course, links: PageLinks, expand: set[str] = frozenset()) -> dict[str, Any]:
    translations = course.translations
    data: dict[str, Any] = {
        "courseId": str(course.uuid),
        "primaryCode": {"codeType": "identifier", "code": course.code},
        "name": _strings(translations, "title"),
        "abbreviation": course.code[:256],
        "description": _strings(translations, "description", fallback="summary")
        or _strings(translations, "title"),
        "teachingLanguage": _first_teaching_language(course),
        "level": "undefined",
        "modeOfDelivery": _modes(course),
        "organization": (
            _organization(course.institution)
            if "organization" in expand
            else str(course.institution.uuid)
        ),
    }
    if course.credential == Credential.ECTS and course.ects_credits is not None:
        data["studyLoad"] = {"studyLoadUnit": "ects", "value": float(course.ects_credits)}
    elif course.effort_hours is not None and course.length_weeks:
        data["studyLoad"] = {
            "studyLoadUnit": "hour",
            "value": float(course.effort_hours * course.length_weeks),
        }
    if course.length_weeks:
        data["duration"] = f"P{course.length_weeks}W"
    starts = [r.start_at for r in course.runs if r.start_at is not None and not r.cancelled]
    if starts:
        data["firstStartDate"] = min(starts).date().isoformat()
    if course.subjects:
        data["fieldsOfStudy"] = course.subjects[0].code
    outcomes = _strings(translations, "learning_outcomes")
    if outcomes:
        data["learningOutcomes"] = [outcomes]
    link = links.fill(links.course, course.slug)
    if link:
        data["link"] = link
    if "programs" in expand:
        data["programs"] = []
    if "coordinators" in expand:
        data["coordinators"] = []
    return data


def _course_title() -> Any:
    return (
        select(CourseTranslation.title)
        .where(
            CourseTranslation.course_id == Course.id,
            CourseTranslation.language == Course.original_language,
        )
        .limit(1)
        .scalar_subquery()
    )


def _teaching_language_filter(query: Select[Any]) -> Select[Any]:
    code = request.args.get("teachingLanguage")
    if code is None:
        return query
    if len(code) != 3 or not code.isalpha() or not code.islower():
        raise InvalidInput(
            "teachingLanguage is an ISO 639-2 code, e.g. kor.", field="teachingLanguage"
        )
    primary = bcp47_primary(code)
    return query.where(
        exists().where(
            CourseLanguage.course_id == Course.id,
            CourseLanguage.kind == LanguageKind.TEACHING,
            or_(CourseLanguage.language == primary, CourseLanguage.language.like(f"{primary}-%")),
        )
    )


def _mode_filter(query: Select[Any], run_scope: Any) -> Select[Any]:
    mode = request.args.get("modeOfDelivery")
    if mode is None:
        return query
    ours = [k.value for k, v in MODES.items() if v == mode]
    if mode not in ("distance-learning", "on campus", "online", "hybrid", "situated"):
        raise InvalidInput(
            "modeOfDelivery is not an OOAPI mode of delivery.", field="modeOfDelivery"
        )
    return query.where(run_scope(CourseRun.delivery_mode.in_(ours)))


@bp.route("/courses")
@cached_page(shared=True)
def courses() -> Response:
    order = _sort(
        "sort", ("courseId", "name"), "name", {"courseId": Course.uuid, "name": _course_title()}
    )
    query = own_public_courses()
    if "primaryCode" in request.args:
        query = query.where(Course.code == request.args["primaryCode"])
    if "search" in request.args:
        # The catalog's own full-text search, as on /courses and /api/v1/courses.
        text = request.args["search"][:MAX_QUERY_LENGTH]
        query = query.where(Course.id.in_(matching_course_ids(CatalogFilters(query=text))))
    level = request.args.get("level")
    if level is not None and level != "undefined":
        query = query.where(Course.id.is_(None))  # the portal's courses have no degree level
    query = _teaching_language_filter(query)
    query = _mode_filter(
        query,
        lambda condition: exists().where(
            CourseRun.course_id == Course.id, CourseRun.cancelled.is_(False), condition
        ),
    )
    links = PageLinks()
    return _paginate(query, [*order, Course.id], lambda c: _course(c, links))


def _public_course(course_id: str) -> Course:
    course = session.scalar(own_public_courses().where(Course.uuid == _uuid(course_id, "course")))
    if course is None:
        raise NotFound("No course with this id.")
    return course


@bp.route("/courses/<course_id>")
def course(course_id: str) -> Response:
    expand = _expand(("programs", "coordinators", "organization", "educationSpecification"))
    return _json(_course(_public_course(course_id), PageLinks(), expand))


# Offerings ------------------------------------------------------------------------------


def _dates(run: CourseRun) -> tuple[date, date] | None:
    if run.cancelled or run.start_at is None:
        return None
    end: datetime | None = run.end_at
    if end is None and run.course.length_weeks:
        end = run.start_at + timedelta(weeks=run.course.length_weeks)
    if end is None:
        return None
    return run.start_at.date(), end.date()


def _offering(run: CourseRun, links: PageLinks, expand: set[str] = frozenset()) -> dict[str, Any]:
    course = run.course
    start, end = _dates(run) or (None, None)
    translations = course.translations
    data: dict[str, Any] = {
        "offeringId": str(run.uuid),
        "primaryCode": {"codeType": "offeringCode", "code": f"{course.code}-{start.isoformat()}"},
        "offeringType": "course",
        "name": _strings(translations, "title"),
        "abbreviation": course.code[:256],
        "description": _strings(translations, "summary", fallback="title"),
        "teachingLanguage": _first_teaching_language(course),
        "modeOfDelivery": [MODES[DeliveryMode(run.delivery_mode)]],
        "resultExpected": course.credential != Credential.NONE,
        "startDate": start.isoformat(),
        "endDate": end.isoformat(),
        # No price list: and an empty one is what tells a course offering from a program
        # offering in OOAPI's oneOf (a program offering's priceInformation has minItems 1).
        "priceInformation": [],
        "course": _course(course, links) if "course" in expand else str(course.uuid),
        "organization": (
            _organization(course.institution)
            if "organization" in expand
            else str(course.institution.uuid)
        ),
    }
    if run.capacity is not None:
        data["maxNumberStudents"] = run.capacity
    if run.enrollment_start_at is not None:
        data["enrollStartDate"] = run.enrollment_start_at.date().isoformat()
    if run.enrollment_end_at is not None:
        data["enrollEndDate"] = run.enrollment_end_at.date().isoformat()
    link = links.fill(links.course, course.slug)
    if link:
        data["link"] = link
    return data


def _date_arg(name: str) -> date | None:
    raw = request.args.get(name)
    if raw is None:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(f"{name} is a date, e.g. 2026-09-01.", field=name) from None


@bp.route("/courses/<course_id>/offerings")
def course_offerings(course_id: str) -> Response:
    course = _public_course(course_id)
    size, number = _page_args()
    keys = _list_arg(
        "sort",
        tuple(p + k for p in ("", "-") for k in ("offeringId", "name", "startDate", "endDate")),
        ["startDate"],
    )
    since = _date_arg("since") or date.today()
    until = _date_arg("until")
    mode = request.args.get("modeOfDelivery")
    if mode is not None and mode not in (
        "distance-learning",
        "on campus",
        "online",
        "hybrid",
        "situated",
    ):
        raise InvalidInput(
            "modeOfDelivery is not an OOAPI mode of delivery.", field="modeOfDelivery"
        )
    result = request.args.get("resultExpected")
    if result not in (None, "true", "false"):
        raise InvalidInput("resultExpected is true or false.", field="resultExpected")
    language = request.args.get("teachingLanguage")
    if language is not None and (len(language) != 3 or not language.isalpha()):
        raise InvalidInput(
            "teachingLanguage is an ISO 639-2 code, e.g. kor.", field="teachingLanguage"
        )

    offered = []
    for run in course.runs:
        dates = _dates(run)
        if dates is None or dates[0] < since or (until and dates[1] > until):
            continue
        if mode is not None and MODES[DeliveryMode(run.delivery_mode)] != mode:
            continue
        if result is not None and (course.credential != Credential.NONE) != (result == "true"):
            continue
        if language is not None and _first_teaching_language(course) != language:
            continue
        offered.append((run, dates))
    sort_key = {
        "offeringId": lambda item: str(item[0].uuid),
        "name": lambda item: course.text("title", course.original_language).text,
        "startDate": lambda item: item[1][0],
        "endDate": lambda item: item[1][1],
    }
    for key in reversed(keys):
        offered.sort(key=sort_key[key.lstrip("-")], reverse=key.startswith("-"))
    links = PageLinks()
    pages = max(1, math.ceil(len(offered) / size))
    page = offered[(number - 1) * size : number * size]
    return _json(
        {
            "pageSize": size,
            "pageNumber": number,
            "hasPreviousPage": number > 1,
            "hasNextPage": number < pages,
            "totalPages": pages,
            "items": [_offering(run, links) for run, _ in page],
        }
    )


@bp.route("/offerings/<offering_id>")
def offering(offering_id: str) -> Response:
    expand = _expand(
        ("program", "programOffering", "course", "courseOffering", "component", "organization",
         "academicSession")
    )  # fmt: skip
    run = session.scalar(
        select(CourseRun).where(
            CourseRun.uuid == _uuid(offering_id, "offering"),
            CourseRun.course_id.in_(own_public_courses().with_only_columns(Course.id)),
        )
    )
    if run is None or _dates(run) is None:
        raise NotFound("No offering with this id.")
    return _json(_offering(run, PageLinks(), expand))


# Errors as OOAPI problems ---------------------------------------------------------------


def _problem(status: int, title: str, detail: str | None = None) -> Response:
    payload = {"status": str(status), "title": title}
    if detail:
        payload["detail"] = detail
    response = _json(payload, status)
    response.mimetype = "application/problem+json"
    return response


def handle_portal_error(error: PortalError) -> Response:
    session.rollback()
    titles = {400: "Bad request", 404: "Resource not found"}
    return _problem(error.status, titles.get(error.status, "Error"), error.message)


def handle_http_error(error: Any) -> Any:
    if error.code is None or error.code < 400:
        return error
    return _problem(error.code, error.name, error.description)


def handle_unexpected_error(error: Any) -> Response:
    """Anything unexpected is a problem document too (Flask has logged it; the request's
    transaction is rolled back by ``mooc_portal.transaction.end_request``)."""
    return _problem(500, "Internal server error", "Something went wrong on our side.")


bp.register_error_handler(PortalError, handle_portal_error)
bp.register_error_handler(500, handle_unexpected_error)
for _code in (400, 403, 404, 405, 429, 503):
    bp.register_error_handler(_code, handle_http_error)
