"""The catalog-provider part of the Open Education API (OOAPI) v5, under ``/ooapi/v5``.

Institutions are organizations of type ``institute`` below one ``root`` organization, the
portal itself; courses are OOAPI courses; a course's runs are its course offerings. Only runs
with a start date and an end (given, or the start plus the course's length) are offerings, as
OOAPI requires both dates; cancelled runs are not offered. Every error, unknown paths and
methods included, is an ``application/problem+json`` document.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, TypedDict

from flask import Response, jsonify
from flask_smorest import Blueprint
from werkzeug.exceptions import HTTPException

from mooc_portal.caching import cached_page
from mooc_portal.cors import allow_public_reads
from mooc_portal.db import session
from mooc_portal.errors import NotFound, PortalError
from mooc_portal.federation.http import (
    CATCH_ALL_METHODS,
    answer_options_exactly,
    error_headers,
    unmatched,
)
from mooc_portal.federation.ooapi import schemas
from mooc_portal.federation.ooapi import serialize as ooapi
from mooc_portal.federation.schemas import ArgumentsLocation
from mooc_portal.federation.serialize import PageLinks
from mooc_portal.federation.services import ooapi as services

bp = Blueprint("ooapi", __name__, url_prefix="/ooapi/v5")
QUERY: ArgumentsLocation = {"location": "query", "error_status_code": 400}
allow_public_reads(bp)
answer_options_exactly(bp)


def _json(payload: Any, status: int = 200) -> Response:
    response = jsonify(payload)
    response.status_code = status
    return response


def _id(value: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise NotFound(f"No {what} with this id.") from None


def _page(page: services.Page, serialize: Callable[[Any], dict[str, Any]]) -> Response:
    return _json({**page.pagination(), "items": [serialize(item) for item in page.items]})


def _q(args: dict[str, Any]) -> str | None:
    return args.get("q") or args.get("search")


class _Paging(TypedDict):
    size: int
    number: int


def _paging(args: dict[str, Any]) -> _Paging:
    return {"size": args["pageSize"], "number": args["pageNumber"]}


def _course_filters(args: dict[str, Any]) -> services.CourseFilters:
    return services.CourseFilters(
        q=_q(args),
        primary_code=args.get("primaryCode"),
        teaching_language=args.get("teachingLanguage"),
        level=args.get("level"),
        mode=args.get("modeOfDelivery"),
        sort=args["sort"],
    )


def _offering_filters(args: dict[str, Any]) -> services.OfferingFilters:
    return services.OfferingFilters(
        q=_q(args),
        teaching_language=args.get("teachingLanguage"),
        mode=args.get("modeOfDelivery"),
        offering_type=args.get("offeringType"),
        result_expected=args.get("resultExpected"),
        since=args.get("since"),
        until=args.get("until"),
        sort=args["sort"],
    )


def _courses(args: dict[str, Any], institution: Any = None) -> Response:
    page = services.course_page(_course_filters(args), institution=institution, **_paging(args))
    links = PageLinks()
    return _page(page, lambda course: ooapi.course(course, links))


def _offerings(args: dict[str, Any], **scope: Any) -> Response:
    page = services.offering_page(_offering_filters(args), **scope, **_paging(args))
    links = PageLinks()
    return _page(page, lambda run: ooapi.offering(run, links))


# Service and organizations --------------------------------------------------------------


@bp.route("/")
def service() -> Response:
    return _json(ooapi.service_metadata())


@bp.route("/organizations")
@bp.arguments(schemas.OrganizationListArgs, **QUERY)
def organizations(args: dict[str, Any]) -> Response:
    page = services.organization_page(
        q=_q(args),
        primary_code=args.get("primaryCode"),
        organization_type=args.get("organizationType"),
        sort=args["sort"],
        **_paging(args),
    )
    return _page(
        page, lambda item: ooapi.root() if isinstance(item, uuid.UUID) else ooapi.organization(item)
    )


@bp.route("/organizations/<organization_id>")
@bp.arguments(schemas.OrganizationArgs, **QUERY)
def organization(args: dict[str, Any], organization_id: str) -> Response:
    expand = set(args.get("expand", ()))
    wanted = _id(organization_id, "organization")
    if wanted == services.root_id():
        return _json(ooapi.root(expand="children" in expand))
    institution = services.get_institution(wanted)
    return _json(ooapi.organization(institution, expand_parent="parent" in expand))


@bp.route("/organizations/<organization_id>/courses")
@bp.arguments(schemas.CourseListArgs, **QUERY)
@cached_page(shared=True)
def organization_courses(args: dict[str, Any], organization_id: str) -> Response:
    scope = services.organization_scope(_id(organization_id, "organization"))
    return _courses(args, scope)


@bp.route("/organizations/<organization_id>/offerings")
@bp.arguments(schemas.OfferingListArgs, **QUERY)
def organization_offerings(args: dict[str, Any], organization_id: str) -> Response:
    scope = services.organization_scope(_id(organization_id, "organization"))
    return _offerings(args, institution=scope)


# Courses and offerings ------------------------------------------------------------------


@bp.route("/courses")
@bp.arguments(schemas.CourseListArgs, **QUERY)
@cached_page(shared=True)
def courses(args: dict[str, Any]) -> Response:
    return _courses(args)


@bp.route("/courses/<course_id>")
@bp.arguments(schemas.CourseArgs, **QUERY)
def course(args: dict[str, Any], course_id: str) -> Response:
    found = services.get_course(_id(course_id, "course"))
    return _json(ooapi.course(found, PageLinks(), args.get("expand", ())))


@bp.route("/courses/<course_id>/offerings")
@bp.arguments(schemas.OfferingListArgs, **QUERY)
def course_offerings(args: dict[str, Any], course_id: str) -> Response:
    return _offerings(args, course=services.get_course(_id(course_id, "course")))


@bp.route("/offerings/<offering_id>")
@bp.arguments(schemas.OfferingArgs, **QUERY)
def offering(args: dict[str, Any], offering_id: str) -> Response:
    run = services.get_offering(_id(offering_id, "offering"))
    return _json(ooapi.offering(run, PageLinks(), args.get("expand", ())))


@bp.route("/<path:unknown>", methods=CATCH_ALL_METHODS)
def unknown_endpoint(unknown: str) -> Response:
    unmatched("This OOAPI endpoint is not provided here.")


# Errors as OOAPI problems ---------------------------------------------------------------

TITLES = {400: "Bad request", 404: "Resource not found", 405: "Method not allowed"}


def _problem(status: int, title: str, detail: str | None = None) -> Response:
    payload = {"status": str(status), "title": title}
    if detail:
        payload["detail"] = detail
    response = _json(payload, status)
    response.mimetype = "application/problem+json"
    return response


def handle_portal_error(error: PortalError) -> Response:
    session.rollback()
    detail = f"{error.field}: {error.message}" if error.field else error.message
    return _problem(error.status, TITLES.get(error.status, "Error"), detail)


def handle_http_error(error: HTTPException) -> Any:
    if error.code is None or error.code < 400:
        return error
    messages = (getattr(error, "data", None) or {}).get("messages") or {}
    problems = [
        f"{name}: {' '.join(map(str, found if isinstance(found, list) else [found]))}"
        for by_field in messages.values()
        for name, found in by_field.items()
    ]
    detail = "; ".join(problems) or error.description
    response = _problem(error.code, TITLES.get(error.code, error.name), detail)
    response.headers.update(error_headers(error))
    return response


def handle_unexpected_error(error: Any) -> Response:
    """Anything unexpected is a problem document too (Flask has logged it; the request's
    transaction is rolled back by ``mooc_portal.transaction.end_request``)."""
    return _problem(500, "Internal server error", "Something went wrong on our side.")


bp.register_error_handler(PortalError, handle_portal_error)
bp.register_error_handler(500, handle_unexpected_error)
for _code in (400, 401, 403, 404, 405, 406, 413, 414, 415, 422, 429, 503):
    bp.register_error_handler(_code, handle_http_error)
