"""Storing and retrieving statements: the statement resource's domain.

Every statement belongs to the institution whose credential stored it, and a credential
reads only its own institution's statements: each institution sees its own LRS.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, and_, exists, or_, select
from sqlalchemy.orm import aliased

from mooc_portal.db import session, utcnow
from mooc_portal.errors import Conflict, NotFound
from mooc_portal.urls import public_base_url
from mooc_portal.xapi import bulk, validation
from mooc_portal.xapi.models import (
    LinkKind,
    XapiActivity,
    XapiAttachment,
    XapiCredential,
    XapiStatement,
    XapiStatementLink,
)
from mooc_portal.xapi.validation import VOIDED, StatementInvalid, fail

SIGNATURE_USAGE = "http://adlnet.gov/expapi/attachments/signature"
MAX_PAGE = 500


def copy_json(value: Any) -> Any:
    """A deep copy of parsed JSON (objects, arrays, scalars): ``copy.deepcopy`` without its
    bookkeeping, which was the largest cost of storing a batch."""
    if isinstance(value, dict):
        return {key: copy_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [copy_json(item) for item in value]
    return value


def digest(text: str) -> str:
    """The SHA-256 (hex) by which long IRIs and identities are indexed."""
    return hashlib.sha256(text.encode()).hexdigest()


def agent_identity(agent: dict[str, Any]) -> str | None:
    """An agent's or identified group's inverse functional identifier as one string."""
    if "mbox" in agent:
        return f"mbox:{str(agent['mbox']).lower()}"
    if "mbox_sha1sum" in agent:
        return f"mbox_sha1sum:{str(agent['mbox_sha1sum']).lower()}"
    if "openid" in agent:
        return f"openid:{agent['openid']}"
    account = agent.get("account")
    if isinstance(account, dict):
        return f"account:{account.get('homePage')}|{account.get('name')}"
    return None


def agent_hash(agent: dict[str, Any]) -> str | None:
    identity = agent_identity(agent)
    return digest(identity) if identity else None


def activity_hash(activity_id: str) -> str:
    return digest(activity_id)


def iso(moment: datetime) -> str:
    """ISO 8601 in UTC with milliseconds, as stored and as in headers' JSON."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def authority_of(credential: XapiCredential) -> dict[str, Any]:
    """The authority the portal writes on what ``credential`` stores."""
    return {
        "objectType": "Agent",
        "name": credential.name,
        "account": {"homePage": public_base_url(), "name": credential.key},
    }


# -- storing -------------------------------------------------------------------------------


@dataclass
class Attachment:
    content_type: str
    content: bytes


@dataclass
class StoredStatement:
    """A statement just stored, with what applying it needs (``document`` as stored)."""

    id: int
    institution_id: int
    credential_id: int | None
    statement_id: uuid.UUID
    voiding: bool
    target_id: uuid.UUID | None
    document: dict[str, Any]


@dataclass
class _Links:
    agents: dict[str, bool] = field(default_factory=dict)
    activities: dict[str, bool] = field(default_factory=dict)
    definitions: dict[str, dict[str, Any]] = field(default_factory=dict)

    def agent(self, agent: Any, direct: bool) -> None:
        if not isinstance(agent, dict):
            return
        key = agent_hash(agent)
        if key:
            self.agents[key] = self.agents.get(key, False) or direct
        for member in agent.get("member") or []:
            self.agent(member, False)

    def activity(self, activity: Any, direct: bool) -> None:
        if not isinstance(activity, dict) or "id" not in activity:
            return
        key = activity_hash(activity["id"])
        self.activities[key] = self.activities.get(key, False) or direct
        if "definition" in activity:
            known = self.definitions.get(activity["id"], {})
            self.definitions[activity["id"]] = merge_definition(known, activity["definition"])


def _collect(statement: dict[str, Any], links: _Links, *, direct: bool) -> None:
    links.agent(statement["actor"], direct)
    obj = statement["object"]
    kind = obj.get("objectType", "Activity")
    if kind == "Activity":
        links.activity(obj, direct)
    elif kind in ("Agent", "Group"):
        links.agent(obj, direct)
    elif kind == "SubStatement":
        _collect(obj, links, direct=False)
    context = statement.get("context") or {}
    links.agent(context.get("instructor"), False)
    links.agent(context.get("team"), False)
    for items in (context.get("contextActivities") or {}).values():
        for item in items if isinstance(items, list) else [items]:
            links.activity(item, False)


