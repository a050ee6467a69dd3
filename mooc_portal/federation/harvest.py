"""Harvesting peer portals: their snapshot, then their change feed, into federated records.

Each peer is pulled from its stored cursor (the snapshot on the first run or after a 410).
Every record is applied in its own savepoint: a record that fails validation or a database
constraint is rolled back alone and recorded as rejected, with its reason; the rest of the batch
is kept. A batch is committed together with the cursor after it, so the cursor never runs ahead
of what is stored. A peer that is down, slow or answers something that is not a feed fails its
run with the error recorded on the peer; other peers are harvested all the same.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx
from flask import current_app
from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from mooc_portal.catalog.models import (
    Course,
    CourseLanguage,
    CourseRun,
    CourseStatus,
    CourseSubject,
    CourseTranslation,
    LanguageKind,
    SubjectArea,
)
from mooc_portal.db import session, utcnow
from mooc_portal.errors import NotFound
from mooc_portal.federation.addresses import PeerAddressRefused, PeerTransport
from mooc_portal.federation.changes import SUPPRESS
from mooc_portal.federation.models import (
    FederatedOrigin,
    HarvestRun,
    HarvestStatus,
    Peer,
    RejectedRecord,
    ResourceType,
)
from mooc_portal.federation.schemas import CourseSchema, InstitutionSchema, RunSchema
from mooc_portal.i18n import parse_language_tag
from mooc_portal.institutions.models import Institution, InstitutionTranslation
from mooc_portal.publishing.validation import RUN_FIELDS
from mooc_portal.reference import region_of
from mooc_portal.slugs import slugify, unique_slug

BATCH = 200
MAX_RESPONSE_BYTES = 512 * 1024 * 1024


class HarvestError(Exception):
    """The peer could not be harvested (down, slow, or not answering a feed)."""


class FeedExpired(HarvestError):
    """The peer no longer keeps changes after our cursor (410): take its snapshot again."""


class Rejected(Exception):
    """One record cannot be stored; the message is the reason."""


# Talking to a peer ----------------------------------------------------------------------


@dataclass
class PeerClient:
    """Reads a peer's ``/api/v1`` over HTTP; every failure becomes a ``HarvestError``."""

    base_url: str
    timeout: float
    transport: httpx.BaseTransport | None = None
    max_bytes: int = MAX_RESPONSE_BYTES

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        url = self.base_url.rstrip("/") + path
        unreachable = f"{url} could not be reached (or its address is not a public one)."
        try:
            with (
                httpx.Client(
                    timeout=self.timeout,
                    # Every request is checked (and pinned) to a public address first.
                    transport=PeerTransport(self.transport),
                    follow_redirects=False,
                ) as client,
                client.stream("GET", url, params=params) as response,
            ):
                if response.status_code == 410:
                    raise FeedExpired("The peer no longer keeps changes this far back.")
                if response.status_code != 200:
                    raise HarvestError(f"{url} answered HTTP {response.status_code}.")
                body = bytearray()
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > self.max_bytes:
                        raise HarvestError(f"{url} sent more than {self.max_bytes} bytes.")
        # One message for a refused address, a refused connection and a connection timeout:
        # the peers page must not tell which hosts and ports answer.
        except (PeerAddressRefused, httpx.ConnectError, httpx.ConnectTimeout):
            raise HarvestError(unreachable) from None
        except httpx.TimeoutException:
            raise HarvestError(f"{url} did not answer within {self.timeout} s.") from None
        except httpx.HTTPError:
            raise HarvestError(unreachable) from None
        try:
            return json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise HarvestError(f"{url} did not answer JSON.") from None


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise HarvestError(message)


# Running a harvest ----------------------------------------------------------------------


@dataclass
class _Run:
    peer: Peer
    run: HarvestRun
    client: PeerClient
    slug_prefix: str
    subjects: set[str] = field(default_factory=set)


