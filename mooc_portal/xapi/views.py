"""``/xapi``: the Learning Record Store's resources (xAPI 1.0.3, and 2.0.0 where it agrees).

Every resource takes the alternate request syntax too (a POST with ``?method=PUT`` whose
form carries the headers, parameters and content), so each view reads the request through
:class:`XapiRequest` and dispatches on its method. Errors are answered as JSON.
"""

from __future__ import annotations

import base64
import binascii
import email.parser
import email.policy
import hashlib
import json
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.message import Message
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, g, request, url_for
from werkzeug.datastructures import Headers, MultiDict
from werkzeug.exceptions import HTTPException

from mooc_portal.db import session
from mooc_portal.errors import PortalError
from mooc_portal.xapi import documents, statements, validation
from mooc_portal.xapi.credentials import authenticate
from mooc_portal.xapi.models import DocumentKind, XapiCredential, XapiDocument
from mooc_portal.xapi.statements import Attachment, StatementQuery
from mooc_portal.xapi.validation import StatementInvalid, fail

bp = Blueprint("xapi", __name__, url_prefix="/xapi")

VERSIONS_1 = ("1.0", "1.0.0", "1.0.1", "1.0.2", "1.0.3")
ABOUT_VERSIONS = ["1.0.0", "1.0.1", "1.0.2", "1.0.3", "2.0.0"]
HEADERS_IN_FORM = (
    "Authorization",
    "X-Experience-API-Version",
    "Content-Type",
    "Content-Length",
    "If-Match",
    "If-None-Match",
    "Accept-Language",
)


class Unauthorized(PortalError):
    status = 401


class UnsupportedMedia(PortalError):
    status = 415


@dataclass
class XapiRequest:
    """The request as the resource sees it, whichever syntax carried it."""

    method: str
    args: MultiDict[str, str]
    headers: Headers
    body: bytes
    credential: XapiCredential | None = None
    version: str = "1.0.3"
    allowed_extra: set[str] = field(default_factory=set)

    @property
    def authenticated(self) -> XapiCredential:
        """The credential of a request past ``read_request`` (every resource but /about)."""
        if self.credential is None:
            raise Unauthorized("Send an xAPI key and secret of your institution (HTTP Basic).")
        return self.credential

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "")

    @property
    def mimetype(self) -> str:
        return self.content_type.split(";")[0].strip().lower()


def current() -> XapiRequest:
    found: XapiRequest = g.xapi_request
    return found


# -- request handling ----------------------------------------------------------------------


@bp.before_request
def read_request() -> Response | None:
    if request.method == "OPTIONS":
        response = Response(status=204)
        response.headers["Access-Control-Allow-Methods"] = ", ".join(METHODS)
        response.headers["Access-Control-Allow-Headers"] = ", ".join(HEADERS_IN_FORM)
        response.headers["Access-Control-Max-Age"] = "3600"
        return response
    method = request.method
    args = MultiDict(request.args)
    headers = Headers(request.headers)
    body = request.get_data(cache=True)
    if "method" in request.args:
        if request.method != "POST":
            fail("method", "the alternate request syntax is a POST")
        if len(request.args) != 1:
            fail("", "with the alternate request syntax every parameter is in the form")
        method = request.args["method"].upper()
        if method not in ("GET", "HEAD", "PUT", "POST", "DELETE"):
            fail("method", "is not a method of this resource")
        if request.mimetype != "application/x-www-form-urlencoded":
            fail("", "the alternate request syntax sends an application/x-www-form-urlencoded form")
        args = MultiDict()
        for name, value in request.form.items(multi=True):
            if name == "content":
                continue
            if name.lower() in {h.lower() for h in HEADERS_IN_FORM}:
                headers[name] = value
            else:
                args.add(name, value)
        body = request.form.get("content", "").encode()
        if not any(name.lower() == "content-type" for name in request.form):
            headers["Content-Type"] = "application/json"
    g.xapi_request = xreq = XapiRequest(method=method, args=args, headers=headers, body=body)
    if request.endpoint != "portal.xapi.about":
        xreq.credential = _authenticate(xreq)
    xreq.version = _negotiate(xreq)
    return None


