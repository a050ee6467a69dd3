"""The change feed: what changed in the public catalog, in order, for peers to follow."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import delete, func, select

from mooc_portal.catalog.models import Course, CourseRun
from mooc_portal.db import rowcount, session, utcnow
from mooc_portal.errors import InvalidInput, PortalError
from mooc_portal.federation.models import ChangeEntry, ChangeFeedHorizon, ChangeKind, ResourceType
from mooc_portal.federation.serialize import (
    PageLinks,
    course_resource,
    institution_resource,
    run_resource,
    tombstone,
)
from mooc_portal.federation.services.cursors import decode_cursor, encode_cursor
from mooc_portal.federation.services.read_model import (
    own_public_courses,
    own_public_institutions,
    own_public_runs,
)
from mooc_portal.institutions.models import Institution


class ResynchroniseRequired(PortalError):
    """The cursor is older than what the feed keeps: start again from the snapshot (410)."""

    status = 410


@dataclass
class ChangesPage:
    changes: list[dict[str, Any]]
    cursor: str
    has_more: bool


def latest_sequence() -> int:
    """The feed's position now; after pruning every entry, the pruned horizon itself."""
    highest = session.scalar(select(func.max(ChangeEntry.sequence))) or 0
    return max(highest, pruned_through())


def latest_change() -> tuple[int, datetime | None]:
    """The feed's latest sequence and when it was recorded: the public catalog's version."""
    row = session.execute(
        select(ChangeEntry.sequence, ChangeEntry.recorded_at)
        .order_by(ChangeEntry.sequence.desc())
        .limit(1)
    ).first()
    return (row.sequence, row.recorded_at) if row else (0, None)


def pruned_through() -> int:
    horizon = session.get(ChangeFeedHorizon, 1)
    return horizon.pruned_through if horizon is not None else 0


def changes_since(cursor: str | None, *, limit: int) -> ChangesPage:
    """The feed after ``cursor`` (from the start when None), oldest first, ``limit`` at most.

    Each change carries the resource as it is now (a peer applies changes as upserts), or a
    tombstone for withdrawals and deletions; a change superseded by a later withdrawal carries
    ``null`` (the tombstone follows).

    Raises ``InvalidInput`` (400) for a cursor that is not ours or lies beyond the feed's head,
    ``ResynchroniseRequired`` (410) for one older than what the feed keeps.
    """
    after = decode_cursor(cursor, "c", field="after") if cursor else 0
    if after > latest_sequence():
        # A restored (older) provider: echoing the cursor would skip what it records next.
        raise InvalidInput(
            "This cursor is beyond this portal's change feed (was it restored from a backup?). "
            "Resynchronise from the snapshot at /api/v1/export.",
            field="after",
        )
    if after < pruned_through():
        raise ResynchroniseRequired(
            "This cursor is older than the changes this portal keeps. Resynchronise from the "
            "snapshot at /api/v1/export, then follow the feed from the cursor it gives."
        )
    entries = session.scalars(
        select(ChangeEntry)
        .where(ChangeEntry.sequence > after)
        .order_by(ChangeEntry.sequence)
        .limit(limit + 1)
    ).all()
    has_more = len(entries) > limit
    entries = entries[:limit]
    resources = _current_resources(entries)
    changes = []
    for entry in entries:
        key = (entry.resource_type, str(entry.resource_uuid))
        resource = tombstone(*key) if entry.is_tombstone else resources.get(key)
        changes.append(
            {
                "sequence": entry.sequence,
                "type": entry.resource_type,
                "id": key[1],
                "kind": entry.kind,
                "recorded_at": entry.recorded_at.isoformat().replace("+00:00", "Z"),
                "resource": resource,
            }
        )
    last = entries[-1].sequence if entries else after
    return ChangesPage(changes=changes, cursor=encode_cursor("c", last), has_more=has_more)


def _current_resources(entries: Sequence[ChangeEntry]) -> dict[tuple[str, str], dict[str, Any]]:
    wanted: dict[str, set[Any]] = {t.value: set() for t in ResourceType}
    for entry in entries:
        if not entry.is_tombstone:
            wanted[entry.resource_type].add(entry.resource_uuid)
    links = PageLinks()
    found: dict[tuple[str, str], dict[str, Any]] = {}
    if wanted["institution"]:
        for institution in session.scalars(
            own_public_institutions().where(Institution.uuid.in_(wanted["institution"]))
        ):
            found["institution", str(institution.uuid)] = institution_resource(institution, links)
    if wanted["course"]:
        for course in session.scalars(
            own_public_courses().where(Course.uuid.in_(wanted["course"]))
        ):
            found["course", str(course.uuid)] = course_resource(course, links)
    if wanted["run"]:
        for run in session.scalars(own_public_runs().where(CourseRun.uuid.in_(wanted["run"]))):
            found["run", str(run.uuid)] = run_resource(run, str(run.course.uuid))
    return found


def prune_changes(now: datetime | None = None) -> int:
    """Forget changes older than the retention period (``MOOC_CHANGE_RETENTION_DAYS``).

    Returns how many were removed. Cursors from before them then answer 410.
    """
    days = int(current_app.config["MOOC_CHANGE_RETENTION_DAYS"])
    cutoff = (now or utcnow()) - timedelta(days=days)
    highest = session.scalar(
        select(func.max(ChangeEntry.sequence)).where(ChangeEntry.recorded_at < cutoff)
    )
    if highest is None:
        return 0
    removed = rowcount(session.execute(delete(ChangeEntry).where(ChangeEntry.sequence <= highest)))
    horizon = session.get(ChangeFeedHorizon, 1)
    if horizon is None:
        session.add(ChangeFeedHorizon(id=1, pruned_through=highest))
    else:
        horizon.pruned_through = max(horizon.pruned_through, highest)
    session.flush()
    return removed or 0


def is_tombstone_kind(kind: str) -> bool:
    return ChangeKind(kind).is_tombstone