def _normalize(statement: dict[str, Any]) -> dict[str, Any]:
    """Context activities always as arrays (the specification's normal form)."""
    context = statement.get("context")
    if isinstance(context, dict) and isinstance(context.get("contextActivities"), dict):
        for key, items in context["contextActivities"].items():
            if isinstance(items, dict):
                context["contextActivities"][key] = [items]
    obj = statement.get("object")
    if isinstance(obj, dict) and obj.get("objectType") == "SubStatement":
        _normalize(obj)
    return statement


def _comparable(statement: dict[str, Any], *, keep_timestamp: bool) -> dict[str, Any]:
    ignored = {"stored", "authority", "version", "id"}
    if not keep_timestamp:
        ignored.add("timestamp")
    return {k: v for k, v in statement.items() if k not in ignored}


def _same_statement(stored: dict[str, Any], received: dict[str, Any]) -> bool:
    keep = "timestamp" in received
    return _comparable(stored, keep_timestamp=keep) == _comparable(
        _normalize(copy_json(received)), keep_timestamp=keep
    )


def existing_statements(
    institution_id: int, ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, XapiStatement]:
    ids = list(ids)
    if not ids:
        return {}
    rows = session.scalars(
        select(XapiStatement).where(
            XapiStatement.institution_id == institution_id, XapiStatement.statement_id.in_(ids)
        )
    )
    return {row.statement_id: row for row in rows}


def store_statements(
    credential: XapiCredential,
    statements: Sequence[Any],
    attachments: dict[str, Attachment] | None = None,
    *,
    version: str = "1.0.3",
) -> list[str]:
    """Validate and store ``statements`` (a batch is all or nothing); returns their ids.

    A statement whose id is already stored is accepted again only when it is the same
    statement (409 Conflict otherwise) and is not stored twice. Attachments without a
    ``fileUrl`` must come in ``attachments`` (by SHA-256). Raises StatementInvalid (400)
    and Conflict (409).
    """
    attachments = attachments or {}
    institution_id = credential.institution_id
    prepared: list[tuple[dict[str, Any], uuid.UUID]] = []
    seen: set[uuid.UUID] = set()
    referenced: set[str] = set()
    for n, statement in enumerate(statements):
        try:
            validation.check_statement(statement, version=version)
            _check_attachments(statement, attachments, referenced)
        except StatementInvalid as error:
            if len(statements) > 1:
                error.message = f"statement {n}: {error.message}"
                error.args = (error.message,)
            raise
        statement_id = uuid.UUID(statement["id"]) if "id" in statement else uuid.uuid4()
        if statement_id in seen:
            fail("id", "the batch holds two statements with this id")
        seen.add(statement_id)
        prepared.append((statement, statement_id))
    unused = set(attachments) - referenced
    if unused:
        fail("attachments", "a part of the request is no statement's attachment")

    # Only ids the client chose can be stored already (the portal's own are new uuid4s).
    existing = existing_statements(institution_id, {i for s, i in prepared if "id" in s})
    targets = existing_statements(
        institution_id,
        {uuid.UUID(s["object"]["id"]) for s, _ in prepared if s["verb"]["id"] == VOIDED},
    )
    stored_at = utcnow()
    stored_text = iso(stored_at)
    authority = authority_of(credential)
    stored_version = "1.0.0" if version.startswith("1.") else "2.0.0"
    rows: list[dict[str, Any]] = []
    new: list[StoredStatement] = []
    links_by_row: list[_Links] = []
    for statement, statement_id in prepared:
        found = existing.get(statement_id)
        if found is not None:
            if not _same_statement(json.loads(found.document), statement):
                raise Conflict(f"A different statement with the id {statement_id} is stored.")
            continue
        voiding = statement["verb"]["id"] == VOIDED
        if voiding:
            target = targets.get(uuid.UUID(statement["object"]["id"]))
            if target is not None and target.voiding:
                fail("object", "a voiding statement cannot be voided")
        document = _normalize(copy_json(statement))
        document["id"] = str(statement_id)
        document["stored"] = stored_text
        document.setdefault("timestamp", stored_text)
        document["authority"] = copy_json(authority)
        document.setdefault("version", stored_version)
        obj = document["object"]
        target_id = uuid.UUID(obj["id"]) if obj.get("objectType") == "StatementRef" else None
        registration = (document.get("context") or {}).get("registration")
        links = _Links()
        _collect(document, links, direct=True)
        links.agent(authority, False)
        rows.append(
            {
                "institution_id": institution_id,
                "credential_id": credential.id,
                "statement_id": statement_id,
                "stored": stored_at,
                "verb_hash": digest(document["verb"]["id"]),
                "registration": uuid.UUID(registration) if registration else None,
                "target_id": target_id,
                "voiding": voiding,
                "document": json.dumps(document, ensure_ascii=False, separators=(",", ":")),
            }
        )
        new.append(
            StoredStatement(
                id=0,
                institution_id=institution_id,
                credential_id=credential.id,
                statement_id=statement_id,
                voiding=voiding,
                target_id=target_id,
                document=document,
            )
        )
        links_by_row.append(links)
    if rows:
        # One INSERT for the batch (insertmanyvalues), its keys back in the batch's order.
        keys = bulk.insert_rows_returning_ids(XapiStatement, rows)
        for stored, key in zip(new, keys, strict=True):
            stored.id = key
        link_rows = [
            {"statement_pk": stored.id, "kind": kind, "key_hash": key, "direct": direct}
            for stored, links in zip(new, links_by_row, strict=True)
            for kind, found_links in (
                (LinkKind.AGENT, links.agents),
                (LinkKind.ACTIVITY, links.activities),
            )
            for key, direct in found_links.items()
        ]
        if link_rows:
            bulk.insert_rows(XapiStatementLink, link_rows)
        definitions: dict[str, dict[str, Any]] = {}
        for links in links_by_row:
            for activity_id, definition in links.definitions.items():
                definitions[activity_id] = merge_definition(
                    definitions.get(activity_id, {}), definition
                )
        _remember_definitions(institution_id, definitions)
        _store_attachments(institution_id, attachments)
        from mooc_portal.xapi.progress import apply_statements

        apply_statements(new)
    return [str(statement_id) for _, statement_id in prepared]


