"""The public JSON form of institutions, courses and runs: the API, feed and snapshot share it.

Plain functions rather than marshmallow ``dump`` so that the snapshot of 100,000 courses stays
fast; ``schemas.py`` describes the same shapes for the OpenAPI document and validates what
peers send. A test checks real responses against that document.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol
from uuid import UUID

from mooc_portal.catalog.availability import Availability, RunSchedule
from mooc_portal.catalog.models import CourseRecognition
from mooc_portal.institutions.models import Institution
from mooc_portal.urls import external_url

_SLUG = "__mooc_slug__"


def logo_link(logo: str | None) -> str | None:
    """An institution's logo as an absolute URL: an uploaded one is served by the portal."""
    from mooc_portal.publishing.media import is_media_name
    from mooc_portal.urls import external_url

    if is_media_name(logo):
        return external_url("portal.partner.course_image_file", name=logo)
    return logo


class RunFacts(RunSchedule, Protocol):
    """What :func:`run_resource` reads: a ``CourseRun``, or the read model's ``RunRow``."""

    @property
    def uuid(self) -> UUID: ...
    @property
    def capacity(self) -> int | None: ...
    @property
    def requires_approval(self) -> bool: ...
    @property
    def delivery_mode(self) -> str: ...
    @property
    def modified_at(self) -> datetime: ...
    def availability(self, now: datetime | None = None) -> Availability: ...


class _Identified(Protocol):
    @property
    def uuid(self) -> UUID: ...


class _Subject(Protocol):
    @property
    def code(self) -> str: ...


class CourseFacts(Protocol):
    """What :func:`course_resource` reads: a ``Course``, or the read model's ``CourseRow``."""

    @property
    def uuid(self) -> UUID: ...
    @property
    def institution(self) -> _Identified: ...
    @property
    def code(self) -> str: ...
    @property
    def slug(self) -> str: ...
    @property
    def translations(self) -> Iterable[Any]: ...
    @property
    def original_language(self) -> str: ...
    @property
    def subjects(self) -> Iterable[_Subject]: ...
    @property
    def level(self) -> str: ...
    @property
    def pace(self) -> str: ...
    @property
    def teaching_languages(self) -> list[str]: ...
    @property
    def subtitle_languages(self) -> list[str]: ...
    @property
    def effort_hours(self) -> Decimal | None: ...
    @property
    def length_weeks(self) -> int | None: ...
    @property
    def credential(self) -> str: ...
    @property
    def ects_credits(self) -> Decimal | None: ...
    @property
    def image(self) -> str | None: ...
    @property
    def published_at(self) -> datetime | None: ...
    @property
    def modified_at(self) -> datetime: ...
    @property
    def runs(self) -> Iterable[RunFacts]: ...
    @property
    def recognition(self) -> CourseRecognition | None: ...
    def availability(self, now: datetime | None = None) -> Availability: ...


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def _number(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


def text_map(translations: Iterable[Any], field: str) -> dict[str, str]:
    """``{BCP 47 tag: text}`` for the languages where ``field`` is not empty."""
    return {t.language: getattr(t, field) for t in translations if getattr(t, field)}


class PageLinks:
    """Absolute URLs of the public pages (on ``MOOC_PUBLIC_URL``, never the request's host),
    built once per export (building a URL is slow)."""

    def __init__(self) -> None:
        self.course = self._template("portal.catalog.course_detail")
        self.institution = self._template("portal.institutions.institution_detail")

    @staticmethod
    def _template(endpoint: str) -> str | None:
        return external_url(endpoint, slug=_SLUG)

    @staticmethod
    def fill(template: str | None, slug: str) -> str | None:
        return template.replace(_SLUG, slug) if template else None


def institution_resource(institution: Institution, links: PageLinks) -> dict[str, Any]:
    translations = institution.translations
    return {
        "type": "institution",
        "id": str(institution.uuid),
        "slug": institution.slug,
        "name": text_map(translations, "name"),
        "short_name": text_map(translations, "short_name"),
        "description": text_map(translations, "description"),
        "original_language": institution.original_language,
        "country": institution.country,
        "region": institution.region,
        "website": institution.website,
        "logo": logo_link(institution.logo),
        "url": links.fill(links.institution, institution.slug),
        "modified_at": _iso(institution.modified_at),
    }


def run_resource(run: RunFacts, course_uuid: str) -> dict[str, Any]:
    return {
        "type": "run",
        "id": str(run.uuid),
        "course": course_uuid,
        "start_at": _iso(run.start_at),
        "end_at": _iso(run.end_at),
        "enrollment_start_at": _iso(run.enrollment_start_at),
        "enrollment_end_at": _iso(run.enrollment_end_at),
        "capacity": run.capacity,
        "requires_approval": run.requires_approval,
        "delivery_mode": run.delivery_mode,
        "cancelled": run.cancelled,
        "availability": run.availability().slug,
        "modified_at": _iso(run.modified_at),
    }


def course_resource(course: CourseFacts, links: PageLinks) -> dict[str, Any]:
    translations = course.translations
    course_uuid = str(course.uuid)
    return {
        "type": "course",
        "id": course_uuid,
        "institution": str(course.institution.uuid),
        "code": course.code,
        "slug": course.slug,
        "title": text_map(translations, "title"),
        "summary": text_map(translations, "summary"),
        "description": text_map(translations, "description"),
        "learning_outcomes": text_map(translations, "learning_outcomes"),
        "original_language": course.original_language,
        "subjects": [s.code for s in course.subjects],
        "level": course.level,
        "pace": course.pace,
        "teaching_languages": course.teaching_languages,
        "subtitle_languages": course.subtitle_languages,
        "effort_hours": _number(course.effort_hours),
        "length_weeks": course.length_weeks,
        "credential": course.credential,
        "ects_credits": _number(course.ects_credits),
        "recognition": recognition_resource(course),
        "image": course.image,
        "availability": course.availability().slug,
        "url": links.fill(links.course, course.slug),
        "published_at": _iso(course.published_at),
        "modified_at": _iso(course.modified_at),
        "runs": [run_resource(run, course_uuid) for run in course.runs],
    }


def recognition_resource(course: CourseFacts) -> dict[str, Any] | None:
    """A course's recognition details and audience marks, or None when none were given."""
    recognition = course.recognition
    if recognition is None:
        return None
    return {
        "workload_hours": _number(recognition.workload_hours),
        "eqf_level": recognition.eqf_level,
        "national_framework": recognition.national_framework,
        "assessment": recognition.assessment,
        "identity_check": recognition.identity_check,
        "quality_assurance": recognition.quality_assurance,
        "prerequisites": recognition.prerequisites,
        "stackable": recognition.stackable,
        "audiences": recognition.audiences,
    }


def tombstone(resource_type: str, resource_uuid: str) -> dict[str, Any]:
    return {"type": resource_type, "id": resource_uuid, "deleted": True}
