"""What partner staff send for a course, a translation or a run, and its validation at the field.

Shared by the web forms, the partner API and bulk import, so each rule is written once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from mooc_portal.catalog.models import (
    Course,
    CourseRun,
    Credential,
    DeliveryMode,
    Level,
    Pace,
    SubjectArea,
)
from mooc_portal.db import session
from mooc_portal.errors import InvalidInput
from mooc_portal.i18n import parse_language_tag
from mooc_portal.reference import ISCED_F
from mooc_portal.slugs import slugify

COURSE_FIELDS = (
    "code",
    "slug",
    "original_language",
    "level",
    "pace",
    "effort_hours",
    "length_weeks",
    "credential",
    "ects_credits",
    "accessibility_statement",
    "image",
)
TRANSLATION_FIELDS = ("title", "summary", "description", "learning_outcomes")
RUN_FIELDS = (
    "start_at",
    "end_at",
    "enrollment_start_at",
    "enrollment_end_at",
    "capacity",
    "requires_approval",
    "delivery_mode",
    "cancelled",
)

FieldErrors = list[tuple[str, str]]
MAX_CAPACITY = 10_000_000
# The longest text each field takes, whoever sends it: the web forms, the partner API and bulk
# import (the forms show the same limits through ``Length``).
TEXT_LIMITS = {
    "code": 50,
    "title": 200,
    "summary": 2000,
    "description": 20000,
    "learning_outcomes": 10000,
    "accessibility_statement": 5000,
}
MAX_LANGUAGES = 30  # teaching or subtitle languages of one course
MAX_SUBJECTS = 20


@dataclass
class CourseData:
    """The language-independent fields of a course, as a partner enters them."""

    code: str
    original_language: str
    level: str = Level.INTRODUCTORY
    pace: str = Pace.INSTRUCTOR_LED
    effort_hours: Decimal | str | None = None
    length_weeks: int | str | None = None
    credential: str = Credential.NONE
    ects_credits: Decimal | str | None = None
    teaching_languages: list[str] = field(default_factory=list)
    subtitle_languages: list[str] = field(default_factory=list)
    subjects: list[str] = field(default_factory=list)
    accessibility_statement: str | None = None
    slug: str | None = None


@dataclass
class TranslationData:
    """A course's texts in one language."""

    language: str
    title: str | None
    summary: str | None = None
    description: str | None = None
    learning_outcomes: str | None = None


@dataclass
class RunData:
    start_at: datetime | None = None
    end_at: datetime | None = None
    enrollment_start_at: datetime | None = None
    enrollment_end_at: datetime | None = None
    capacity: int | None = None
    requires_approval: bool = False
    delivery_mode: str = DeliveryMode.ONLINE


def course_data(course: Course) -> CourseData:
    """The stored course as ``CourseData`` (for a partial change: overlay what is sent)."""
    return CourseData(
        code=course.code,
        original_language=course.original_language,
        level=course.level,
        pace=course.pace,
        effort_hours=course.effort_hours,
        length_weeks=course.length_weeks,
        credential=course.credential,
        ects_credits=course.ects_credits,
        teaching_languages=list(course.teaching_languages),
        subtitle_languages=list(course.subtitle_languages),
        subjects=[s.code for s in course.subjects],
        accessibility_statement=course.accessibility_statement,
        slug=course.slug,
    )


def run_data(run: CourseRun) -> RunData:
    """The stored run as ``RunData`` (for a partial change: overlay what is sent)."""
    return RunData(**{name: getattr(run, name) for name in RunData.__dataclass_fields__})


# --- validation -------------------------------------------------------------------------------


def _text(value: str | None, field_name: str, errors: FieldErrors) -> str | None:
    """``value`` stripped (None when empty); an error when it is longer than the field's limit
    or holds a NUL character (which no PostgreSQL text can store)."""
    text = (value or "").strip()
    limit = TEXT_LIMITS[field_name]
    if len(text) > limit:
        errors.append(
            (
                field_name,
                _("Enter at most %(n)d characters (this has %(m)d).", n=limit, m=len(text)),
            )
        )
    elif "\x00" in text:
        errors.append((field_name, _("Remove the NUL character from this text.")))
    return text or None


def _languages(tags: list[str], field_name: str, errors: FieldErrors) -> list[str]:
    result: list[str] = []
    if len(tags) > MAX_LANGUAGES:
        errors.append((field_name, _("Give at most %(n)d languages.", n=MAX_LANGUAGES)))
        return result
    for tag in tags:
        if not (tag or "").strip():
            continue
        try:
            normal = parse_language_tag(tag)
        except ValueError:
            errors.append((field_name, _("“%(tag)s” is not a language tag.", tag=tag)))
            continue
        if normal not in result:
            result.append(normal)
    return result


def _decimal(value: Any, field_name: str, errors: FieldErrors, limit: Decimal) -> Decimal | None:
    if value is None or str(value).strip() == "":
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        errors.append((field_name, _("Enter a number.")))
        return None
    if not number.is_finite() or number <= 0 or number >= limit:
        errors.append((field_name, _("Enter a number greater than 0 and below %(n)s.", n=limit)))
        return None
    number = number.quantize(Decimal("0.1"))
    if number <= 0 or number >= limit:
        errors.append((field_name, _("Enter a number greater than 0 and below %(n)s.", n=limit)))
        return None
    return number


def _integer(value: Any, field_name: str, errors: FieldErrors, *, minimum: int) -> int | None:
    if value is None or str(value).strip() == "":
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        errors.append((field_name, _("Enter a whole number.")))
        return None
    if number < minimum or number > 1_000_000:
        errors.append((field_name, _("Enter a whole number of at least %(n)d.", n=minimum)))
        return None
    return number