def harvest_peers(
    name: str | None = None, *, transport: httpx.BaseTransport | None = None
) -> list[HarvestRun]:
    """Harvest the peer called ``name``, or every enabled peer; one committed run each."""
    query = select(Peer).order_by(Peer.name)
    if name is not None:
        query = query.where(Peer.name == name)
    else:
        query = query.where(Peer.enabled.is_(True))
    peers = list(session.scalars(query))
    if name is not None and not peers:
        raise NotFound(f"No peer called {name!r}.")
    return [harvest_peer(peer, transport=transport) for peer in peers]


def _state(peer: Peer, run: HarvestRun, client: PeerClient | None) -> _Run:
    return _Run(
        peer=peer,
        run=run,
        client=client,  # type: ignore[arg-type]
        slug_prefix=slugify(peer.name, 30).strip("-") or f"peer-{peer.id}",
        subjects=set(session.scalars(select(SubjectArea.code))),
    )


def apply_snapshot(peer: Peer, snapshot: Any) -> HarvestRun:
    """Apply a snapshot document already in hand (the form of ``/api/v1/export``) as the first
    harvest of ``peer`` does, with no network call: the demo loads its canned peer this way.

    Flushes only; the caller commits. Raises HarvestError when it is not a snapshot.
    """
    run = HarvestRun(peer=peer, snapshot=True)
    session.add(run)
    session.flush()
    session.info[SUPPRESS] = True
    try:
        _apply_snapshot_document(_state(peer, run, None), snapshot, session.flush)
    finally:
        session.info.pop(SUPPRESS, None)
    run.status = HarvestStatus.SUCCEEDED
    run.finished_at = peer.last_success_at = utcnow()
    session.flush()
    return run


def harvest_peer(peer: Peer, *, transport: httpx.BaseTransport | None = None) -> HarvestRun:
    """Pull ``peer``'s changes since its cursor (its snapshot when it has none); commits."""
    run = HarvestRun(peer=peer, snapshot=peer.cursor is None)
    session.add(run)
    session.commit()
    state = _state(
        peer,
        run,
        PeerClient(
            peer.base_url,
            timeout=float(current_app.config["MOOC_HARVEST_TIMEOUT"]),
            transport=transport,
        ),
    )
    session.info[SUPPRESS] = True
    try:
        if peer.cursor is None:
            _apply_snapshot(state)
        _follow_feed(state)
    except HarvestError as error:
        session.rollback()  # the unfinished batch only: earlier batches are committed
        run.status = HarvestStatus.FAILED
        run.error = str(error)
        peer.last_error = str(error)
        peer.last_error_at = utcnow()
    else:
        run.status = HarvestStatus.SUCCEEDED
        peer.last_success_at = utcnow()
    finally:
        session.info.pop(SUPPRESS, None)
    run.finished_at = utcnow()
    session.commit()
    return run


def _follow_feed(state: _Run) -> None:
    while True:
        try:
            page = state.client.get(
                "/api/v1/changes", {"after": state.peer.cursor or "", "limit": BATCH}
            )
        except FeedExpired:
            if state.run.snapshot:
                raise HarvestError(
                    "The peer's feed expired again right after its snapshot."
                ) from None
            state.run.snapshot = True
            _apply_snapshot(state)
            continue
        _require(isinstance(page, dict), "The change feed is not a JSON object.")
        changes, cursor = page.get("changes"), page.get("next")
        _require(isinstance(changes, list), "The change feed has no list of changes.")
        _require(isinstance(cursor, str) and 0 < len(cursor) <= 200, "The feed has no cursor.")
        for change in changes:
            _apply_change(state, change)
        state.peer.cursor = cursor
        session.commit()
        if not page.get("has_more") or not changes:
            return


def _apply_snapshot(state: _Run) -> None:
    _apply_snapshot_document(state, state.client.get("/api/v1/export"), session.commit)