def _negotiate(xreq: XapiRequest) -> str:
    asked = xreq.headers.get("X-Experience-API-Version")
    if asked is None:
        if request.endpoint == "portal.xapi.about":
            return "1.0.3"
        fail("X-Experience-API-Version", "the header is required")
    asked = asked.strip()
    if asked in VERSIONS_1:
        return "1.0.3"
    if asked in ("2.0", "2.0.0"):
        return "2.0.0"
    fail("X-Experience-API-Version", f"version {asked!r} is not supported")
    raise AssertionError  # pragma: no cover


def _authenticate(xreq: XapiRequest) -> XapiCredential:
    header = xreq.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "basic" and value:
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            decoded = ""
        key, _, secret = decoded.partition(":")
        credential = authenticate(key, secret)
        if credential is not None:
            return credential
    raise Unauthorized("Send an xAPI key and secret of your institution (HTTP Basic).")


@bp.after_request
def add_headers(response: Response) -> Response:
    xreq = g.get("xapi_request")
    response.headers["X-Experience-API-Version"] = xreq.version if xreq else "1.0.3"
    response.headers.setdefault("Cache-Control", "no-store")
    if request.endpoint == "portal.xapi.statements_resource" and (
        xreq is None or xreq.method in ("GET", "HEAD")
    ):
        # On every statement GET, errors included (Communication 2.1.3.s2.b5).
        response.headers.setdefault(
            "X-Experience-API-Consistent-Through", statements.consistent_through()
        )
    origin = request.headers.get("Origin")
    if origin:
        # Content packages (cmi5, H5P) send statements from the browser; credentials are
        # HTTP Basic, never cookies, so any origin may call.
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = (
            "ETag, Last-Modified, X-Experience-API-Version, X-Experience-API-Consistent-Through"
        )
    return response


def _json(payload: Any, status: int = 200) -> Response:
    return Response(
        json.dumps(payload, ensure_ascii=False, separators=(",", ":")),
        status=status,
        mimetype="application/json",
    )


def _error(status: int, message: str) -> Response:
    response = _json({"error": {"code": status, "message": message}}, status)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Basic realm="xapi"'
    return response


def handle_portal_error(error: PortalError) -> Response:
    session.rollback()
    return _error(error.status, error.message)


def handle_http_error(error: HTTPException) -> Any:
    if error.code is None or error.code < 400:
        return error
    return _error(error.code, error.description or error.name)


def handle_unexpected_error(error: Exception) -> Response:
    return _error(500, "Something went wrong on our side.")


bp.register_error_handler(PortalError, handle_portal_error)
bp.register_error_handler(500, handle_unexpected_error)
for _code in (400, 401, 403, 404, 405, 409, 412, 413, 415, 429):
    bp.register_error_handler(_code, handle_http_error)


def _only(xreq: XapiRequest, allowed: set[str]) -> None:
    for name in xreq.args:
        if name not in allowed:
            fail(name, "is not a parameter of this resource")


def _bool(xreq: XapiRequest, name: str) -> bool:
    value = xreq.args.get(name, "false")
    if value not in ("true", "false"):
        fail(name, "must be true or false")
    return value == "true"


def _agent_param(xreq: XapiRequest, name: str = "agent") -> dict[str, Any]:
    text = xreq.args.get(name)
    if text is None:
        fail(name, "is required")
    try:
        agent: dict[str, Any] = json.loads(text)
    except ValueError:
        fail(name, "must be an Agent as JSON")
    validation.check_actor(agent, name)
    return agent


def _required(xreq: XapiRequest, name: str) -> str:
    value = xreq.args.get(name)
    if value is None or value == "":
        fail(name, "is required")
    return value


def _dispatch(handlers: Mapping[str, Callable[[XapiRequest], Response]]) -> Response:
    xreq = current()
    method = "GET" if xreq.method == "HEAD" else xreq.method
    handler = handlers.get(method)
    if handler is None:
        return _error(405, f"{xreq.method} is not a method of this resource.")
    response = handler(xreq)
    if xreq.method == "HEAD":
        response.set_data(b"")
    return response


METHODS = ["GET", "HEAD", "PUT", "POST", "DELETE", "OPTIONS"]


