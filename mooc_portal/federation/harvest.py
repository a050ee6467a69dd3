"""Harvesting peer portals: their snapshot, then their change feed, into federated records.

Each peer is pulled from its stored cursor; its snapshot is taken on the first run, after a 410
(the feed no longer reaches back) and after a 400 on the cursor (a peer restored from a backup).
Every record is applied in its own savepoint: a record that fails validation or a database
constraint is rolled back alone and recorded as rejected, with its reason; the rest of the batch
is kept. A batch is committed together with the cursor after it, so the cursor never runs ahead
of what is stored. A peer that is down, slow or answers something that is not a feed fails its
run with the error recorded on the peer; other peers are harvested all the same.
"""

from __future__ import annotations

import itertools
import json
import logging
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import IO, Any

import httpx
import ijson
from flask import current_app
from marshmallow import ValidationError
from sqlalchemy import or_, select
from sqlalchemy.exc import DataError, IntegrityError

from mooc_portal.catalog.models import (
    AUDIENCES,
    Course,
    CourseLanguage,
    CourseRecognition,
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
from mooc_portal.metrics import count_harvest
from mooc_portal.publishing.validation import RUN_FIELDS
from mooc_portal.reference import region_of
from mooc_portal.slugs import slugify, unique_slug

BATCH = 200

log = logging.getLogger(__name__)


class HarvestError(Exception):
    """The peer could not be harvested (down, slow, or not answering a feed)."""


class FeedExpired(HarvestError):
    """The peer no longer keeps changes after our cursor (410): take its snapshot again."""


class CursorRefused(FeedExpired):
    """The peer refused our feed cursor (400 naming ``after``): it lies beyond the peer's feed
    (the peer was restored from an older backup) or the peer no longer accepts its signature
    (its secret key changed). Either way only its snapshot tells what it publishes now."""


class Rejected(Exception):
    """One record cannot be stored; the message is the reason."""


# Talking to a peer ----------------------------------------------------------------------


def fetch(
    url: str,
    *,
    params: dict[str, Any] | None,
    timeout: float,
    deadline: float,
    max_bytes: int,
    transport: httpx.BaseTransport | None = None,
) -> IO[bytes]:
    """GET ``url`` and return its body in a temporary file; every HTTP call to a peer is this one.

    The body is read against the run's ``deadline`` (a ``time.monotonic()`` value), not only a
    per-read timeout: a peer trickling a byte a second fails the run on time. More than
    ``max_bytes`` fails it too. Raises ``HarvestError`` (``FeedExpired`` for a 410).
    """
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise HarvestError("The harvest ran out of time.")
    body: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=1024 * 1024)  # noqa: SIM115
    unreachable = f"{url} could not be reached (or its address is not a public one)."
    try:
        with (
            httpx.Client(
                timeout=min(timeout, remaining),
                # Every request is checked (and pinned) to a public address first.
                transport=PeerTransport(transport),
                follow_redirects=False,
            ) as client,
            client.stream("GET", url, params=params) as response,
        ):
            if response.status_code == 410:
                raise FeedExpired("The peer no longer keeps changes this far back.")
            if response.status_code == 400 and params and "after" in params:
                _raise_if_cursor_refused(response)
            if response.status_code == 503 and response.headers.get("Retry-After"):
                # A peer building its export snapshot: the next scheduled run asks again.
                raise HarvestError(
                    f"{url} is not ready (HTTP 503, retry after "
                    f"{response.headers['Retry-After'][:40]}); the next run asks again."
                )
            if response.status_code != 200:
                raise HarvestError(f"{url} answered HTTP {response.status_code}.")
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise HarvestError(f"{url} sent more than {max_bytes} bytes.")
                if time.monotonic() > deadline:
                    raise HarvestError(f"{url} did not finish its answer within the run's time.")
                body.write(chunk)
    # One message for a refused address, a refused connection and a connection timeout:
    # the peers page must not tell which hosts and ports answer.
    except (PeerAddressRefused, httpx.ConnectError, httpx.ConnectTimeout):
        body.close()
        raise HarvestError(unreachable) from None
    except httpx.TimeoutException:
        body.close()
        raise HarvestError(f"{url} did not answer within {timeout} s.") from None
    except httpx.HTTPError:
        body.close()
        raise HarvestError(unreachable) from None
    except BaseException:
        body.close()
        raise
    body.seek(0)
    return body