def validate_course_data(data: CourseData) -> tuple[dict[str, Any], FieldErrors]:
    """Clean the fields of ``data``; returns the clean values and every (field, message) error."""
    errors: FieldErrors = []
    clean: dict[str, Any] = {}
    code = (data.code or "").strip()
    if not code or len(code) > TEXT_LIMITS["code"] or "\x00" in code:
        errors.append(("code", _("Enter a course code of at most 50 characters.")))
    clean["code"] = code
    try:
        clean["original_language"] = parse_language_tag(data.original_language)
    except ValueError:
        errors.append(("original_language", _("Choose a valid language tag, such as en or ko.")))
    for name, enum in (("level", Level), ("pace", Pace), ("credential", Credential)):
        value = getattr(data, name)
        if value not in {m.value for m in enum}:
            errors.append((name, _("Choose one of the listed values.")))
        clean[name] = value
    clean["effort_hours"] = _decimal(data.effort_hours, "effort_hours", errors, Decimal(1000))
    clean["length_weeks"] = _integer(data.length_weeks, "length_weeks", errors, minimum=1)
    ects = _decimal(data.ects_credits, "ects_credits", errors, Decimal(1000))
    if data.credential == Credential.ECTS and ects is None:
        if not any(f == "ects_credits" for f, _m in errors):
            errors.append(("ects_credits", _("Give the number of ECTS credits.")))
    elif data.credential != Credential.ECTS and ects is not None:
        errors.append(("ects_credits", _("ECTS credits need the ECTS credential.")))
    clean["ects_credits"] = ects if data.credential == Credential.ECTS else None
    clean["teaching_languages"] = _languages(data.teaching_languages, "teaching_languages", errors)
    clean["subtitle_languages"] = _languages(data.subtitle_languages, "subtitle_languages", errors)
    subjects: list[str] = []
    if len(data.subjects) > MAX_SUBJECTS:
        errors.append(("subjects", _("Give at most %(n)d subjects.", n=MAX_SUBJECTS)))
    for code_ in data.subjects[:MAX_SUBJECTS]:
        code_ = (code_ or "").strip()
        if not code_:
            continue
        if code_ not in ISCED_F:
            errors.append(("subjects", _("“%(code)s” is not an ISCED-F 2013 code.", code=code_)))
        elif code_ not in subjects:
            subjects.append(code_)
    clean["subjects"] = sorted(subjects)
    clean["accessibility_statement"] = _text(
        data.accessibility_statement, "accessibility_statement", errors
    )
    slug = slugify(data.slug or "") if data.slug else None
    if data.slug and not slug:
        errors.append(("slug", _("Use letters, digits and hyphens.")))
    clean["slug"] = slug
    return clean, errors


def validate_translation(data: TranslationData) -> tuple[dict[str, Any], FieldErrors]:
    errors: FieldErrors = []
    clean: dict[str, Any] = {}
    try:
        clean["language"] = parse_language_tag(data.language)
    except ValueError:
        errors.append(("language", _("Choose a valid language tag, such as en or ko.")))
    title = (data.title or "").strip()
    if not title:
        errors.append(("title", _("Enter a title.")))
    elif len(title) > TEXT_LIMITS["title"] or "\x00" in title:
        errors.append(("title", _("Enter a title of at most 200 characters.")))
    clean["title"] = title
    for name in ("summary", "description", "learning_outcomes"):
        clean[name] = _text(getattr(data, name), name, errors)
    return clean, errors


# Dates outside these years are typing mistakes (1900, 20266), not courses.
EARLIEST_YEAR, LATEST_YEAR = 2000, 2100


def validate_run(data: RunData) -> FieldErrors:
    """The date rules of a run, each reported at the field it concerns."""
    errors: FieldErrors = []
    if data.start_at and data.end_at and data.end_at <= data.start_at:
        errors.append(("end_at", _("The run must end after it starts.")))
    start, end = data.enrollment_start_at, data.enrollment_end_at
    if start and end and end <= start:
        errors.append(("enrollment_end_at", _("Enrolment must close after it opens.")))
    if data.enrollment_end_at and data.end_at and data.enrollment_end_at > data.end_at:
        errors.append(("enrollment_end_at", _("Enrolment must close before the run ends.")))
    if start and data.end_at and start >= data.end_at:
        errors.append(("enrollment_start_at", _("Enrolment must open before the run ends.")))
    for name in ("start_at", "end_at", "enrollment_start_at", "enrollment_end_at"):
        value = getattr(data, name)
        if value is not None and not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
            errors.append(
                (name, _("Enter a date between %(a)d and %(b)d.", a=EARLIEST_YEAR, b=LATEST_YEAR))
            )
    if data.capacity is not None and data.capacity < 0:
        errors.append(("capacity", _("Capacity cannot be negative.")))
    elif data.capacity is not None and data.capacity > MAX_CAPACITY:
        errors.append(("capacity", _("Capacity is at most %(n)d.", n=MAX_CAPACITY)))
    if data.delivery_mode not in {m.value for m in DeliveryMode}:
        errors.append(("delivery_mode", _("Choose one of the listed values.")))
    return errors


def raise_first_error(errors: FieldErrors) -> None:
    if errors:
        field_name, message = errors[0]
        raise InvalidInput(message, field=field_name)


def check_subjects_known(codes: list[str]) -> None:
    """Every code is in the ``mooc_subject_area`` table (the reference the catalog facets use)."""
    if not codes:
        return
    known = set(session.scalars(select(SubjectArea.code).where(SubjectArea.code.in_(codes))))
    for code in codes:
        if code not in known:
            raise InvalidInput(
                _("“%(code)s” is not an ISCED-F 2013 code.", code=code), field="subjects"
            )
