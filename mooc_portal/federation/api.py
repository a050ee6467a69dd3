"""``/api/v1``: the public, read-only JSON API, the change feed and the snapshot.

Built with flask-smorest on the portal's own blueprint. flask-smorest's ``Api`` is used only to
write the OpenAPI document: it is never ``init_app``-ed on the application, so it installs no
error handler in a host application; this blueprint answers its own errors as JSON.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from types import SimpleNamespace
from typing import Any
from uuid import UUID

from flask import (
    Flask,
    Response,
    g,
    jsonify,
    render_template,
    request,
    stream_with_context,
)
from flask_babel import gettext as _
from flask_smorest import Api
from flask_smorest import Blueprint as ApiBlueprint
from flask_smorest.utils import PrefixedMappingProxy
from sqlalchemy import Select
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import HTTPException
from werkzeug.http import is_resource_modified

from mooc_portal import __version__
from mooc_portal.appctx import current_flask_app
from mooc_portal.caching import cached_page
from mooc_portal.catalog.filters import parse_catalog_args
from mooc_portal.catalog.models import Course, CourseRun
from mooc_portal.catalog.search import FACETS, CatalogFilters, matching_course_ids, suggest_query
from mooc_portal.cors import allow_public_reads
from mooc_portal.db import session
from mooc_portal.errors import InvalidInput, NotFound, PortalError, Unprocessable
from mooc_portal.federation import schemas
from mooc_portal.federation.http import (
    CATCH_ALL_METHODS,
    answer_options_exactly,
    error_headers,
    unmatched,
)
from mooc_portal.federation.models import ResourceType
from mooc_portal.federation.schemas import ArgumentsLocation
from mooc_portal.federation.serialize import (
    PageLinks,
    course_resource,
    institution_resource,
    run_resource,
)
from mooc_portal.federation.services import snapshot as snapshot_service
from mooc_portal.federation.services.cursors import decode_cursor, encode_cursor
from mooc_portal.federation.services.feed import changes_since, latest_change, latest_sequence
from mooc_portal.federation.services.read_model import (
    course_rows,
    get_own_public,
    own_public_courses,
    own_public_institutions,
)
from mooc_portal.federation.services.snapshot import export_catalog
from mooc_portal.institutions.models import Institution
from mooc_portal.urls import external_url


class _BodyParser(FlaskParser):
    """webargs' parser, with one rule for every write's body: it is a JSON object. Broken JSON,
    an empty body, another Content-Type or a JSON array would otherwise give Werkzeug's generic
    400 or a list of missing fields."""

    def load_json(self, req: Any, schema: Any) -> Any:
        try:
            data = json.loads(req.get_data(cache=True))
        except ValueError:  # also UnicodeDecodeError
            data = None
        if not isinstance(data, dict):
            raise InvalidInput("The request body must be a JSON object.")
        return data


class _Blueprint(ApiBlueprint):
    ARGUMENTS_PARSER = _BodyParser()


bp = _Blueprint(
    "api",
    __name__,
    url_prefix="/api/v1",
    description="The ASEM MOOC Portal's public catalog, change feed and snapshot.",
)

ERROR_CODES = (400, 401, 403, 404, 405, 409, 410, 415, 422, 429, 503)
allow_public_reads(bp)
answer_options_exactly(bp)
QUERY: ArgumentsLocation = {"location": "query", "error_status_code": 400}


# Responses ------------------------------------------------------------------------------


def encode_json(payload: Any) -> tuple[bytes, str]:
    """The body of a JSON response and its strong ETag."""
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    return body, hashlib.sha256(body).hexdigest()


def json_response(
    payload: Any, *, last_modified: datetime | None = None, encoded: tuple[bytes, str] | None = None
) -> Response:
    """JSON with a strong ETag (and Last-Modified); 304 when the client already has it."""
    body, etag = encoded or encode_json(payload)
    response = Response(body, mimetype="application/json")
    response.set_etag(etag)
    if last_modified is not None:
        response.last_modified = last_modified
    response.headers["Cache-Control"] = "no-cache"
    response.make_conditional(request)  # a 304 when the client has it; returns the response
    return response


def _latest(*values: datetime | None) -> datetime | None:
    present = [v for v in values if v is not None]
    return max(present) if present else None


def _course_modified(course: Any) -> datetime | None:
    return _latest(course.modified_at, *(run.modified_at for run in course.runs))


def _page(
    items: list[dict[str, Any]],
    next_cursor: str | None,
    last_modified: Any,
    encoded: tuple[bytes, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> Response:
    response = json_response(
        {"items": items, "next": next_cursor, **(extra or {})},
        last_modified=last_modified,
        encoded=encoded,
    )
    if next_cursor is not None:
        args = request.args.to_dict()
        args["cursor"] = next_cursor
        url = external_url(request.endpoint or "", **args)
        response.headers["Link"] = f'<{url}>; rel="next"'
    return response


def _keyset(query: Select[Any], key: Any, args: dict[str, Any]) -> tuple[list[Any], str | None]:
    after = decode_cursor(args["cursor"], "k", field="cursor") if args.get("cursor") else 0
    limit = args["limit"]
    rows = list(session.scalars(query.where(key > after).order_by(key).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, encode_cursor("k", rows[-1].id) if more else None


def _uuid(value: str) -> UUID:
    # Not a route converter: a malformed id must still reach this blueprint's JSON 404.
    try:
        return UUID(value)
    except ValueError:
        raise NotFound("No resource with this id.") from None


# Institutions ---------------------------------------------------------------------------


@bp.route("/institutions")
@bp.arguments(schemas.InstitutionFilterSchema, **QUERY)
@bp.response(200, schemas.InstitutionPageSchema)
def institution_list(args: dict[str, Any]) -> Response:
    """Public institutions, in a stable order, a page at a time."""
    query = own_public_institutions()
    if "country" in args:
        query = query.where(Institution.country == args["country"])
    if "region" in args:
        query = query.where(Institution.region == args["region"])
    rows, next_cursor = _keyset(query, Institution.id, args)
    links = PageLinks()
    return _page(
        [institution_resource(i, links) for i in rows],
        next_cursor,
        _latest(*(i.modified_at for i in rows)),
    )


@bp.route("/institutions/<institution_id>")
@bp.response(200, schemas.InstitutionSchema)
def institution_detail(institution_id: str) -> Response:
    """One public institution."""
    institution = get_own_public(ResourceType.INSTITUTION, _uuid(institution_id))
    return json_response(
        institution_resource(institution, PageLinks()), last_modified=institution.modified_at
    )


# Courses and runs -----------------------------------------------------------------------


def course_filters() -> CatalogFilters:
    """The catalog's filters from the query string (the parser ``/courses`` uses); a value the
    catalog page would ignore with a notice is refused here: a 400 naming its parameter."""
    parsed = parse_catalog_args(request.args)
    for problem in parsed.problems:
        if problem.field == "institution":  # well-formed (the schema checked), but unknown
            raise Unprocessable(problem.refused, field=problem.field)
        if problem.field in (*FACETS, "q"):
            raise InvalidInput(problem.refused, field=problem.field)
    return parsed.filters


@bp.route("/courses")
@bp.arguments(schemas.CourseFilterSchema, **QUERY)
@bp.response(200, schemas.CoursePageSchema)
@bp.alt_response(422, schema=schemas.ErrorSchema, description="No such institution here.")
@cached_page(shared=True)
def course_list(args: dict[str, Any]) -> Response:
    """Public courses with their runs, filtered as in the catalog, in a stable order."""
    # The feed versions the public catalog: every public change writes an entry. Its time is
    # part of Last-Modified, so that a course leaving the list changes it too. The page cache
    # keys its entries by the same version (mooc_portal/caching.py).
    filters = course_filters()
    _sequence, changed_at = latest_change()
    items, next_cursor, modified = _course_page(filters, args)
    extra = None
    if not items and filters.query.strip() and not args.get("cursor"):
        # A search that found nothing: "did you mean", as on the catalog page.
        extra = {"suggestion": suggest_query(filters)}
    return _page(items, next_cursor, _latest(modified, changed_at), extra=extra)


def _course_page(
    filters: CatalogFilters, args: dict[str, Any]
) -> tuple[list[dict[str, Any]], str | None, Any]:
    after = decode_cursor(args["cursor"], "k", field="cursor") if args.get("cursor") else 0
    limit = args["limit"]
    query = own_public_courses()
    if filters.is_filtered:
        query = query.where(Course.id.in_(matching_course_ids(filters)))
    rows = course_rows(query, after=after, limit=limit + 1)
    next_cursor = encode_cursor("k", rows[limit - 1].id) if len(rows) > limit else None
    rows = rows[:limit]
    links = PageLinks()
    return (
        [course_resource(c, links) for c in rows],
        next_cursor,
        _latest(*(_course_modified(c) for c in rows)),
    )


@bp.route("/courses/<course_id>")
@bp.response(200, schemas.CourseSchema)
def course_detail(course_id: str) -> Response:
    """One public course with its runs."""
    course = get_own_public(ResourceType.COURSE, _uuid(course_id))
    return json_response(
        course_resource(course, PageLinks()), last_modified=_course_modified(course)
    )


@bp.route("/runs/<run_id>")
@bp.response(200, schemas.RunSchema)
def run_detail(run_id: str) -> Response:
    """One run of a public course."""
    run = get_own_public(ResourceType.RUN, _uuid(run_id))
    return json_response(run_resource(run, str(run.course.uuid)), last_modified=run.modified_at)


# Partner writes (API tokens) --------------------------------------------------------------

BEARER: list[dict[str, list[str]]] = [{"bearerAuth": []}]
JSON_BODY: ArgumentsLocation = {"location": "json", "error_status_code": 400}


class Unauthorized(PortalError):
    status = 401


class UnsupportedMediaType(PortalError):
    status = 415


def write_errors(view: Callable[..., Response]) -> Callable[..., Response]:
    """The errors every write documents besides its body's 400."""
    for status, description in (
        (401, "No valid API token (checked before the body)."),
        (415, "The body is not JSON."),
        (422, "The values break a course rule that the schema cannot express (dates out of "
              "order, ECTS credits without the ECTS credential, an unknown subject)."),
    ):  # fmt: skip
        view = bp.alt_response(status, schema=schemas.ErrorSchema, description=description)(view)
    return view