def _apply_snapshot_document(state: _Run, snapshot: Any, commit: Callable[[], None]) -> None:
    """Store a snapshot's records, ``commit`` after each batch; withdraw what it lacks."""
    _require(isinstance(snapshot, dict), "The snapshot is not a JSON object.")
    cursor = snapshot.get("cursor")
    institutions, courses = snapshot.get("institutions"), snapshot.get("courses")
    _require(isinstance(cursor, str) and 0 < len(cursor) <= 200, "The snapshot has no cursor.")
    _require(
        isinstance(institutions, list) and isinstance(courses, list),
        "The snapshot has no lists of institutions and courses.",
    )
    seen: dict[str, set[uuid.UUID]] = {"institution": set(), "course": set()}
    for kind, records in (("institution", institutions), ("course", courses)):
        for batch in _batches(records):
            for record in batch:
                stored = _apply_record(state, kind, record, _upsert_for(kind))
                if stored is not None:
                    seen[kind].add(stored)
            commit()
    # What the peer no longer publishes is withdrawn here too.
    for origin in session.scalars(
        select(FederatedOrigin).where(FederatedOrigin.peer_id == state.peer.id)
    ):
        gone = origin.resource_uuid not in seen[origin.resource_type]
        if gone and _withdraw_origin(origin):
            state.run.withdrawn += 1
    state.peer.cursor = cursor
    commit()


def _batches(records: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(records), BATCH):
        yield records[start : start + BATCH]


def _upsert_for(kind: str) -> Any:
    return {"institution": _upsert_institution, "course": _upsert_course, "run": _upsert_run}[kind]


def _apply_change(state: _Run, change: Any) -> None:
    if not isinstance(change, dict) or change.get("type") not in ("institution", "course", "run"):
        _reject(state, "change", change, "Not a change of an institution, course or run.")
        return
    kind, resource = change.get("kind"), change.get("resource")
    if kind in ("withdrawn", "deleted"):
        _apply_record(state, change["type"], change, _withdraw)
    elif kind in ("created", "updated"):
        if resource is None:
            return  # superseded: a later change in the feed withdraws it
        _apply_record(state, change["type"], resource, _upsert_for(change["type"]))
    else:
        _reject(state, change["type"], change, f"Unknown kind of change: {kind!r}.")


def _apply_record(state: _Run, kind: str, record: Any, apply: Any) -> uuid.UUID | None:
    """Apply one record in a savepoint; on failure roll it back alone and record why."""
    try:
        with session.begin_nested():
            if not isinstance(record, dict):
                raise Rejected("Not a JSON object.")
            return apply(state, record)
    except ValidationError as error:
        _reject(state, kind, record, f"Invalid: {_messages(error.messages)}")
    except Rejected as error:
        _reject(state, kind, record, str(error))
    except IntegrityError as error:
        _reject(state, kind, record, f"Conflicts with stored data: {error.orig}")
    return None


def _messages(messages: Any) -> str:
    return json.dumps(messages, ensure_ascii=False)[:1000]


def _reject(state: _Run, kind: str, record: Any, reason: str) -> None:
    record_id = record.get("id") if isinstance(record, dict) else None
    session.add(
        RejectedRecord(
            run_id=state.run.id,
            resource_type=str(kind)[:20],
            resource_id=str(record_id)[:100] if record_id is not None else "?",
            reason=reason[:2000],
        )
    )
    state.run.rejected += 1


# Applying records -----------------------------------------------------------------------


def _origin(state: _Run, kind: ResourceType, resource_uuid: uuid.UUID) -> FederatedOrigin | None:
    origin = session.scalar(
        select(FederatedOrigin).where(FederatedOrigin.resource_uuid == resource_uuid)
    )
    if origin is not None and (origin.peer_id != state.peer.id or origin.resource_type != kind):
        raise Rejected("This id belongs to a record of another origin.")
    return origin


def _assign(obj: Any, values: dict[str, Any]) -> bool:
    """Set what differs; True when anything did (so a repeated harvest writes nothing)."""
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


def _sync_translations(
    obj: Any, model: type, maps: dict[str, dict[str, str]], required: str, original: str
) -> bool:
    languages = set().union(*(m.keys() for m in maps.values()))
    fallback = maps[required].get(original) or next(iter(maps[required].values()))
    existing = {t.language: t for t in obj.translations}
    changed = False
    for tag in sorted(languages):
        values = {name: m.get(tag) for name, m in maps.items()}
        values[required] = values[required] or fallback
        translation = existing.pop(tag, None)
        if translation is None:
            obj.translations.append(model(language=tag, **values))
            changed = True
        else:
            changed |= _assign(translation, values)
    for translation in existing.values():
        obj.translations.remove(translation)
        changed = True
    return changed