def _raise_if_cursor_refused(response: httpx.Response) -> None:
    """A 400 whose JSON error names the ``after`` field is the peer refusing our cursor."""
    body = b""
    for chunk in response.iter_bytes():
        body += chunk
        if len(body) > 64 * 1024:
            return  # not one of the API's short errors
    try:
        error = json.loads(body)
    except ValueError:
        return
    if isinstance(error, dict) and error.get("field") == "after":
        message = error.get("message")
        raise CursorRefused(
            f"The peer refused the feed cursor: {message}"
            if isinstance(message, str)
            else "The peer refused the feed cursor."
        )


@dataclass
class PeerClient:
    """Reads a peer's ``/api/v1`` over HTTP within one run's deadline."""

    base_url: str
    timeout: float
    transport: httpx.BaseTransport | None = None
    max_bytes: int = 32 * 1024 * 1024
    deadline: float = field(default_factory=lambda: time.monotonic() + 300)

    def get(self, path: str, params: dict[str, Any] | None = None) -> Document:
        url = self.base_url.rstrip("/") + path
        body = fetch(
            url,
            params=params,
            timeout=self.timeout,
            deadline=self.deadline,
            max_bytes=self.max_bytes,
            transport=self.transport,
        )
        return Document(url, body)

    def check_deadline(self) -> None:
        if time.monotonic() > self.deadline:
            raise HarvestError("The harvest ran out of time; it goes on from here next run.")


_CONTAINERS = {"start_array": list, "start_map": dict}
_OPENS = frozenset(_CONTAINERS)
_CLOSES = frozenset({"end_array", "end_map"})
MAX_DEPTH = 64
"""Deepest nesting a peer's answer may have (ours has 5): deeper fails the run at once."""


