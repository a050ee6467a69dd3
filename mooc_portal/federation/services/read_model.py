"""The portal's own public catalog as federation publishes it (harvested records are the
peers' to publish), and the plain-row reader the snapshot and the API pages use."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace
from typing import Any
from uuid import UUID

from sqlalchemy import Select, exists, select

from mooc_portal.catalog.availability import Availability, course_availability, run_availability
from mooc_portal.catalog.models import (
    Course,
    CourseLanguage,
    CourseLanguagesMixin,
    CourseRecognition,
    CourseRun,
    CourseSubject,
    CourseTranslation,
)
from mooc_portal.catalog.services import public_courses
from mooc_portal.db import session, utcnow
from mooc_portal.errors import NotFound
from mooc_portal.federation.models import FederatedOrigin, ResourceType
from mooc_portal.institutions.models import Institution


def _federated_institution_ids() -> Any:
    return select(FederatedOrigin.institution_id).where(FederatedOrigin.institution_id.is_not(None))


def own_public_institutions() -> Select[Institution]:
    """Active institutions of this portal (harvested ones are the peers' to publish)."""
    return select(Institution).where(
        Institution.active.is_(True),
        ~exists().where(FederatedOrigin.institution_id == Institution.id),
    )


def own_public_courses() -> Select[Course]:
    """Public courses of this portal's own institutions."""
    return public_courses().where(
        ~exists().where(FederatedOrigin.institution_id == Course.institution_id)
    )


def own_public_runs() -> Select[CourseRun]:
    return select(CourseRun).where(
        CourseRun.course_id.in_(own_public_courses().with_only_columns(Course.id))
    )


def get_own_public(resource_type: ResourceType, resource_uuid: Any) -> Any:
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


@dataclass(slots=True)
class RunRow:
    uuid: UUID
    start_at: datetime | None
    end_at: datetime | None
    enrollment_start_at: datetime | None
    enrollment_end_at: datetime | None
    capacity: int | None
    requires_approval: bool
    delivery_mode: str
    cancelled: bool
    modified_at: datetime

    def availability(self, now: datetime | None = None) -> Availability:
        return run_availability(self, now or utcnow())


@dataclass(slots=True)
class CourseRow(CourseLanguagesMixin):
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
    runs: list[RunRow] = field(default_factory=list)
    recognition: Any = None

    def availability(self, now: datetime | None = None) -> Availability:
        return course_availability(self.runs, now or utcnow())


def course_rows(query: Select[Any], *, after: int, limit: int) -> list[CourseRow]:
    """Courses of ``query`` (``own_public_courses()``, maybe filtered) after id ``after``, by id,
    with their text, languages, subjects, runs and recognition, for ``course_resource``.

    Plain rows rather than ORM objects (six queries whatever ``limit``): the snapshot of
    100,000 courses takes seconds, and an API page costs a few milliseconds.
    """
    columns = [getattr(Course, name) for name in CourseRow.__dataclass_fields__ if name not in (
        "institution", "translations", "languages", "subjects", "runs", "recognition")]  # fmt: skip
    rows = session.execute(
        query.with_only_columns(*columns, Institution.uuid.label("iuuid"))
        .where(Course.id > after)
        .order_by(Course.id)
        .limit(limit)
    ).all()
    if not rows:
        return []
    courses: dict[int, CourseRow] = {}
    for row in rows:
        values = row._asdict()
        institution = SimpleNamespace(uuid=values.pop("iuuid"))
        courses[row.id] = CourseRow(**values, institution=institution)
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
    run_columns = [getattr(CourseRun, name) for name in RunRow.__dataclass_fields__]
    for run in session.execute(
        select(CourseRun.course_id, *run_columns)
        .where(CourseRun.course_id.in_(ids))
        .order_by(CourseRun.course_id, CourseRun.start_at, CourseRun.id)
    ):
        values = run._asdict()
        courses[values.pop("course_id")].runs.append(RunRow(**values))
    for recognition in session.scalars(
        select(CourseRecognition).where(CourseRecognition.course_id.in_(ids))
    ):
        courses[recognition.course_id].recognition = recognition
    return list(courses.values())