def token_write(view: Callable[..., Response]) -> Callable[..., Response]:
    """A partner write: the token is checked first (401), then the body's type (415), and only
    then is the body parsed and validated (``bp.arguments`` below this decorator)."""

    @wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Response:
        from mooc_portal.federation.partner import authenticate_token

        header = request.headers.get("Authorization", "")
        scheme, _, plain = header.partition(" ")
        token = authenticate_token(plain.strip()) if scheme.lower() == "bearer" else None
        if token is None:
            raise Unauthorized("Send a valid API token: Authorization: Bearer <token>.")
        if not request.is_json:
            raise UnsupportedMediaType("Send the body as JSON (Content-Type: application/json).")
        g.mooc_api_token = token
        return view(*args, **kwargs)

    return checked


def _token() -> Any:
    return g.mooc_api_token


def _written_course(course: Course, status: int) -> Response:
    response = jsonify(
        {"id": str(course.uuid), "status": course.status, "code": course.code, "slug": course.slug}
    )
    response.status_code = status
    return response


def _written_run(run: CourseRun, status: int) -> Response:
    response = jsonify({"id": str(run.uuid), "course": str(run.course.uuid)})
    response.status_code = status
    return response


@bp.route("/courses", methods=["POST"], endpoint="course_create")
@token_write
@bp.arguments(schemas.CourseWriteSchema, **JSON_BODY)
@bp.response(201, schemas.WrittenCourseSchema)
@bp.doc(security=BEARER)
@write_errors
def course_create(data: dict[str, Any]) -> Response:
    """Create a draft course of the token's institution (``submit`` puts it in review)."""
    from mooc_portal.federation.partner import create_course

    return _written_course(create_course(_token(), data), 201)


