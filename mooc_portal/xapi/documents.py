"""The document resources: state, activity profile and agent profile, with ETags.

A document is addressed by its scope (kind, activity, agent, registration) and its id; a
multiple GET lists the ids of one scope. ETags are the SHA-1 of the content, in quotes on
the wire; If-Match / If-None-Match guard writes as RFC 7232 says, and a PUT that would
overwrite a profile without either header is refused (409), as xAPI 1.0.3 asks.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select

from mooc_portal.db import session, utcnow
from mooc_portal.errors import Conflict, NotFound, PortalError
from mooc_portal.xapi.models import DocumentKind, XapiDocument
from mooc_portal.xapi.statements import digest
from mooc_portal.xapi.validation import fail


class PreconditionFailed(PortalError):
    status = 412


class PreconditionRequired(PortalError):
    status = 428


@dataclass(frozen=True)
class Scope:
    """Where a document lives: its kind, activity, agent identity and registration."""

    kind: str
    activity_id: str = ""
    agent: str = ""
    registration: str = ""

    @property
    def hash(self) -> str:
        return digest(json.dumps([self.kind, self.activity_id, self.agent, self.registration]))

    def key(self, document_id: str) -> str:
        return digest(f"{self.hash}\n{document_id}")


def etag_of(content: bytes) -> str:
    return hashlib.sha1(content).hexdigest()


def _find(institution_id: int, scope: Scope, document_id: str) -> XapiDocument | None:
    return session.scalar(
        select(XapiDocument).where(
            XapiDocument.institution_id == institution_id,
            XapiDocument.key_hash == scope.key(document_id),
        )
    )


def get_document(institution_id: int, scope: Scope, document_id: str) -> XapiDocument:
    document = _find(institution_id, scope, document_id)
    if document is None:
        raise NotFound("No such document.")
    return document


def document_ids(institution_id: int, scope: Scope, since: datetime | None = None) -> list[str]:
    stmt = select(XapiDocument.document_id).where(
        XapiDocument.institution_id == institution_id, XapiDocument.scope_hash == scope.hash
    )
    if since is not None:
        stmt = stmt.where(XapiDocument.updated > since)
    return list(session.scalars(stmt.order_by(XapiDocument.id)))


def _tags(header: str | None) -> list[str] | None:
    if header is None:
        return None
    return [t.strip().removeprefix("W/").strip('"') for t in header.split(",") if t.strip()]


def check_preconditions(
    document: XapiDocument | None,
    if_match: str | None,
    if_none_match: str | None,
    *,
    required: bool = False,
    version: str = "1.0.3",
) -> None:
    """Raises PreconditionFailed (412) when the headers do not hold. When ``required`` (a
    profile's PUT) one of the headers must be sent: without, xAPI 1.0.3 answers 409 Conflict
    over an existing document and 400 otherwise, xAPI 2.0 answers 428."""
    match = _tags(if_match)
    none_match = _tags(if_none_match)
    if match is not None and (
        document is None or ("*" not in match and document.etag not in match)
    ):
        raise PreconditionFailed("The document has changed (If-Match).")
    if (
        none_match is not None
        and document is not None
        and ("*" in none_match or document.etag in none_match)
    ):
        raise PreconditionFailed("The document exists (If-None-Match).")
    if not required or match is not None or none_match is not None:
        return
    if version.startswith("2."):
        raise PreconditionRequired("Send If-Match or If-None-Match with a profile's PUT.")
    if document is None:
        fail("If-Match", "send If-Match or If-None-Match: * with a profile's PUT")
    else:
        raise Conflict(
            "The document exists: send If-Match with its ETag (or If-None-Match: *) to "
            "overwrite it."
        )


def put_document(
    institution_id: int,
    scope: Scope,
    document_id: str,
    content: bytes,
    content_type: str,
    *,
    if_match: str | None = None,
    if_none_match: str | None = None,
    version: str = "1.0.3",
) -> XapiDocument:
    """Store or replace a document. Raises PreconditionFailed, PreconditionRequired,
    Conflict and StatementInvalid (a profile's PUT without a precondition header)."""
    document = _find(institution_id, scope, document_id)
    check_preconditions(
        document,
        if_match,
        if_none_match,
        required=scope.kind != DocumentKind.STATE or version.startswith("2."),
        version=version,
    )
    return _write(institution_id, scope, document_id, document, content, content_type)


def post_document(
    institution_id: int,
    scope: Scope,
    document_id: str,
    content: bytes,
    content_type: str,
    *,
    if_match: str | None = None,
    if_none_match: str | None = None,
    version: str = "1.0.3",
) -> XapiDocument:
    """Store a document, or merge a JSON object into the stored JSON object (one level:
    each top-level property of the new one replaces the old one's).

    Raises StatementInvalid (400: either is not a JSON object) and PreconditionFailed.
    """
    document = _find(institution_id, scope, document_id)
    check_preconditions(document, if_match, if_none_match)
    if document is None:
        if _is_json(content_type):
            _json_object(content, "the document")
        return _write(institution_id, scope, document_id, None, content, content_type)
    if not _is_json(content_type) or not _is_json(document.content_type):
        fail("", "only JSON documents can be merged (Content-Type: application/json)")
    merged = {
        **_json_object(document.content, "the stored document"),
        **_json_object(content, "the document"),
    }
    body = json.dumps(merged, ensure_ascii=False).encode()
    return _write(institution_id, scope, document_id, document, body, "application/json")


def _is_json(content_type: str) -> bool:
    return content_type.split(";")[0].strip().lower() == "application/json"


def _json_object(content: bytes, what: str) -> dict[str, Any]:
    try:
        value = json.loads(content)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        fail("", f"{what} is not a JSON object")
    document: dict[str, Any] = value
    return document


def _write(
    institution_id: int,
    scope: Scope,
    document_id: str,
    document: XapiDocument | None,
    content: bytes,
    content_type: str,
) -> XapiDocument:
    if document is None:
        document = XapiDocument(
            institution_id=institution_id,
            kind=scope.kind,
            scope_hash=scope.hash,
            key_hash=scope.key(document_id),
            document_id=document_id,
            agent_hash=digest(scope.agent) if scope.agent else None,
            activity_id=scope.activity_id or None,
        )
        session.add(document)
    document.content = content
    document.content_type = content_type or "application/octet-stream"
    document.etag = etag_of(content)
    document.updated = utcnow()
    session.flush()
    return document


def delete_documents(
    institution_id: int,
    scope: Scope,
    document_id: str | None,
    *,
    if_match: str | None = None,
) -> None:
    """Delete one document, or (state only, without an id) every document of the scope.
    Deleting what is not there is no error."""
    if document_id is None:
        session.execute(
            delete(XapiDocument).where(
                XapiDocument.institution_id == institution_id,
                XapiDocument.scope_hash == scope.hash,
            )
        )
        return
    document = _find(institution_id, scope, document_id)
    check_preconditions(document, if_match, None)
    if document is not None:
        session.delete(document)
        session.flush()
