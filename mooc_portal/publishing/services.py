"""Editing courses, their translations and their runs, on behalf of partner staff.

Every change checks the actor, validates at the field (``InvalidInput(field=...)``), writes the
audit log and re-indexes the course for search. Edits to a published course are live at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from mooc_portal.accounts.models import Account
from mooc_portal.audit.services import record_change, snapshot
from mooc_portal.catalog.models import (
    Course,
    CourseLanguage,
    CourseRun,
    CourseStatus,
    CourseSubject,
    CourseTranslation,
    Credential,
    DeliveryMode,
    LanguageKind,
    Level,
    Pace,
    SubjectArea,
)
from mooc_portal.catalog.search import index_course
from mooc_portal.db import session
from mooc_portal.errors import Conflict, InvalidInput, NotFound
from mooc_portal.i18n import parse_language_tag
from mooc_portal.institutions.models import Institution
from mooc_portal.publishing.permissions import require_course_editor, require_staff
from mooc_portal.reference import ISCED_F
from mooc_portal.slugs import slugify, unique_slug

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
    title: str
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


def _languages(tags: list[str], field_name: str, errors: FieldErrors) -> list[str]:
    result: list[str] = []
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
    if not code or len(code) > 50:
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
    for code_ in data.subjects:
        code_ = (code_ or "").strip()
        if not code_:
            continue
        if code_ not in ISCED_F:
            errors.append(("subjects", _("“%(code)s” is not an ISCED-F 2013 code.", code=code_)))
        elif code_ not in subjects:
            subjects.append(code_)
    clean["subjects"] = sorted(subjects)
    clean["accessibility_statement"] = (data.accessibility_statement or "").strip() or None
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
    if not title or len(title) > 200:
        errors.append(("title", _("Enter a title of at most 200 characters.")))
    clean["title"] = title
    for name in ("summary", "description", "learning_outcomes"):
        clean[name] = (getattr(data, name) or "").strip() or None
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


def _raise_first(errors: FieldErrors) -> None:
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


# --- courses ----------------------------------------------------------------------------------


def _record(
    actor: Account,
    course: Course,
    action: str,
    *,
    entity: str = "course",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    summary: str | None = None,
) -> None:
    """Flush, write the audit entry of a change to the course (or its ``entity``: a
    translation), and re-index the course for search."""
    session.flush()
    record_change(
        actor,
        action,
        entity,
        course.id,
        before=before,
        after=after,
        institution_id=course.institution_id,
        summary=course.code if summary is None else summary,
    )
    index_course(course)


def _record_run(
    actor: Account,
    action: str,
    run: CourseRun,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Flush, write the audit entry of a change to a run, and re-index its course."""
    session.flush()
    record_change(
        actor,
        action,
        "run",
        run.id,
        before=before,
        after=after,
        institution_id=run.course.institution_id,
        summary=f"{run.course.code}: {run.uuid}",
    )
    index_course(run.course)


def course_snapshot(course: Course) -> dict[str, Any]:
    data = snapshot(course, (*COURSE_FIELDS, "status"))
    data["teaching_languages"] = course.teaching_languages
    data["subtitle_languages"] = course.subtitle_languages
    data["subjects"] = [s.code for s in course.subjects]
    return data


def apply_course_fields(course: Course, clean: dict[str, Any]) -> None:
    """Set validated values (from ``validate_course_data``) on a course, languages and subjects."""
    for name in (
        "code",
        "original_language",
        "level",
        "pace",
        "effort_hours",
        "length_weeks",
        "credential",
        "ects_credits",
        "accessibility_statement",
    ):
        setattr(course, name, clean[name])
    wanted = [(LanguageKind.TEACHING, tag) for tag in clean["teaching_languages"]] + [
        (LanguageKind.SUBTITLE, tag) for tag in clean["subtitle_languages"]
    ]
    current = {(lang.kind, lang.language): lang for lang in course.languages}
    course.languages[:] = [
        current.get(key) or CourseLanguage(kind=key[0], language=key[1]) for key in wanted
    ]
    positions: dict[str, int] = {}
    for lang in course.languages:
        lang.position = positions.get(lang.kind, 0)
        positions[lang.kind] = lang.position + 1
    existing = {s.code: s for s in course.subjects}
    course.subjects[:] = [existing.get(c) or CourseSubject(code=c) for c in clean["subjects"]]


def _check_code_free(institution_id: int, code: str, course_id: int | None) -> None:
    other = session.scalar(
        select(Course.id).where(Course.institution_id == institution_id, Course.code == code)
    )
    if other is not None and other != course_id:
        raise Conflict(_("Another course of this institution has this code."), field="code")


def create_course(
    actor: Account | None,
    institution: Institution,
    data: CourseData,
    translation: TranslationData,
) -> Course:
    """A new draft course with its text in its original language."""
    actor = require_staff(actor, institution)
    clean, errors = validate_course_data(data)
    clean_text, text_errors = validate_translation(translation)
    _raise_first(errors + [e for e in text_errors if e[0] != "language"])
    check_subjects_known(clean["subjects"])
    _check_code_free(institution.id, clean["code"], None)
    if clean["slug"] and session.scalar(select(Course.id).where(Course.slug == clean["slug"])):
        raise Conflict(_("This web address is taken."), field="slug")
    course = Course(
        institution=institution,
        status=CourseStatus.DRAFT,
        slug=clean["slug"]
        or unique_slug(Course, slugify(clean_text["title"]), limit=120, fallback="course"),
    )
    apply_course_fields(course, clean)
    clean_text["language"] = course.original_language
    course.translations.append(CourseTranslation(**clean_text))
    session.add(course)
    _record(
        actor,
        course,
        "create",
        after={**course_snapshot(course), "title": clean_text["title"]},
        summary=f"{course.code}: {clean_text['title']}",
    )
    return course