def _check_attachments(
    statement: dict[str, Any], attachments: dict[str, Attachment], referenced: set[str]
) -> None:
    declared = list(statement.get("attachments") or [])
    obj = statement.get("object") or {}
    if obj.get("objectType") == "SubStatement":
        declared += obj.get("attachments") or []
    for n, item in enumerate(declared):
        sha2 = item["sha2"]
        if sha2 in attachments:
            referenced.add(sha2)
            if item["usageType"] == SIGNATURE_USAGE:
                from mooc_portal.xapi.signatures import check_signature

                check_signature(statement, attachments[sha2], item)
        elif "fileUrl" not in item:
            fail(f"attachments.{n}", "its content is missing from the request")
        elif item["usageType"] == SIGNATURE_USAGE:
            fail(f"attachments.{n}", "a signature must come with the statement")


def _store_attachments(institution_id: int, attachments: dict[str, Attachment]) -> None:
    if not attachments:
        return
    have = set(
        session.scalars(
            select(XapiAttachment.sha2).where(
                XapiAttachment.institution_id == institution_id,
                XapiAttachment.sha2.in_(list(attachments)),
            )
        )
    )
    for sha2, attachment in attachments.items():
        if sha2 not in have:
            session.add(
                XapiAttachment(
                    institution_id=institution_id,
                    sha2=sha2,
                    content_type=attachment.content_type,
                    content=attachment.content,
                )
            )
    session.flush()


