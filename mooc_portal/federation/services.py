"""The change feed, the snapshot and the portal's own public catalog as federation sees it."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

from flask import current_app
from sqlalchemy import Select, delete, exists, func, select
from sqlalchemy.orm import Session

from mooc_portal.accounts.permissions import require_admin
from mooc_portal.catalog.availability import course_availability, run_availability
from mooc_portal.catalog.models import (
    Course,
    CourseLanguage,
    CourseLanguagesMixin,
    CourseRun,
    CourseSubject,
    CourseTranslation,
)
from mooc_portal.catalog.services import public_courses
from mooc_portal.db import session, utcnow
from mooc_portal.errors import InvalidInput, PortalError
from mooc_portal.federation.models import (
    ChangeEntry,
    ChangeFeedHorizon,
    ChangeKind,
    FederatedOrigin,
    ResourceType,
)
from mooc_portal.federation.serialize import (
    PageLinks,
    course_resource,
    institution_resource,
    run_resource,
    tombstone,
)
from mooc_portal.institutions.models import Institution
from mooc_portal.numbers import parse_whole_number

SNAPSHOT_FORMAT = "asem-mooc-portal/snapshot"
EXPORT_CHUNK = 500


class ResynchroniseRequired(PortalError):
    """The cursor is older than what the feed keeps: start again from the snapshot (410)."""

    status = 410


# Opaque cursors ---------------------------------------------------------------------------


def encode_cursor(kind: str, value: int) -> str:
    """An opaque cursor: clients pass it back unchanged, never build one."""
    raw = f"{kind}:{value}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, kind: str, *, field: str) -> int:
    """The position in ``cursor``; ``InvalidInput`` naming ``field`` when it is not one of ours."""
    message = "This cursor is not valid."
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput(message, field=field) from None
    prefix, _, value = raw.partition(":")
    if prefix != kind or not value.isascii() or not value.isdigit():
        raise InvalidInput(message, field=field)
    return parse_whole_number(value, field=field, message=message)


# The portal's own public catalog ----------------------------------------------------------


def _federated_institution_ids() -> Any:
    return select(FederatedOrigin.institution_id).where(FederatedOrigin.institution_id.is_not(None))


def own_public_institutions() -> Select[tuple[Institution]]:
    """Active institutions of this portal (harvested ones are the peers' to publish)."""
    return select(Institution).where(
        Institution.active.is_(True),
        ~exists().where(FederatedOrigin.institution_id == Institution.id),
    )


def own_public_courses() -> Select[tuple[Course]]:
    """Public courses of this portal's own institutions."""
    return public_courses().where(
        ~exists().where(FederatedOrigin.institution_id == Course.institution_id)
    )


def own_public_runs() -> Select[tuple[CourseRun]]:
    return select(CourseRun).where(
        CourseRun.course_id.in_(own_public_courses().with_only_columns(Course.id))
    )


def get_own_public(resource_type: ResourceType, resource_uuid: Any) -> Any:
    from mooc_portal.errors import NotFound

    query: Select[Any] = {
        ResourceType.INSTITUTION: own_public_institutions().where(
            Institution.uuid == resource_uuid
        ),
        ResourceType.COURSE: own_public_courses().where(Course.uuid == resource_uuid),
        ResourceType.RUN: own_public_runs().where(CourseRun.uuid == resource_uuid),
    }[resource_type]
    found = session.scalar(query)
    if found is None:
        raise NotFound(f"No public {resource_type.value} with this id.")
    return found


# The change feed --------------------------------------------------------------------------


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
    """
    after = decode_cursor(cursor, "c", field="after") if cursor else 0
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


def _current_resources(entries: list[ChangeEntry]) -> dict[tuple[str, str], dict[str, Any]]:
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
    removed = session.execute(delete(ChangeEntry).where(ChangeEntry.sequence <= highest)).rowcount
    horizon = session.get(ChangeFeedHorizon, 1)
    if horizon is None:
        session.add(ChangeFeedHorizon(id=1, pruned_through=highest))
    else:
        horizon.pruned_through = max(horizon.pruned_through, highest)
    session.flush()
    return removed or 0


# The snapshot -----------------------------------------------------------------------------


def count_export() -> tuple[int, int]:
    """How many institutions and courses the snapshot holds (for a progress bar)."""
    institutions = session.scalar(
        select(func.count()).select_from(own_public_institutions().subquery())
    )
    courses = session.scalar(select(func.count()).select_from(own_public_courses().subquery()))
    return institutions or 0, courses or 0


def export_catalog(progress: Any = None) -> Iterator[str]:
    """The whole public catalog as one JSON document, in pieces, in constant memory.

    The cursor in it is taken before the data is read, so following the feed from it replays
    whatever changed during the export (changes apply as idempotent upserts).
    ``progress(n)`` is called after every chunk of ``n`` records.
    """
    cursor = encode_cursor("c", latest_sequence())
    links = PageLinks()
    head = {
        "format": SNAPSHOT_FORMAT,
        "version": 1,
        "generated_at": utcnow().isoformat().replace("+00:00", "Z"),
        "cursor": cursor,
    }
    yield json.dumps(head)[:-1] + ', "institutions": ['
    first = True
    for chunk in _chunks(own_public_institutions(), Institution.id):
        for institution in chunk:
            yield ("" if first else ",") + json.dumps(institution_resource(institution, links))
            first = False
        if progress:
            progress(len(chunk))
    yield '], "courses": ['
    first = True
    for chunk in _course_chunks():
        for course in chunk:
            yield ("" if first else ",") + json.dumps(course_resource(course, links))
            first = False
        if progress:
            progress(len(chunk))
    yield "]}\n"


def _chunks(query: Select[Any], key: Any) -> Iterator[list[Any]]:
    # Each chunk is read by a session of its own on the request's connection (so it sees the
    # same transaction) and dropped after: memory stays flat whatever the catalog's size, and
    # no identity map grows.
    connection = session.connection()
    last = 0
    while True:
        with Session(bind=connection) as chunk_session:
            chunk = list(
                chunk_session.scalars(query.where(key > last).order_by(key).limit(EXPORT_CHUNK))
            )
            if not chunk:
                return
            yield chunk
            last = chunk[-1].id


@dataclass(slots=True)
class _RunRow:
    uuid: Any
    start_at: Any
    end_at: Any
    enrollment_start_at: Any
    enrollment_end_at: Any
    capacity: Any
    requires_approval: Any
    delivery_mode: Any
    cancelled: Any
    modified_at: Any

    def availability(self, now: datetime | None = None) -> Any:
        return run_availability(self, now or utcnow())  # type: ignore[arg-type]


@dataclass(slots=True)
class _CourseRow(CourseLanguagesMixin):
    """A course read with plain SQL, with the attributes ``course_resource`` reads."""

    id: int
    uuid: Any
    code: str
    slug: str
    original_language: str
    level: str
    pace: str
    effort_hours: Any
    length_weeks: Any
    credential: str
    ects_credits: Any
    image: Any
    published_at: Any
    modified_at: Any
    institution: Any
    translations: list[Any] = field(default_factory=list)
    languages: list[Any] = field(default_factory=list)
    subjects: list[Any] = field(default_factory=list)
    runs: list[_RunRow] = field(default_factory=list)

    def availability(self, now: datetime | None = None) -> Any:
        return course_availability(self.runs, now or utcnow())


def _course_chunks() -> Iterator[list[_CourseRow]]:
    last = 0
    while True:
        chunk = course_rows(own_public_courses(), after=last, limit=EXPORT_CHUNK)
        if not chunk:
            return
        yield chunk
        last = chunk[-1].id


def course_rows(query: Select[Any], *, after: int, limit: int) -> list[_CourseRow]:
    """Courses of ``query`` (``own_public_courses()``, maybe filtered) after id ``after``, by id,
    with their text, languages, subjects and runs, for ``course_resource``.

    Plain rows rather than ORM objects (five queries whatever ``limit``): the snapshot of
    100,000 courses takes seconds, and an API page costs a few milliseconds.
    """
    columns = [getattr(Course, name) for name in _CourseRow.__dataclass_fields__ if name not in (
        "institution", "translations", "languages", "subjects", "runs")]  # fmt: skip
    rows = session.execute(
        query.with_only_columns(*columns, Institution.uuid.label("iuuid"))
        .where(Course.id > after)
        .order_by(Course.id)
        .limit(limit)
    ).all()
    if not rows:
        return []
    courses: dict[int, _CourseRow] = {}
    for row in rows:
        values = row._asdict()
        institution = SimpleNamespace(uuid=values.pop("iuuid"))
        courses[row.id] = _CourseRow(**values, institution=institution)
    ids = list(courses)
    for t in session.execute(
        select(
            CourseTranslation.course_id,
            CourseTranslation.language,
            CourseTranslation.title,
            CourseTranslation.summary,
            CourseTranslation.description,
            CourseTranslation.learning_outcomes,
        ).where(CourseTranslation.course_id.in_(ids))
    ):
        courses[t.course_id].translations.append(t)
    for lang in session.execute(
        select(CourseLanguage.course_id, CourseLanguage.kind, CourseLanguage.language)
        .where(CourseLanguage.course_id.in_(ids))
        .order_by(CourseLanguage.course_id, CourseLanguage.position)
    ):
        courses[lang.course_id].languages.append(lang)
    for subject in session.execute(
        select(CourseSubject.course_id, CourseSubject.code)
        .where(CourseSubject.course_id.in_(ids))
        .order_by(CourseSubject.course_id, CourseSubject.code)
    ):
        courses[subject.course_id].subjects.append(subject)
    run_columns = [getattr(CourseRun, name) for name in _RunRow.__dataclass_fields__]
    for run in session.execute(
        select(CourseRun.course_id, *run_columns)
        .where(CourseRun.course_id.in_(ids))
        .order_by(CourseRun.course_id, CourseRun.start_at, CourseRun.id)
    ):
        values = run._asdict()
        courses[values.pop("course_id")].runs.append(_RunRow(**values))
    return list(courses.values())


def is_tombstone_kind(kind: str) -> bool:
    return ChangeKind(kind).is_tombstone


# Peers and federated origins --------------------------------------------------------------


def list_peers(actor: Any) -> list[Any]:
    """Every peer with its latest harvest run (``peer.latest_run``), for the admin view."""
    from mooc_portal.federation.models import HarvestRun, Peer

    require_admin(actor)
    peers = list(session.scalars(select(Peer).order_by(Peer.name)))
    latest = {
        run.peer_id: run
        for run in session.scalars(
            select(HarvestRun).where(
                HarvestRun.id.in_(select(func.max(HarvestRun.id)).group_by(HarvestRun.peer_id))
            )
        )
    }
    for peer in peers:
        peer.latest_run = latest.get(peer.id)
    return peers


def register_peer(actor: Any, *, name: str, base_url: str, enabled: bool = True) -> Any:
    """Add a peer portal to harvest (administrators only).

    The base URL loses its query and fragment and must resolve to public addresses only
    (``federation/addresses.py``; ``MOOC_ALLOW_PRIVATE_PEERS`` allows private ones for local
    testing); a refusal says nothing about why, so this form maps no network.
    """
    from mooc_portal.errors import Conflict
    from mooc_portal.federation.addresses import peer_addresses, peer_base_url
    from mooc_portal.federation.models import Peer

    require_admin(actor)
    name = (name or "").strip()
    if not name:
        raise InvalidInput("Give the peer a name.", field="name")
    base_url = peer_base_url(base_url)
    peer_addresses(base_url)
    if session.scalar(select(Peer.id).where(Peer.name == name)) is not None:
        raise Conflict("A peer with this name exists.", field="name")
    peer = Peer(
        name=name,
        base_url=base_url,
        enabled=enabled,
        harvest_interval=int(current_app.config["MOOC_HARVEST_INTERVAL"]),
    )
    session.add(peer)
    session.flush()
    return peer


def set_peer_enabled(actor: Any, peer_id: int, enabled: bool) -> Any:
    from mooc_portal.errors import NotFound
    from mooc_portal.federation.models import Peer

    require_admin(actor)
    peer = session.get(Peer, peer_id)
    if peer is None:
        raise NotFound("No such peer.")
    peer.enabled = enabled
    session.flush()
    return peer


def set_harvest_interval(actor: Any, peer_id: int, minutes: str) -> Any:
    """How often (minutes, 1 to 10,080: a week) the worker harvests the peer; flushes."""
    from mooc_portal.errors import NotFound
    from mooc_portal.federation.models import Peer

    require_admin(actor)
    peer = session.get(Peer, peer_id)
    if peer is None:
        raise NotFound("No such peer.")
    interval = parse_whole_number(
        minutes,
        field="interval",
        minimum=1,
        maximum=10080,
        message="Give the interval in whole minutes, from 1 to 10080 (a week).",
    )
    if peer.next_harvest_at is not None:
        peer.next_harvest_at -= timedelta(minutes=peer.harvest_interval - interval)
    peer.harvest_interval = interval
    session.flush()
    return peer


def harvest_now(actor: Any, peer_id: int) -> bool:
    """Ask the worker to harvest the peer now; False when its harvest already waits or runs."""
    from mooc_portal.errors import NotFound
    from mooc_portal.federation.harvest import request_harvest
    from mooc_portal.federation.models import Peer

    require_admin(actor)
    peer = session.get(Peer, peer_id)
    if peer is None:
        raise NotFound("No such peer.")
    if not peer.enabled:
        from mooc_portal.errors import Conflict

        raise Conflict("This peer is paused: resume it before harvesting it.")
    return request_harvest(peer)


def federated_origins(courses: list[Course]) -> dict[int, FederatedOrigin]:
    """``{course id: origin}`` for the harvested ones among ``courses`` (one query).

    For the catalog: a course with an origin shows "from <origin.peer.name>", links to
    ``origin.origin_url`` for enrolment, and is never editable here.
    """
    ids = [c.id for c in courses]
    if not ids:
        return {}
    return {
        origin.course_id: origin
        for origin in session.scalars(
            select(FederatedOrigin).where(FederatedOrigin.course_id.in_(ids))
        )
        if origin.course_id is not None
    }


def is_federated(course: Course) -> bool:
    """True for a course harvested from a peer (editing services must refuse it)."""
    return course_origin(course) is not None


def course_origin(course: Course) -> FederatedOrigin | None:
    """Where a harvested course comes from; None for this portal's own courses."""
    return federated_origins([course]).get(course.id)


def institution_origin(institution_id: int) -> FederatedOrigin | None:
    """Where a harvested institution comes from; None for this portal's own partners."""
    return session.scalar(
        select(FederatedOrigin).where(FederatedOrigin.institution_id == institution_id)
    )