# -- about ---------------------------------------------------------------------------------


@bp.route("/about", methods=["GET", "HEAD"])
def about() -> Response:
    return _dispatch({"GET": lambda xreq: _json({"version": ABOUT_VERSIONS, "extensions": {}})})


# -- statements ----------------------------------------------------------------------------

GET_PARAMS = {
    "statementId",
    "voidedStatementId",
    "agent",
    "verb",
    "activity",
    "registration",
    "related_activities",
    "related_agents",
    "since",
    "until",
    "limit",
    "format",
    "attachments",
    "ascending",
    "cursor",
}


@bp.route("/statements", methods=METHODS)
def statements_resource() -> Response:
    return _dispatch({"GET": _get_statements, "PUT": _put_statement, "POST": _post_statements})


def _read_statements(xreq: XapiRequest) -> tuple[Any, dict[str, Attachment]]:
    if xreq.mimetype == "multipart/mixed":
        return _read_multipart(xreq)
    if xreq.mimetype != "application/json":
        fail("Content-Type", "statements are sent as application/json or multipart/mixed")
    return _parse_json(xreq.body), {}


def _parse_json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        fail("", "the body is not JSON")
    raise AssertionError  # pragma: no cover


def _read_multipart(xreq: XapiRequest) -> tuple[Any, dict[str, Attachment]]:
    if "boundary=" not in xreq.content_type:
        fail("Content-Type", "multipart/mixed needs a boundary")
    raw = f"Content-Type: {xreq.content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode() + xreq.body
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(raw)
    parts = list(message.iter_parts()) if message.is_multipart() else []
    if not parts:
        fail("", "the multipart body has no parts")
    first = parts[0]
    if first.get_content_type() != "application/json":
        fail("", "the first part holds the statements as application/json")
    body = _parse_json(_part_content(first))
    attachments: dict[str, Attachment] = {}
    for part in parts[1:]:
        sha2 = part.get("X-Experience-API-Hash")
        if not sha2:
            fail("X-Experience-API-Hash", "each attachment part names its SHA-256")
        if (part.get("Content-Transfer-Encoding") or "").lower() != "binary":
            fail("Content-Transfer-Encoding", "attachment parts are sent binary")
        content = _part_content(part)
        if hashlib.sha256(content).hexdigest() != sha2.strip().lower():
            fail("X-Experience-API-Hash", "does not match the part's content")
        attachments[sha2.strip()] = Attachment(part.get_content_type(), content)
    return body, attachments


def _part_content(part: Message) -> bytes:
    """A leaf part's decoded body (``get_payload`` gives None for an empty one)."""
    content = part.get_payload(decode=True)
    return content if isinstance(content, bytes) else b""


def _put_statement(xreq: XapiRequest) -> Response:
    _only(xreq, {"statementId"})
    statement_id = _required(xreq, "statementId")
    validation.check_uuid(statement_id, "statementId")
    statement, attachments = _read_statements(xreq)
    if not isinstance(statement, dict):
        fail("", "PUT takes one statement")
    if "id" in statement and str(statement["id"]).lower() != statement_id.lower():
        fail("id", "differs from the statementId parameter")
    statement = {**statement, "id": statement_id}
    statements.store_statements(xreq.authenticated, [statement], attachments, version=xreq.version)
    return Response(status=204)


def _post_statements(xreq: XapiRequest) -> Response:
    _only(xreq, set())
    body, attachments = _read_statements(xreq)
    batch = body if isinstance(body, list) else [body]
    if not batch:
        fail("", "the batch is empty")
    ids = statements.store_statements(xreq.authenticated, batch, attachments, version=xreq.version)
    return _json(ids)