def _count(state: _Run, created: bool, changed: bool) -> None:
    if created:
        state.run.created += 1
    elif changed:
        state.run.updated += 1


def _normalised_tag(tag: str) -> str:
    try:
        return parse_language_tag(tag)
    except ValueError as exc:
        raise Rejected(str(exc)) from None


def _upsert_institution(state: _Run, record: dict[str, Any]) -> uuid.UUID:
    data = InstitutionSchema().load(record)
    origin = _origin(state, ResourceType.INSTITUTION, data["id"])
    if origin is None and session.scalar(
        select(Institution.id).where(Institution.uuid == data["id"])
    ):
        raise Rejected("This id is an institution of this portal.")
    institution = session.get(Institution, origin.institution_id) if origin else None
    created = institution is None
    if created:
        slug = unique_slug(
            Institution,
            f"{state.slug_prefix}-{slugify(data['slug'])}",
            limit=80,
            fallback="record",
        )
        institution = Institution(uuid=data["id"], slug=slug)
        session.add(institution)
    original = _normalised_tag(data["original_language"])
    changed = _assign(
        institution,
        {
            "country": data["country"],
            "region": region_of(data["country"]).value,
            "original_language": original,
            "website": data["website"],
            "logo": data["logo"],
            "active": True,
        },
    )
    names = {_normalised_tag(k): v for k, v in data["name"].items()}
    changed |= _sync_translations(
        institution,
        InstitutionTranslation,
        {
            "name": names,
            "short_name": {_normalised_tag(k): v for k, v in data.get("short_name", {}).items()},
            "description": {_normalised_tag(k): v for k, v in data.get("description", {}).items()},
        },
        "name",
        original,
    )
    session.flush()
    if origin is None:
        origin = FederatedOrigin(
            peer_id=state.peer.id,
            resource_type=ResourceType.INSTITUTION,
            resource_uuid=data["id"],
            institution_id=institution.id,
        )
        session.add(origin)
    changed |= _assign(origin, {"origin_url": data["url"]})
    session.flush()
    _count(state, created, changed)
    return data["id"]


def _decimal(value: float | None) -> Decimal | None:
    return Decimal(str(value)).quantize(Decimal("0.1")) if value is not None else None