@dataclass
class Document:
    """A peer's JSON answer, parsed as a stream: memory holds one record at a time.

    ``ijson.basic_parse`` events (no prefixes: ijson builds a prefix string per event, which
    costs depth squared on deeply nested input) with the nesting depth capped at MAX_DEPTH.
    """

    url: str
    body: IO[bytes]

    def _events(self) -> Iterator[tuple[str, Any]]:
        self.body.seek(0)
        depth = 0
        try:
            for event, value in ijson.basic_parse(self.body, use_float=True):
                if event in _OPENS:
                    depth += 1
                    if depth > MAX_DEPTH:
                        raise HarvestError(
                            f"{self.url} answered JSON nested more than {MAX_DEPTH} levels."
                        )
                elif event in _CLOSES:
                    depth -= 1
                yield event, value
        except (ijson.JSONError, UnicodeDecodeError, ValueError):
            raise HarvestError(f"{self.url} did not answer JSON.") from None

    def top_level(self) -> dict[str, Any]:
        """The top-level object's scalar values, and ``list``/``dict`` for its containers."""
        found: dict[str, Any] = {}
        events = self._events()
        first = next(events, None)
        if first is None or first[0] != "start_map":
            raise HarvestError(f"{self.url} did not answer a JSON object.")
        depth, key = 1, None
        for event, value in events:
            if depth == 1:
                if event == "map_key":
                    key = value
                elif key is not None and key not in found:
                    found[key] = _CONTAINERS.get(event, value)
            depth += (event in _OPENS) - (event in _CLOSES)
        return found

    def items(self, key: str) -> Iterator[Any]:
        """The elements of the top-level list ``key``, one at a time."""
        depth, current, inside = 0, None, False
        builder: Any = None
        for event, value in self._events():
            change = (event in _OPENS) - (event in _CLOSES)
            if builder is not None:
                builder.event(event, value)
                depth += change
                if depth == 2:
                    yield builder.value
                    builder = None
            elif inside and depth == 2:
                if event in _CLOSES:
                    return
                if event in _OPENS:
                    builder = ijson.common.ObjectBuilder()
                    builder.event(event, value)
                    depth += 1
                else:
                    yield value
            else:
                if depth == 1 and event == "map_key":
                    current = value
                elif depth == 1 and current == key and event == "start_array":
                    inside = True
                depth += change

    def close(self) -> None:
        self.body.close()


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
    max_rejects: int = 1000
    max_pages: int = 50


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
    config = current_app.config
    return _Run(
        peer=peer,
        run=run,
        client=client,  # type: ignore[arg-type]  # None only for a snapshot in hand: no fetch
        slug_prefix=slugify(peer.name, 30).strip("-") or f"peer-{peer.id}",
        subjects=set(session.scalars(select(SubjectArea.code))),
        max_rejects=int(config["MOOC_HARVEST_MAX_REJECTS"]),
        max_pages=int(config["MOOC_HARVEST_MAX_PAGES"]),
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
    """Pull ``peer``'s changes since its cursor (its snapshot when it has none); commits.

    Whatever the peer answers ends in a finished run (succeeded or failed, never left
    ``running``): the run's deadline (``MOOC_HARVEST_DEADLINE``), response size, pages and
    rejected records are capped.
    """
    config = current_app.config
    fail_interrupted_runs(peer.id)
    run = HarvestRun(peer=peer, snapshot=peer.cursor is None)
    session.add(run)
    session.commit()
    state = _state(
        peer,
        run,
        PeerClient(
            peer.base_url,
            timeout=float(config["MOOC_HARVEST_TIMEOUT"]),
            transport=transport,
            max_bytes=int(config["MOOC_HARVEST_MAX_BYTES"]),
            deadline=time.monotonic() + float(config["MOOC_HARVEST_DEADLINE"]),
        ),
    )
    session.info[SUPPRESS] = True
    try:
        if peer.cursor is None:
            _apply_snapshot(state)
        _follow_feed(state)
    except HarvestError as error:
        _fail(run, peer, str(error))
    except Exception as error:  # a bug or the database: the run fails, the worker goes on
        log.exception("Harvesting %s failed", peer.name)
        _fail(run, peer, f"Unexpected error: {type(error).__name__}: {error}")
    else:
        run.status = HarvestStatus.SUCCEEDED
        peer.last_success_at = utcnow()
    finally:
        session.info.pop(SUPPRESS, None)
    run.finished_at = utcnow()
    session.commit()
    count_harvest(
        peer.name,
        run.status,
        stored=run.created + run.updated + run.withdrawn,
        rejected=run.rejected,
    )
    return run


def _fail(run: HarvestRun, peer: Peer, error: str) -> None:
    session.rollback()  # the unfinished batch only: earlier batches are committed
    error = _clean(error)[:2000]
    run.status = HarvestStatus.FAILED
    run.error = error
    peer.last_error = error
    peer.last_error_at = utcnow()


def _clean(text: str) -> str:
    """Text a peer sent, fit to store on any database (PostgreSQL refuses NUL characters)."""
    return text.replace("\x00", "\\u0000")


def _follow_feed(state: _Run) -> None:
    for _page in range(state.max_pages):
        state.client.check_deadline()
        sent = state.peer.cursor
        try:
            page = state.client.get("/api/v1/changes", {"after": sent or "", "limit": BATCH})
        except FeedExpired as expired:
            # 410 (the feed no longer reaches back to the cursor) or 400 on the cursor (a peer
            # restored from a backup): a full re-sync, which withdraws what it lacks.
            if state.run.snapshot:
                raise HarvestError(
                    f"The peer's feed refused the cursor of its own snapshot ({expired})."
                ) from None
            log.info("Harvesting %s: %s Taking its snapshot again.", state.peer.name, expired)
            state.run.snapshot = True
            _apply_snapshot(state)
            continue
        try:
            top = page.top_level()
            cursor = top.get("next")
            _require(top.get("changes") is list, "The change feed has no list of changes.")
            _require(isinstance(cursor, str) and 0 < len(cursor) <= 200, "The feed has no cursor.")
            count = 0
            for batch in _batches(page.items("changes")):
                for change in batch:
                    _apply_change(state, change)
                    count += 1
                state.client.check_deadline()
            has_more = top.get("has_more") is True
            if has_more and count and cursor == sent:
                raise HarvestError("The feed's cursor did not advance; the run stops.")
            state.peer.cursor = cursor
            session.commit()
        finally:
            page.close()
        if not has_more or not count:
            return
    # More pages wait: the next run goes on from the stored cursor.


def _apply_snapshot(state: _Run) -> None:
    document = state.client.get("/api/v1/export")
    try:
        top = document.top_level()
        _store_snapshot(
            state,
            top.get("cursor"),
            top.get("institutions") is list and top.get("courses") is list,
            {"institution": document.items("institutions"), "course": document.items("courses")},
            session.commit,
        )
    finally:
        document.close()


def _apply_snapshot_document(state: _Run, snapshot: Any, commit: Callable[[], None]) -> None:
    """Store a snapshot already parsed (the demo's), ``commit`` after each batch."""
    _require(isinstance(snapshot, dict), "The snapshot is not a JSON object.")
    institutions, courses = snapshot.get("institutions"), snapshot.get("courses")
    lists = isinstance(institutions, list) and isinstance(courses, list)
    _store_snapshot(
        state,
        snapshot.get("cursor"),
        lists,
        {"institution": institutions or [], "course": courses or []},
        commit,
    )


def _store_snapshot(
    state: _Run,
    cursor: Any,
    lists: bool,
    records: dict[str, Iterable[Any]],
    commit: Callable[[], None],
) -> None:
    """Store a snapshot's records, ``commit`` after each batch; withdraw what it lacks."""
    _require(isinstance(cursor, str) and 0 < len(cursor) <= 200, "The snapshot has no cursor.")
    _require(lists, "The snapshot has no lists of institutions and courses.")
    seen: dict[str, set[uuid.UUID]] = {"institution": set(), "course": set()}
    for kind in ("institution", "course"):
        for batch in _batches(records[kind]):
            for record in batch:
                stored = _apply_record(state, kind, record, _upsert_for(kind))
                if stored is not None:
                    seen[kind].add(stored)
            commit()
            if state.client is not None:
                state.client.check_deadline()
    # What the peer no longer publishes is withdrawn here too.
    for origin in session.scalars(
        select(FederatedOrigin).where(FederatedOrigin.peer_id == state.peer.id)
    ):
        gone = origin.resource_uuid not in seen[origin.resource_type]
        if gone and _withdraw_origin(origin):
            state.run.withdrawn += 1
    state.peer.cursor = cursor
    commit()


def _batches(records: Iterable[Any]) -> Iterator[list[Any]]:
    iterator = iter(records)
    while batch := list(itertools.islice(iterator, BATCH)):
        yield batch


def _upsert_for(kind: str) -> Callable[[_Run, dict[str, Any]], uuid.UUID]:
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


def _apply_record(
    state: _Run, kind: str, record: Any, apply: Callable[[_Run, Any], uuid.UUID | None]
) -> uuid.UUID | None:
    """Apply one record in a savepoint; on failure roll it back alone and record why."""
    try:
        with session.begin_nested():
            if not isinstance(record, dict):
                raise Rejected("Not a JSON object.")
            if _has_nul(record):
                raise Rejected("A text contains a NUL character.")
            return apply(state, record)
    except ValidationError as error:
        _reject(state, kind, record, f"Invalid: {_messages(error.messages)}")
    except Rejected as error:
        _reject(state, kind, record, str(error))
    except IntegrityError as error:
        _reject(state, kind, record, f"Conflicts with stored data: {error.orig}")
    except DataError as error:
        _reject(state, kind, record, f"Cannot be stored: {error.orig}")
    except RecursionError:
        _reject(state, kind, record, "Nested too deeply.")
    return None


def _has_nul(value: Any) -> bool:
    """True when a text anywhere in ``value`` holds NUL, which PostgreSQL cannot store."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _messages(messages: Any) -> str:
    return json.dumps(messages, ensure_ascii=False)[:1000]


def _reject(state: _Run, kind: str, record: Any, reason: str) -> None:
    record_id = record.get("id") if isinstance(record, dict) else None
    session.add(
        RejectedRecord(
            run_id=state.run.id,
            resource_type=_clean(str(kind))[:20],
            resource_id=_clean(str(record_id))[:100] if record_id is not None else "?",
            reason=_clean(reason)[:2000],
        )
    )
    state.run.rejected += 1
    if state.run.rejected > state.max_rejects:
        raise HarvestError(
            f"More than {state.max_rejects} records were rejected; the run stops here."
        )


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
    if institution is None:
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
            "harvested_from": state.peer.name,
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
    resource_id: uuid.UUID = data["id"]
    return resource_id


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
    if course is None:
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
            "origin_url": data["url"],
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
    # Compared as sets: the stored rows come back by position, teaching and subtitle
    # languages interleaved, so comparing lists called every such course "updated".
    stored = {(lang.kind, lang.language) for lang in course.languages}
    if stored != {(kind, tag) for kind, tag, _ in languages}:
        course.languages = [CourseLanguage(kind=k, language=t, position=i) for k, t, i in languages]
        changed = True
    subjects = sorted(set(data["subjects"]))
    if [s.code for s in course.subjects] != subjects:
        course.subjects = [CourseSubject(code=code) for code in subjects]
        changed = True
    changed |= _store_recognition(course, data["recognition"])
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
    resource_id: uuid.UUID = data["id"]
    return resource_id


def _store_recognition(course: Course, data: dict[str, Any] | None) -> bool:
    """The course's recognition details as the peer publishes them (none: removed)."""
    if data is None:
        if course.recognition is None:
            return False
        course.recognition = None
        return True
    if course.recognition is None:
        course.recognition = CourseRecognition()
    audiences = set(data["audiences"])
    return _assign(
        course.recognition,
        {
            "workload_hours": _decimal(data["workload_hours"]),
            "eqf_level": data["eqf_level"],
            "national_framework": data["national_framework"],
            "assessment": data["assessment"],
            "identity_check": data["identity_check"],
            "quality_assurance": data["quality_assurance"],
            "prerequisites": data["prerequisites"],
            "stackable": data["stackable"],
            **{mark: mark in audiences for mark in AUDIENCES},
        },
    )


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
    course = session.get_one(Course, origin.course_id)
    created = not any(r.uuid == data["id"] for r in course.runs)
    changed = _store_run(course, data)
    _count(state, created, changed)
    resource_id: uuid.UUID = data["id"]
    return resource_id


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


# Harvests as jobs ---------------------------------------------------------------------------


def harvest_job(payload: dict[str, Any]) -> None:
    """The ``harvest`` job: one run of one peer (a paused or removed peer is skipped)."""
    peer = session.get(Peer, int(payload["peer_id"]))
    if peer is None or not peer.enabled:
        return
    harvest_peer(peer)


def fail_interrupted_runs_job(payload: dict[str, Any]) -> int:
    """The jobs' hook for a harvest job a dead worker left running (``ON_INTERRUPTED``)."""
    return fail_interrupted_runs(int(payload["peer_id"]))


def fail_interrupted_runs(peer_id: int) -> int:
    """Mark the peer's runs left ``running`` (their worker stopped) as failed; flushes."""
    runs = session.scalars(
        select(HarvestRun).where(
            HarvestRun.peer_id == peer_id, HarvestRun.status == HarvestStatus.RUNNING
        )
    ).all()
    for run in runs:
        run.status = HarvestStatus.FAILED
        run.error = "The worker stopped during this harvest; it runs again."
        run.finished_at = utcnow()
    session.flush()
    return len(runs)


def schedule_due_harvests(now: datetime | None = None) -> int:
    """Write a harvest job for each enabled peer whose time has come; flushes.

    One job per peer at a time: a peer whose harvest still waits or runs gets no second one, so
    a slow peer holds up only itself.
    """
    from mooc_portal.jobs.services import active_job, enqueue

    now = now or utcnow()
    peers = session.scalars(
        select(Peer).where(
            Peer.enabled.is_(True),
            or_(Peer.next_harvest_at.is_(None), Peer.next_harvest_at <= now),
        )
    ).all()
    scheduled = 0
    for peer in peers:
        if active_job(f"peer:{peer.id}", "harvest") is None:
            peer.next_harvest_at = now + timedelta(minutes=peer.harvest_interval)
            enqueue(
                "harvest",
                {"peer_id": peer.id},
                dedupe_key=f"harvest:{peer.id}:{now.isoformat()}",
                topic=f"peer:{peer.id}",
            )
            scheduled += 1
    session.flush()
    return scheduled


def request_harvest(peer: Peer) -> bool:
    """Harvest ``peer`` now (the admin page's button); False when one already waits or runs."""
    from mooc_portal.jobs.services import active_job, enqueue

    if active_job(f"peer:{peer.id}", "harvest") is not None:
        return False
    enqueue(
        "harvest",
        {"peer_id": peer.id, "requested": True},
        dedupe_key=f"harvest:{peer.id}:now:{uuid.uuid4()}",
        topic=f"peer:{peer.id}",
    )
    return True