def update_course(actor: Account | None, course: Course, data: CourseData) -> Course:
    """Change a course's language-independent fields (slug stays: it is in shared links)."""
    actor = require_course_editor(actor, course)
    clean, errors = validate_course_data(data)
    _raise_first(errors)
    check_subjects_known(clean["subjects"])
    _check_code_free(course.institution_id, clean["code"], course.id)
    if clean["original_language"] not in {t.language for t in course.translations}:
        raise InvalidInput(
            _("Add a translation in this language before making it the original."),
            field="original_language",
        )
    before = course_snapshot(course)
    apply_course_fields(course, clean)
    _record(
        actor,
        course,
        "update",
        before=before,
        after=course_snapshot(course),
    )
    return course


def set_course_image(actor: Account | None, course: Course, filename: str | None) -> None:
    actor = require_course_editor(actor, course)
    before = {"image": course.image}
    course.image = filename
    if before["image"] != filename:
        from mooc_portal.publishing.media import delete_image

        delete_image(before["image"])  # the replaced image is no longer served
    _record(
        actor,
        course,
        "update",
        before=before,
        after={"image": filename},
    )


def save_translation(actor: Account | None, course: Course, data: TranslationData) -> Course:
    """Add the course's text in a language, or replace it."""
    actor = require_course_editor(actor, course)
    clean, errors = validate_translation(data)
    _raise_first(errors)
    translation = next((t for t in course.translations if t.language == clean["language"]), None)
    before = snapshot(translation, TRANSLATION_FIELDS) if translation else None
    if translation is None:
        translation = CourseTranslation(**clean)
        course.translations.append(translation)
    else:
        for name in TRANSLATION_FIELDS:
            setattr(translation, name, clean[name])
    _record(
        actor,
        course,
        "update" if before else "create",
        entity="course_translation",
        before=before,
        after={"language": clean["language"], **snapshot(translation, TRANSLATION_FIELDS)}
        if before is None
        else snapshot(translation, TRANSLATION_FIELDS),
        summary=f"{course.code} [{clean['language']}]",
    )
    return course


def delete_translation(actor: Account | None, course: Course, language: str) -> None:
    actor = require_course_editor(actor, course)
    translation = next((t for t in course.translations if t.language == language), None)
    if translation is None:
        raise NotFound(_("This course has no text in that language."))
    if language == course.original_language:
        raise InvalidInput(_("The original language's text cannot be removed."), field="language")
    before = {"language": language, **snapshot(translation, TRANSLATION_FIELDS)}
    course.translations.remove(translation)
    _record(
        actor,
        course,
        "delete",
        entity="course_translation",
        before=before,
        summary=f"{course.code} [{language}]",
    )


def get_course_for_staff(actor: Account | None, course_uuid: str) -> Course:
    """A course the actor may edit, by its public id; NotFound for anyone else."""
    import uuid

    try:
        key = uuid.UUID(str(course_uuid))
    except ValueError as exc:
        raise NotFound(_("No such course.")) from exc
    course = session.scalar(select(Course).where(Course.uuid == key))
    if course is None:
        raise NotFound(_("No such course."))
    require_course_editor(actor, course)
    return course


# --- runs -------------------------------------------------------------------------------------


def _apply_run(run: CourseRun, data: RunData) -> None:
    for name in RunData.__dataclass_fields__:
        setattr(run, name, getattr(data, name))


def create_run(actor: Account | None, course: Course, data: RunData) -> CourseRun:
    actor = require_course_editor(actor, course)
    _raise_first(validate_run(data))
    run = CourseRun(course=course)
    _apply_run(run, data)
    session.add(run)
    session.flush()  # first: the column defaults (not cancelled) belong in the audit entry
    _record_run(actor, "create", run, after=snapshot(run, RUN_FIELDS))
    return run


def update_run(actor: Account | None, run: CourseRun, data: RunData) -> CourseRun:
    actor = require_course_editor(actor, run.course)
    _raise_first(validate_run(data))
    before = snapshot(run, RUN_FIELDS)
    _apply_run(run, data)
    _record_run(
        actor,
        "update",
        run,
        before=before,
        after=snapshot(run, RUN_FIELDS),
    )
    return run


def cancel_run(actor: Account | None, run: CourseRun) -> CourseRun:
    """Mark a run cancelled; it stays on record (enrolments refer to it)."""
    actor = require_course_editor(actor, run.course)
    if run.cancelled:
        raise Conflict(_("This run is already cancelled."))
    run.cancelled = True
    _record_run(
        actor,
        "cancel",
        run,
        before={"cancelled": False},
        after={"cancelled": True},
    )
    return run


def get_run_for_staff(actor: Account | None, course: Course, run_uuid: str) -> CourseRun:
    run = next((r for r in course.runs if str(r.uuid) == str(run_uuid)), None)
    if run is None:
        raise NotFound(_("No such run."))
    require_course_editor(actor, course)
    return run


def institution_courses(institution: Institution) -> list[Course]:
    return list(
        session.scalars(
            select(Course).where(Course.institution_id == institution.id).order_by(Course.code)
        )
    )