def _upsert_course(state: _Run, record: dict[str, Any]) -> uuid.UUID:
    data = CourseSchema().load(record)
    institution_origin = _origin(state, ResourceType.INSTITUTION, data["institution"])
    if institution_origin is None:
        raise Rejected("The course's institution has not been harvested from this peer.")
    origin = _origin(state, ResourceType.COURSE, data["id"])
    if origin is None and session.scalar(select(Course.id).where(Course.uuid == data["id"])):
        raise Rejected("This id is a course of this portal.")
    unknown = set(data["subjects"]) - state.subjects
    if unknown:
        raise Rejected(f"Unknown ISCED-F subject codes: {', '.join(sorted(unknown))}.")
    institution = session.get(Institution, institution_origin.institution_id)
    course = session.get(Course, origin.course_id) if origin else None
    created = course is None
    if created:
        slug = unique_slug(
            Course, f"{state.slug_prefix}-{slugify(data['slug'])}", limit=120, fallback="record"
        )
        course = Course(uuid=data["id"], slug=slug, published_at=utcnow(), institution=institution)
        session.add(course)
    original = _normalised_tag(data["original_language"])
    changed = _assign(
        course,
        {
            "institution": institution,
            "code": data["code"],
            "original_language": original,
            "level": data["level"],
            "pace": data["pace"],
            "effort_hours": _decimal(data["effort_hours"]),
            "length_weeks": data["length_weeks"],
            "credential": data["credential"],
            "ects_credits": _decimal(data["ects_credits"]),
            "image": data["image"],
            "status": CourseStatus.PUBLISHED,
        },
    )
    if course.published_at is None:
        course.published_at = utcnow()
    texts = {
        name: {_normalised_tag(k): v for k, v in data.get(name, {}).items()}
        for name in ("title", "summary", "description", "learning_outcomes")
    }
    changed |= _sync_translations(course, CourseTranslation, texts, "title", original)
    languages = [
        (LanguageKind.TEACHING.value, _normalised_tag(t), i)
        for i, t in enumerate(dict.fromkeys(data["teaching_languages"]))
    ] + [
        (LanguageKind.SUBTITLE.value, _normalised_tag(t), i)
        for i, t in enumerate(dict.fromkeys(data["subtitle_languages"]))
    ]
    if [(lang.kind, lang.language, lang.position) for lang in course.languages] != languages:
        course.languages = [CourseLanguage(kind=k, language=t, position=i) for k, t, i in languages]
        changed = True
    subjects = sorted(set(data["subjects"]))
    if [s.code for s in course.subjects] != subjects:
        course.subjects = [CourseSubject(code=code) for code in subjects]
        changed = True
    session.flush()
    wanted = {run["id"] for run in data["runs"]}
    for run in list(course.runs):
        if run.uuid not in wanted:
            course.runs.remove(run)
            changed = True
    for run_data in data["runs"]:
        if run_data["course"] != data["id"]:
            raise Rejected("A run of this course names another course.")
        changed |= _store_run(course, run_data)
    if origin is None:
        origin = FederatedOrigin(
            peer_id=state.peer.id,
            resource_type=ResourceType.COURSE,
            resource_uuid=data["id"],
            course_id=course.id,
        )
        session.add(origin)
    changed |= _assign(origin, {"origin_url": data["url"]})
    session.flush()
    if changed:
        from mooc_portal.catalog import search

        search.index_course(course)
    _count(state, created, changed)
    return data["id"]


def _store_run(course: Course, data: dict[str, Any]) -> bool:
    run = next((r for r in course.runs if r.uuid == data["id"]), None)
    if run is None:
        if session.scalar(select(CourseRun.id).where(CourseRun.uuid == data["id"])):
            raise Rejected("A run's id is already a run of another course.")
        run = CourseRun(uuid=data["id"])
        course.runs.append(run)
    changed = _assign(run, {name: data[name] for name in RUN_FIELDS})
    session.flush()
    return changed or run.id is None


def _upsert_run(state: _Run, record: dict[str, Any]) -> uuid.UUID:
    data = RunSchema().load(record)
    origin = _origin(state, ResourceType.COURSE, data["course"])
    if origin is None:
        raise Rejected("The run's course has not been harvested from this peer.")
    course = session.get(Course, origin.course_id)
    created = not any(r.uuid == data["id"] for r in course.runs)
    changed = _store_run(course, data)
    _count(state, created, changed)
    return data["id"]


def _withdraw(state: _Run, change: dict[str, Any]) -> uuid.UUID | None:
    try:
        resource_uuid = uuid.UUID(str(change.get("id")))
    except ValueError:
        raise Rejected("A withdrawal without a valid id.") from None
    if change["type"] == "run":
        run = session.scalar(select(CourseRun).where(CourseRun.uuid == resource_uuid))
        if run is None:
            return None
        origin = _origin(state, ResourceType.COURSE, run.course.uuid)
        if origin is None:
            raise Rejected("This run is not one harvested from this peer.")
        session.delete(run)
        session.flush()
        state.run.withdrawn += 1
        return resource_uuid
    origin = _origin(state, ResourceType(change["type"]), resource_uuid)
    if origin is not None and _withdraw_origin(origin):
        state.run.withdrawn += 1
    return resource_uuid


def _withdraw_origin(origin: FederatedOrigin) -> bool:
    """Hide a federated record (kept, so the peer may publish it again); True if it was shown."""
    if origin.course_id is not None:
        course = session.get(Course, origin.course_id)
        changed = course is not None and _assign(course, {"status": CourseStatus.WITHDRAWN})
    else:
        institution = session.get(Institution, origin.institution_id)
        changed = institution is not None and _assign(institution, {"active": False})
    session.flush()
    return changed