@bp.route("/courses/<course_id>", methods=["PATCH"], endpoint="course_update")
@token_write
@bp.arguments(schemas.CourseUpdateSchema(partial=True), **JSON_BODY)
@bp.response(200, schemas.WrittenCourseSchema)
@bp.doc(security=BEARER)
@write_errors
def course_update(data: dict[str, Any], course_id: str) -> Response:
    """Change a course of the token's institution (live at once when published)."""
    from mooc_portal.federation.partner import update_course

    token = _token()
    return _written_course(update_course(token, _uuid(course_id), data), 200)


@bp.route("/courses/<course_id>/runs", methods=["POST"], endpoint="run_create")
@token_write
@bp.arguments(schemas.RunWriteSchema, **JSON_BODY)
@bp.response(201, schemas.WrittenRunSchema)
@bp.doc(security=BEARER)
@write_errors
def run_create(data: dict[str, Any], course_id: str) -> Response:
    """Add a run to a course of the token's institution."""
    from mooc_portal.federation.partner import save_run

    token = _token()
    return _written_run(save_run(token, _uuid(course_id), data), 201)


@bp.route("/runs/<run_id>", methods=["PATCH"], endpoint="run_update")
@token_write
@bp.arguments(schemas.RunUpdateSchema(partial=True), **JSON_BODY)
@bp.response(200, schemas.WrittenRunSchema)
@bp.doc(security=BEARER)
@write_errors
def run_update(data: dict[str, Any], run_id: str) -> Response:
    """Change a run of a course of the token's institution."""
    from mooc_portal.federation.partner import run_course, save_run

    token = _token()
    wanted = _uuid(run_id)
    return _written_run(save_run(token, run_course(token, wanted), data, wanted), 200)


