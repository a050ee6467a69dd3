"""Writing and reading the audit log."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

from sqlalchemy import Select, select

from mooc_portal.accounts.models import Account
from mooc_portal.audit.models import AuditEntry
from mooc_portal.db import session
from mooc_portal.errors import NotPermitted
from mooc_portal.pagination import Page, PageRequest, paginate


def snapshot(obj: Any, fields: Iterable[str]) -> dict[str, Any]:
    """The named attributes of ``obj`` as JSON-ready values."""
    return {name: to_json(getattr(obj, name)) for name in fields}


def to_json(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    return str(value)


def record_change(
    actor: Account | None,
    action: str,
    entity: str,
    entity_id: int | None,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    institution_id: int | None = None,
    summary: str = "",
) -> AuditEntry | None:
    """Write one entry. On updates only the fields that changed are kept; no change, no entry."""
    if before is not None and after is not None:
        changed = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
        if not changed:
            return None
        before = {k: v for k, v in before.items() if k in changed}
        after = {k: v for k, v in after.items() if k in changed}
    entry = AuditEntry(
        actor_id=actor.id if actor is not None else None,
        actor_email=actor.email if actor is not None else None,
        action=action,
        entity=entity,
        entity_id=entity_id,
        institution_id=institution_id,
        summary=summary[:300],
        before=before,
        after=after,
    )
    session.add(entry)
    session.flush()
    return entry


@dataclass
class AuditFilter:
    entity: str | None = None
    action: str | None = None
    actor_email: str | None = None
    institution_id: int | None = None
    since: date | None = None
    until: date | None = None


def audit_entries_query(filters: AuditFilter) -> Select[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if filters.entity:
        query = query.where(AuditEntry.entity == filters.entity)
    if filters.action:
        query = query.where(AuditEntry.action == filters.action)
    if filters.actor_email:
        query = query.where(AuditEntry.actor_email == filters.actor_email.strip().lower())
    if filters.institution_id:
        query = query.where(AuditEntry.institution_id == filters.institution_id)
    if filters.since:
        start = datetime.combine(filters.since, time.min, tzinfo=UTC)
        query = query.where(AuditEntry.at >= start)
    if filters.until:
        end = datetime.combine(filters.until + timedelta(days=1), time.min, tzinfo=UTC)
        query = query.where(AuditEntry.at < end)
    return query


def list_audit_entries(actor: Account, filters: AuditFilter, page: PageRequest) -> Page[AuditEntry]:
    """A page of the log, newest first, with the total number of matching entries (admins)."""
    if not actor.is_admin:
        raise NotPermitted("Only administrators may read the audit log.")
    return paginate(audit_entries_query(filters), page)


def record_export(
    actor: Account, *, what: str, learners: int, scope: str, institution_id: int | None = None
) -> None:
    """Write an export of learners' personal data to the audit log: who, when, how many."""
    record_change(
        actor,
        "export",
        what,
        None,
        institution_id=institution_id,
        after={"learners": learners, "format": "csv", "scope": scope},
        summary=f"CSV export of {learners} learners' personal data ({what})",
    )