def _get_statements(xreq: XapiRequest) -> Response:
    _only(xreq, GET_PARAMS)
    institution_id = xreq.authenticated.institution_id
    fmt = xreq.args.get("format", "exact")
    if fmt not in ("exact", "ids", "canonical"):
        fail("format", "must be exact, ids or canonical")
    with_attachments = _bool(xreq, "attachments")
    single = [name for name in ("statementId", "voidedStatementId") if name in xreq.args]
    if single:
        extra = set(xreq.args) - {single[0], "format", "attachments"}
        if len(single) > 1 or extra:
            fail(single[0], "is used alone (with format and attachments only)")
        row = statements.get_statement(
            institution_id, xreq.args[single[0]], voided=single[0] == "voidedStatementId"
        )
        document = _formatted(json.loads(row.document), fmt, xreq)
        response = _statements_response(document, [document], institution_id, with_attachments)
        response.last_modified = row.stored
        return response
    query = _parse_query(xreq)
    rows, last = statements.query_statements(institution_id, query)
    more = ""
    if last is not None:
        params = [(k, v) for k, v in xreq.args.items(multi=True) if k != "cursor"]
        params.append(("cursor", str(last)))
        more = url_for("portal.xapi.statements_resource") + "?" + urlencode(params)
    if fmt == "exact" and not with_attachments:
        body = (
            '{"statements":['
            + ",".join(r.document for r in rows)
            + "],"
            + json.dumps({"more": more})[1:]
        )
        response = Response(body, mimetype="application/json")
        return response
    documents_ = [_formatted(json.loads(r.document), fmt, xreq) for r in rows]
    return _statements_response(
        {"statements": documents_, "more": more}, documents_, institution_id, with_attachments
    )


def _formatted(document: dict[str, Any], fmt: str, xreq: XapiRequest) -> dict[str, Any]:
    if fmt == "ids":
        return statements.ids_format(document)
    if fmt == "canonical":
        languages = [
            part.split(";")[0].strip()
            for part in xreq.headers.get("Accept-Language", "").split(",")
            if part.strip()
        ]
        canonical: dict[str, Any] = statements.canonical_format(document, languages)
        return canonical
    return document


def _statements_response(
    payload: Any, documents_: list[dict[str, Any]], institution_id: int, with_attachments: bool
) -> Response:
    if not with_attachments:
        response = _json(payload)
    else:
        boundary = secrets.token_hex(16)
        chunks = [
            f"--{boundary}\r\nContent-Type: application/json\r\n\r\n".encode(),
            json.dumps(payload, ensure_ascii=False).encode(),
            b"\r\n",
        ]
        for sha2, attachment in statements.attachments_of(institution_id, documents_).items():
            chunks += [
                f"--{boundary}\r\nContent-Type: {attachment.content_type}\r\n"
                f"Content-Transfer-Encoding: binary\r\n"
                f"X-Experience-API-Hash: {sha2}\r\n\r\n".encode(),
                attachment.content,
                b"\r\n",
            ]
        chunks.append(f"--{boundary}--\r\n".encode())
        response = Response(b"".join(chunks), mimetype="multipart/mixed")
        response.headers["Content-Type"] = f"multipart/mixed; boundary={boundary}"
    return response


def _parse_query(xreq: XapiRequest) -> StatementQuery:
    query = StatementQuery()
    if "agent" in xreq.args:
        query.agent = statements.agent_hash(_agent_param(xreq))
    if "verb" in xreq.args:
        query.verb = validation.check_iri(xreq.args["verb"], "verb")
    if "activity" in xreq.args:
        query.activity = statements.activity_hash(
            validation.check_iri(xreq.args["activity"], "activity")
        )
    if "registration" in xreq.args:
        query.registration = validation.parse_uuid(xreq.args["registration"], "registration")
    query.related_activities = _bool(xreq, "related_activities")
    query.related_agents = _bool(xreq, "related_agents")
    query.ascending = _bool(xreq, "ascending")
    for name in ("since", "until"):
        if name in xreq.args:
            setattr(query, name, statements.parse_timestamp(xreq.args[name], name))
    for name in ("limit", "cursor"):
        if name in xreq.args:
            text = xreq.args[name]
            if not text.isdigit() or len(text) > 12:
                fail(name, "must be a whole number")
            if name == "limit":
                query.limit = int(text)
            else:
                query.after = int(text)
    return query


# -- documents -----------------------------------------------------------------------------


def _document_response(document: XapiDocument) -> Response:
    response = Response(document.content, mimetype=None)
    response.headers["Content-Type"] = document.content_type
    response.headers["ETag"] = f'"{document.etag}"'
    response.last_modified = document.updated
    return response