# Change feed and snapshot ---------------------------------------------------------------


@bp.route("/changes")
@bp.arguments(schemas.ChangesArgsSchema, **QUERY)
@bp.response(200, schemas.ChangesSchema)
@bp.alt_response(410, schema=schemas.ErrorSchema, description="Resynchronise from the snapshot.")
def changes(args: dict[str, Any]) -> Response:
    """Every create, update and withdrawal of a public resource after the cursor, in order."""
    page = changes_since(args.get("after"), limit=args["limit"])
    response = json_response(
        {"changes": page.changes, "next": page.cursor, "has_more": page.has_more}
    )
    if page.has_more:
        url = external_url(request.endpoint or "", after=page.cursor, limit=args["limit"])
        response.headers["Link"] = f'<{url}>; rel="next"'
    return response


@bp.route("/export")
@bp.response(200, schemas.SnapshotSchema)
@bp.alt_response(
    503, schema=schemas.ErrorSchema, description="Being built; ask again after Retry-After."
)
def export() -> Response:
    """The whole public catalog in one document, with the feed cursor to follow.

    Served as the background job last built it (gzip or brotli, ``ETag``, ``Last-Modified``,
    304); it may be a little behind the catalog: its cursor replays what changed since. While
    no snapshot is current, a small catalog is streamed at once and a large one answers 503
    with ``Retry-After`` until the job has built it.
    """
    snapshot = snapshot_service.current_snapshot()
    latest = latest_sequence()
    if snapshot is not None and (
        snapshot.sequence >= latest or not snapshot_service.small_enough_to_export_inline()
    ):
        return _stored_export(snapshot)
    if snapshot_service.small_enough_to_export_inline():
        return Response(stream_with_context(export_catalog()), mimetype="application/json")
    snapshot_service.request_snapshot()
    response = _error(503, _("The export is being prepared. Ask again in a minute."))
    response.headers["Retry-After"] = "60"
    return response


def _stored_export(snapshot: Any) -> Response:
    etag = f"snapshot-{snapshot.etag}"
    headers = {
        "Cache-Control": "public, no-cache",
        "Vary": "Accept-Encoding",
        "X-Snapshot-Built-At": snapshot.built_at.isoformat().replace("+00:00", "Z"),
    }
    if not is_resource_modified(
        request.environ, etag=etag, last_modified=snapshot.built_at.replace(microsecond=0)
    ):
        response = Response(status=304, headers=headers)
    else:
        accepted = request.accept_encodings
        encoding = next((e for e in ("br", "gzip") if accepted[e] > 0), None)
        if encoding is not None:
            response = Response(
                snapshot_service.snapshot_body(snapshot.id, encoding),
                mimetype="application/json",
                headers={**headers, "Content-Encoding": encoding},
            )
        else:
            response = Response(
                stream_with_context(snapshot_service.snapshot_text(snapshot.id)),
                mimetype="application/json",
                headers=headers,
            )
    response.set_etag(etag, weak=True)  # the same document in every encoding
    response.last_modified = snapshot.built_at
    return response


@bp.route("/<path:unknown>", methods=CATCH_ALL_METHODS)
def unknown_endpoint(unknown: str) -> Response:
    unmatched("No such API endpoint.")


# The OpenAPI document -------------------------------------------------------------------


class _DocumentOnlyApi(Api):
    """flask-smorest's ``Api`` as an OpenAPI writer only (no error handlers, no routes)."""

    ERROR_SCHEMA = schemas.ErrorSchema


