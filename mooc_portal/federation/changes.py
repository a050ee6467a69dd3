"""Recording changes of public resources into the change feed.

The one mechanism: a ``before_flush`` listener on the portal's session class looks at the
institutions, courses and runs (and their translations, languages, subjects and recognition)
the flush is about to write, compares whether each was public before and is public after, and adds
``ChangeEntry`` rows to the same flush. Whatever service changed the data, the feed follows,
in the same transaction. Harvested (federated) records are not recorded: the feed carries the
portal's own catalog only.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import inspect, select, text
from sqlalchemy.orm import Session

from mooc_portal.catalog.models import (
    Course,
    CourseLanguage,
    CourseRecognition,
    CourseRun,
    CourseStatus,
    CourseSubject,
    CourseTranslation,
    course_is_public,
)
from mooc_portal.db import Base, PublicIdMixin, listen_once
from mooc_portal.federation.models import ChangeEntry, ChangeKind, ResourceType
from mooc_portal.institutions.models import Institution, InstitutionTranslation

SUPPRESS = "mooc_federation_suppress_changes"
"""``session.info`` key: while true, flushes record no change (set by the harvester)."""

# A fixed key for pg_advisory_xact_lock: writers of the feed take turns until they commit, so a
# reader never sees sequence N+1 committed while N is still to come.
_FEED_LOCK_KEY = 0x6D6F6F63


def _old(obj: Any, attribute: str) -> Any:
    """The value ``attribute`` has in the database before this flush."""
    state = inspect(obj)
    history = state.attrs[attribute].history
    if history.deleted:
        return history.deleted[0]
    if history.added and state.identity and state.session is not None:
        # Set while expired (after a commit): SQLAlchemy kept no old value, the database has it.
        model = type(obj)
        return state.session.scalar(
            select(getattr(model, attribute)).where(model.id == state.identity[0])
        )
    return getattr(obj, attribute)


def _pending(obj: Base) -> bool:
    """Added to the session and not flushed yet."""
    return inspect(obj).pending


def _institution_was_active(institution: Institution) -> bool:
    if inspect(institution).pending:
        return False
    return bool(_old(institution, "active"))


def _course_was_public(course: Course) -> bool:
    """``Course.is_public`` of the values the database holds before this flush."""
    if inspect(course).pending:
        return False
    return course_is_public(_old(course, "status"), _institution_was_active(course.institution))


def _ensure_uuid(obj: PublicIdMixin) -> uuid.UUID:
    if obj.uuid is None:
        obj.uuid = uuid.uuid4()
    return obj.uuid


class _Changes:
    """The changes of one flush, one per resource; a tombstone or a creation wins an update."""

    def __init__(self) -> None:
        self.kinds: dict[tuple[str, uuid.UUID], ChangeKind] = {}

    def add(self, resource_type: ResourceType, obj: PublicIdMixin, kind: ChangeKind) -> None:
        key = (resource_type.value, _ensure_uuid(obj))
        current = self.kinds.get(key)
        if current is None or current is ChangeKind.UPDATED or kind.is_tombstone:
            self.kinds[key] = kind


def _track(session: Session, _context: Any, _instances: Any) -> None:
    if session.info.get(SUPPRESS):
        return
    changes = _Changes()
    with session.no_autoflush:
        _collect(session, changes)
    if not changes.kinds:
        return
    bind = session.connection()
    if bind.dialect.name == "postgresql":
        bind.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _FEED_LOCK_KEY})
    for (resource_type, resource_uuid), kind in changes.kinds.items():
        session.add(
            ChangeEntry(resource_type=resource_type, resource_uuid=resource_uuid, kind=kind)
        )


def _collect(session: Session, changes: _Changes) -> None:
    institutions: set[Institution] = set()
    courses: set[Course] = set()
    runs: set[CourseRun] = set()
    for obj in list(session.new) + list(session.dirty):
        if isinstance(obj, (Institution, Course)) and not (
            _pending(obj) or session.is_modified(obj)
        ):
            continue
        if isinstance(obj, Institution):
            institutions.add(obj)
        elif isinstance(obj, InstitutionTranslation) and obj.institution is not None:
            institutions.add(obj.institution)
        elif isinstance(obj, Course):
            courses.add(obj)
        elif isinstance(obj, CourseTranslation) and obj.course is not None:
            courses.add(obj.course)
        elif (
            isinstance(obj, (CourseLanguage, CourseSubject, CourseRecognition))
            and obj.course_id is not None
        ):
            course = session.get(Course, obj.course_id)
            if course is not None:
                courses.add(course)
        elif isinstance(obj, CourseRun):
            runs.add(obj)
    for obj in session.deleted:
        if isinstance(obj, (InstitutionTranslation, CourseTranslation)):
            parent = getattr(obj, "institution", None) or getattr(obj, "course", None)
            if parent is not None and parent not in session.deleted:
                (institutions if isinstance(parent, Institution) else courses).add(parent)
        elif isinstance(obj, CourseRecognition):
            course = session.get(Course, obj.course_id)
            if course is not None and course not in session.deleted:
                courses.add(course)

    for institution in institutions:
        _institution_change(session, institution, changes)
    for course in courses:
        _course_change(session, course, changes)
    for run in runs:
        _run_change(session, run, changes)

    for obj in session.deleted:
        if isinstance(obj, Course) and _course_was_public(obj):
            changes.add(ResourceType.COURSE, obj, ChangeKind.DELETED)
        elif isinstance(obj, CourseRun) and obj.course is not None:
            if obj.course not in session.deleted and _course_was_public(obj.course):
                changes.add(ResourceType.RUN, obj, ChangeKind.DELETED)
        elif isinstance(obj, Institution) and _institution_was_active(obj):
            changes.add(ResourceType.INSTITUTION, obj, ChangeKind.DELETED)


def _institution_change(session: Session, institution: Institution, changes: _Changes) -> None:
    # A pending institution gets its column default (active) only at flush time.
    was, now = _institution_was_active(institution), institution.active is not False
    if now and not was:
        changes.add(ResourceType.INSTITUTION, institution, ChangeKind.CREATED)
    elif was and not now:
        changes.add(ResourceType.INSTITUTION, institution, ChangeKind.WITHDRAWN)
    elif now:
        changes.add(ResourceType.INSTITUTION, institution, ChangeKind.UPDATED)
    if was != now and institution.id is not None:
        # The institution's published courses appear or disappear with it.
        published = session.scalars(
            select(Course).where(
                Course.institution_id == institution.id, Course.status == CourseStatus.PUBLISHED
            )
        ).all()
        for course in published:
            kind = ChangeKind.CREATED if now else ChangeKind.WITHDRAWN
            changes.add(ResourceType.COURSE, course, kind)


def _course_change(session: Session, course: Course, changes: _Changes) -> None:
    was, now = _course_was_public(course), course.is_public
    if now and not was:
        changes.add(ResourceType.COURSE, course, ChangeKind.CREATED)
    elif was and not now:
        changes.add(ResourceType.COURSE, course, ChangeKind.WITHDRAWN)
    elif now:
        changes.add(ResourceType.COURSE, course, ChangeKind.UPDATED)


def _run_change(session: Session, run: CourseRun, changes: _Changes) -> None:
    course = run.course
    if course is None or not course.is_public:
        return
    if not _course_was_public(course):
        return  # the course's own creation entry carries its runs
    if inspect(run).pending:
        changes.add(ResourceType.RUN, run, ChangeKind.CREATED)
    elif session.is_modified(run):
        changes.add(ResourceType.RUN, run, ChangeKind.UPDATED)


def install_change_tracking(session_class: type[Session]) -> None:
    """Listen to the flushes of the portal's sessions (``init_app`` calls it; idempotent)."""
    listen_once(session_class, "before_flush", _track)