def merge_definition(known: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """An activity's definition with ``new`` laid over ``known``: language maps and
    extensions are merged key by key, other properties replaced."""
    merged = dict(known)
    for name, value in new.items():
        if isinstance(value, dict) and isinstance(merged.get(name), dict):
            merged[name] = {**merged[name], **value}
        else:
            merged[name] = value
    return merged


def _remember_definitions(institution_id: int, definitions: dict[str, dict[str, Any]]) -> None:
    """Keep each activity's latest definition, merged with what was known."""
    if not definitions:
        return
    hashes = {activity_hash(a): a for a in definitions}
    known = {
        row.activity_hash: row
        for row in session.scalars(
            select(XapiActivity).where(
                XapiActivity.institution_id == institution_id,
                XapiActivity.activity_hash.in_(list(hashes)),
            )
        )
    }
    for key, activity_id in hashes.items():
        row = known.get(key)
        if row is None:
            session.add(
                XapiActivity(
                    institution_id=institution_id,
                    activity_hash=key,
                    activity_id=activity_id,
                    definition=json.dumps(definitions[activity_id], ensure_ascii=False),
                )
            )
        else:
            merged = merge_definition(json.loads(row.definition), definitions[activity_id])
            row.definition = json.dumps(merged, ensure_ascii=False)
    session.flush()


# -- retrieving ----------------------------------------------------------------------------


def _voided_by() -> Any:
    voiding = aliased(XapiStatement)
    return exists().where(
        voiding.institution_id == XapiStatement.institution_id,
        voiding.target_id == XapiStatement.statement_id,
        voiding.voiding.is_(True),
    )


def get_statement(institution_id: int, statement_id: str, *, voided: bool) -> XapiStatement:
    """The statement ``statement_id``; with ``voided`` only if it is voided, else only if it
    is not (a voided statement is fetched by ``voidedStatementId``). Raises NotFound."""
    parsed = validation.parse_uuid(statement_id, "voidedStatementId" if voided else "statementId")
    is_voided = _voided_by()
    row = session.scalar(
        select(XapiStatement).where(
            XapiStatement.institution_id == institution_id,
            XapiStatement.statement_id == parsed,
            is_voided if voided else ~is_voided,
        )
    )
    if row is None:
        raise NotFound("No such statement.")
    return row


@dataclass
class StatementQuery:
    """The filters of a statement GET (already parsed)."""

    agent: str | None = None
    verb: str | None = None
    activity: str | None = None
    registration: uuid.UUID | None = None
    related_activities: bool = False
    related_agents: bool = False
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 0
    ascending: bool = False
    after: int | None = None


def _filtered(institution_id: int, query: StatementQuery) -> Any:
    """The condition the filters set on a statement (without voided or paging rules)."""
    conditions: list[Any] = [XapiStatement.institution_id == institution_id]
    if query.verb is not None:
        conditions.append(XapiStatement.verb_hash == digest(query.verb))
    if query.registration is not None:
        conditions.append(XapiStatement.registration == query.registration)
    for kind, key, related in (
        (LinkKind.AGENT, query.agent, query.related_agents),
        (LinkKind.ACTIVITY, query.activity, query.related_activities),
    ):
        if key is None:
            continue
        link = aliased(XapiStatementLink)
        clause = [
            link.statement_pk == XapiStatement.id,
            link.kind == kind,
            link.key_hash == key,
        ]
        if not related:
            clause.append(link.direct.is_(True))
        conditions.append(exists().where(*clause))
    return and_(*conditions)


def query_statements(
    institution_id: int, query: StatementQuery
) -> tuple[list[XapiStatement], int | None]:
    """One page of statements matching ``query``, not voided, newest stored first unless
    ``ascending``; with the last row's key when there is a next page.

    A statement that targets a matching statement (a StatementRef) matches too, as the
    specification asks; voiding statements are returned like any other.
    """
    matching = _filtered(institution_id, query)
    if any(v is not None for v in (query.agent, query.verb, query.activity, query.registration)):
        target = aliased(XapiStatement)
        referencing = exists().where(
            target.institution_id == institution_id,
            target.statement_id == XapiStatement.target_id,
            _filtered_alias(institution_id, query, target),
        )
        matching = or_(matching, and_(XapiStatement.institution_id == institution_id, referencing))
    stmt: Select[XapiStatement] = select(XapiStatement).where(matching, ~_voided_by())
    if query.since is not None:
        stmt = stmt.where(XapiStatement.stored > query.since)
    if query.until is not None:
        stmt = stmt.where(XapiStatement.stored <= query.until)
    if query.after is not None:
        stmt = stmt.where(
            XapiStatement.id > query.after if query.ascending else XapiStatement.id < query.after
        )
    order = XapiStatement.id.asc() if query.ascending else XapiStatement.id.desc()
    limit = min(query.limit or MAX_PAGE, MAX_PAGE)
    rows = list(session.scalars(stmt.order_by(order).limit(limit + 1)))
    more = rows[limit - 1].id if len(rows) > limit else None
    return rows[:limit], more


def _filtered_alias(institution_id: int, query: StatementQuery, target: Any) -> Any:
    conditions: list[Any] = []
    if query.verb is not None:
        conditions.append(target.verb_hash == digest(query.verb))
    if query.registration is not None:
        conditions.append(target.registration == query.registration)
    for kind, key, related in (
        (LinkKind.AGENT, query.agent, query.related_agents),
        (LinkKind.ACTIVITY, query.activity, query.related_activities),
    ):
        if key is None:
            continue
        link = aliased(XapiStatementLink)
        clause = [link.statement_pk == target.id, link.kind == kind, link.key_hash == key]
        if not related:
            clause.append(link.direct.is_(True))
        conditions.append(exists().where(*clause))
    return and_(*conditions)


def attachments_of(
    institution_id: int, documents: Iterable[dict[str, Any]]
) -> dict[str, Attachment]:
    """The stored contents of the attachments ``documents`` (statements) declare."""
    wanted: set[str] = set()
    for document in documents:
        for item in document.get("attachments") or []:
            wanted.add(item["sha2"])
        obj = document.get("object") or {}
        for item in obj.get("attachments") or [] if obj.get("objectType") == "SubStatement" else []:
            wanted.add(item["sha2"])
    if not wanted:
        return {}
    rows = session.scalars(
        select(XapiAttachment).where(
            XapiAttachment.institution_id == institution_id, XapiAttachment.sha2.in_(wanted)
        )
    )
    return {row.sha2: Attachment(row.content_type, row.content) for row in rows}


# -- formats -------------------------------------------------------------------------------


def _ids_agent(agent: dict[str, Any]) -> dict[str, Any]:
    kept = {k: v for k, v in agent.items() if k in ("objectType", *validation.IFIS)}
    if "member" in agent and not any(k in agent for k in validation.IFIS):
        kept["member"] = [_ids_agent(m) for m in agent["member"]]
    return kept


def _ids_activity(activity: dict[str, Any]) -> dict[str, Any]:
    return {"id": activity["id"]}


def ids_format(statement: dict[str, Any]) -> dict[str, Any]:
    """The statement with agents, groups, activities and verbs reduced to their ids."""
    result = dict(statement)
    result["actor"] = _ids_agent(statement["actor"])
    result["verb"] = {"id": statement["verb"]["id"]}
    obj = statement["object"]
    kind = obj.get("objectType", "Activity")
    if kind == "Activity":
        result["object"] = _ids_activity(obj)
    elif kind in ("Agent", "Group"):
        result["object"] = _ids_agent(obj)
    elif kind == "SubStatement":
        result["object"] = ids_format(obj)
    if "authority" in statement:
        result["authority"] = _ids_agent(statement["authority"])
    context = statement.get("context")
    if context:
        context = dict(context)
        for key in ("instructor", "team"):
            if key in context:
                context[key] = _ids_agent(context[key])
        if "contextActivities" in context:
            context["contextActivities"] = {
                key: [_ids_activity(a) for a in items]
                for key, items in context["contextActivities"].items()
            }
        result["context"] = context
    return result


LANGUAGE_MAP_KEYS = ("display", "name", "description")


def canonical_format(value: Any, languages: Sequence[str]) -> Any:
    """Language maps reduced to the one entry that best fits ``languages`` (Accept-Language,
    best first); extensions are left as they are."""
    if isinstance(value, list):
        return [canonical_format(v, languages) for v in value]
    if not isinstance(value, dict):
        return value
    result: dict[str, Any] = {}
    for key, item in value.items():
        if key == "extensions":
            result[key] = item
        elif key in LANGUAGE_MAP_KEYS and isinstance(item, dict) and item:
            result[key] = _pick_language(item, languages)
        else:
            result[key] = canonical_format(item, languages)
    return result


def _pick_language(language_map: dict[str, Any], languages: Sequence[str]) -> dict[str, Any]:
    lowered = {tag.lower(): tag for tag in language_map}
    for wanted in languages:
        wanted = wanted.lower()
        if wanted in lowered:
            tag = lowered[wanted]
            return {tag: language_map[tag]}
        for low, tag in lowered.items():
            if low.split("-")[0] == wanted.split("-")[0]:
                return {tag: language_map[tag]}
    tag = next(iter(language_map))
    return {tag: language_map[tag]}


def consistent_through() -> str:
    return iso(utcnow())


def parse_timestamp(text: str, name: str) -> datetime:
    moment = validation.check_timestamp(text, name)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def get_activity(institution_id: int, activity_id: str) -> dict[str, Any]:
    """The Activity object with the latest definition this institution's statements gave."""
    validation.check_iri(activity_id, "activityId")
    row = session.scalar(
        select(XapiActivity).where(
            XapiActivity.institution_id == institution_id,
            XapiActivity.activity_hash == activity_hash(activity_id),
        )
    )
    activity: dict[str, Any] = {"objectType": "Activity", "id": activity_id}
    if row is not None:
        activity["definition"] = json.loads(row.definition)
    return activity


def person_of(agent: dict[str, Any]) -> dict[str, Any]:
    """The Person object for ``agent``: what the portal knows of its identifiers."""
    person: dict[str, Any] = {"objectType": "Person"}
    if "name" in agent:
        person["name"] = [agent["name"]]
    for key in validation.IFIS:
        if key in agent:
            person[key] = [agent[key]]
    return person