def openapi_document(app: Flask) -> dict[str, Any]:
    """The OpenAPI 3.1 document of ``/api/v1`` (built once per application)."""
    extras = app.extensions["mooc_portal"].extras
    if "openapi" not in extras:
        api = _DocumentOnlyApi()
        # _init_spec only adds an ``openapi`` command to this stand-in, not to the host's CLI.
        api._app = SimpleNamespace(cli=SimpleNamespace(add_command=lambda _command: None))
        api.config = PrefixedMappingProxy({}, "")
        api._init_spec(
            title=f"{app.config['MOOC_SITE_NAME']} API",
            version=__version__,
            openapi_version="3.1.0",
            info={"description": bp.description},
        )
        endpoint_prefix = next(
            rule.endpoint.rsplit(".", 1)[0]
            for rule in app.url_map.iter_rules()
            if rule.endpoint.endswith(".api.course_list")
        )
        api.spec.components.security_scheme(
            "bearerAuth",
            {"type": "http", "scheme": "bearer", "description": "A partner API token."},
        )
        bp.register_views_in_doc(api, app, api.spec, name=endpoint_prefix, parameters=None)
        document = api.spec.to_dict()
        hidden = ("/openapi.json", "/docs", "{unknown}")
        for path in [p for p in document["paths"] if p.endswith(hidden)]:
            del document["paths"][path]  # the document itself and its page
        for path in document["paths"].values():
            for method, operation in path.items():
                if method != "parameters":
                    operation["tags"] = ["catalog"]
        document["tags"] = [{"name": "catalog", "description": bp.description}]
        schemas.declare_language_tags(document)
        extras["openapi"] = document
    found: dict[str, Any] = extras["openapi"]
    return found


@bp.route("/openapi.json")
def openapi_json() -> Response:
    return json_response(openapi_document(current_flask_app()))


@bp.route("/docs")
def docs() -> str:
    document = openapi_document(current_flask_app())
    return render_template("mooc_portal/federation/api_docs.html", document=document)


# Errors as JSON -------------------------------------------------------------------------


def _error(status: int, message: str, field: str | None = None, errors: Any = None) -> Response:
    payload: dict[str, Any] = {"status": status, "message": message, "field": field}
    if errors:
        payload["errors"] = errors
    response = jsonify(payload)
    response.status_code = status
    return response


def handle_portal_error(error: PortalError) -> Response:
    session.rollback()
    response = _error(error.status, error.message, error.field)
    if error.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="mooc-portal"'
    return response


def _flat_messages(messages: Any, path: str = "") -> dict[str, list[str]]:
    """marshmallow's nested messages as ``{"title.en": [...]}``. A dict field reports a bad key
    under ``key`` (the path stops at the field: the key is named in the message) and a bad
    value under ``value``; a list reports its items by index."""
    if not isinstance(messages, dict):
        items = messages if isinstance(messages, list) else [messages]
        return {path: [str(m) for m in items]} if path else {}
    flat: dict[str, list[str]] = {}
    for key, nested in messages.items():
        if isinstance(nested, dict) and set(nested) <= {"key", "value"} and nested:
            for part, leaf in nested.items():
                sub = path if part == "key" else f"{path}.{key}" if path else str(key)
                for name, found in _flat_messages(leaf, sub).items():
                    flat.setdefault(name, []).extend(found)
            continue
        sub = f"{path}.{key}" if path else str(key)
        for name, found in _flat_messages(nested, sub).items():
            flat.setdefault(name, []).extend(found)
    return flat


def handle_http_error(error: HTTPException) -> Any:
    """Every HTTP error of this blueprint, webargs' validation errors included, as JSON: the
    message names the first wrong field's path (``title.en: ...``); ``field`` is the top-level
    field (the one a form would show it at) and ``errors`` lists every path's messages."""
    if error.code is None or error.code < 400:
        return error
    response = _http_error(error)
    response.headers.update(error_headers(error))
    return response


def _http_error(error: HTTPException) -> Response:
    status = error.code or 500  # (every error raised here has its code)
    data = getattr(error, "data", None) or {}
    errors: dict[str, list[str]] = {}
    for by_field in (data.get("messages") or {}).values():  # per location (json, query)
        errors.update(_flat_messages(by_field))
    path = next(iter(errors), None)
    if path is None:
        return _error(status, error.description or error.name)
    if path == "_schema":  # a rule across fields without one to name
        return _error(status, " ".join(errors[path]), None, errors)
    field = path.split(".", 1)[0]
    return _error(status, f"{path}: {' '.join(errors[path])}", field, errors)


def handle_unexpected_error(error: HTTPException) -> Response:
    """Anything unexpected is answered as JSON too (Flask has logged it; the request's
    transaction is rolled back by ``mooc_portal.transaction.end_request``)."""
    return _error(500, "Something went wrong on our side.")


bp.register_error_handler(PortalError, handle_portal_error)
bp.register_error_handler(500, handle_unexpected_error)
for _code in ERROR_CODES:
    bp.register_error_handler(_code, handle_http_error)