def _since(xreq: XapiRequest) -> Any:
    if "since" not in xreq.args:
        return None
    return statements.parse_timestamp(xreq.args["since"], "since")


def _document_handlers(
    scope_of: Callable[[XapiRequest], documents.Scope],
    id_name: str,
    params: set[str],
) -> dict[str, Callable[[XapiRequest], Response]]:
    def institution(xreq: XapiRequest) -> int:
        return xreq.authenticated.institution_id

    def get(xreq: XapiRequest) -> Response:
        _only(xreq, params | {id_name, "since"})
        scope = scope_of(xreq)
        if id_name in xreq.args:
            if "since" in xreq.args:
                fail("since", f"is used only without {id_name}")
            return _document_response(
                documents.get_document(institution(xreq), scope, xreq.args[id_name])
            )
        return _json(documents.document_ids(institution(xreq), scope, _since(xreq)))

    def write(xreq: XapiRequest, action: Callable[..., XapiDocument]) -> Response:
        _only(xreq, params | {id_name})
        scope = scope_of(xreq)
        document_id = _required(xreq, id_name)
        action(
            institution(xreq),
            scope,
            document_id,
            xreq.body,
            xreq.content_type or "application/octet-stream",
            if_match=xreq.headers.get("If-Match"),
            if_none_match=xreq.headers.get("If-None-Match"),
            version=xreq.version,
        )
        return Response(status=204)

    def delete(xreq: XapiRequest) -> Response:
        _only(xreq, params | {id_name})
        scope = scope_of(xreq)
        document_id = xreq.args.get(id_name)
        if document_id is None and scope.kind != DocumentKind.STATE:
            fail(id_name, "is required")
        documents.delete_documents(
            institution(xreq), scope, document_id, if_match=xreq.headers.get("If-Match")
        )
        return Response(status=204)

    return {
        "GET": get,
        "PUT": lambda xreq: write(xreq, documents.put_document),
        "POST": lambda xreq: write(xreq, documents.post_document),
        "DELETE": delete,
    }


def _state_scope(xreq: XapiRequest) -> documents.Scope:
    activity_id = validation.check_iri(_required(xreq, "activityId"), "activityId")
    agent = statements.agent_identity(_agent_param(xreq)) or ""
    registration = ""
    if "registration" in xreq.args:
        registration = str(validation.parse_uuid(xreq.args["registration"], "registration"))
    return documents.Scope(DocumentKind.STATE, activity_id, agent, registration)


def _activity_profile_scope(xreq: XapiRequest) -> documents.Scope:
    activity_id = validation.check_iri(_required(xreq, "activityId"), "activityId")
    return documents.Scope(DocumentKind.ACTIVITY_PROFILE, activity_id)


def _agent_profile_scope(xreq: XapiRequest) -> documents.Scope:
    agent = statements.agent_identity(_agent_param(xreq)) or ""
    return documents.Scope(DocumentKind.AGENT_PROFILE, agent=agent)


@bp.route("/activities/state", methods=METHODS)
def state_resource() -> Response:
    return _dispatch(
        _document_handlers(_state_scope, "stateId", {"activityId", "agent", "registration"})
    )


@bp.route("/activities/profile", methods=METHODS)
def activity_profile_resource() -> Response:
    return _dispatch(_document_handlers(_activity_profile_scope, "profileId", {"activityId"}))


@bp.route("/agents/profile", methods=METHODS)
def agent_profile_resource() -> Response:
    return _dispatch(_document_handlers(_agent_profile_scope, "profileId", {"agent"}))


@bp.route("/activities", methods=METHODS)
def activities_resource() -> Response:
    def get(xreq: XapiRequest) -> Response:
        _only(xreq, {"activityId"})
        activity_id = _required(xreq, "activityId")
        return _json(statements.get_activity(xreq.authenticated.institution_id, activity_id))

    return _dispatch({"GET": get})


@bp.route("/agents", methods=METHODS)
def agents_resource() -> Response:
    def get(xreq: XapiRequest) -> Response:
        _only(xreq, {"agent"})
        return _json(statements.person_of(_agent_param(xreq)))

    return _dispatch({"GET": get})


__all__ = ["StatementInvalid", "bp"]
