"""Editing courses, their translations and their runs, on behalf of partner staff.

Every change checks the actor, validates at the field (``InvalidInput(field=...)``), writes the
audit log and re-indexes the course for search. Edits to a published course are live at once.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

from flask_babel import gettext as _
from sqlalchemy import delete, select

from mooc_portal.accounts.models import Account
from mooc_portal.audit.models import AuditEntry
from mooc_portal.audit.services import record_change, snapshot
from mooc_portal.catalog.availability import Availability
from mooc_portal.catalog.models import (
    Course,
    CourseLanguage,
    CourseRun,
    CourseSlugRedirect,
    CourseStatus,
    CourseSubject,
    CourseTranslation,
    LanguageKind,
)
from mooc_portal.catalog.search import index_course
from mooc_portal.db import session, utcnow
from mooc_portal.enrollment import services as enrolment
from mooc_portal.enrollment.models import Enrollment
from mooc_portal.errors import Conflict, InvalidInput, NotFound
from mooc_portal.institutions.models import Institution
from mooc_portal.publishing.permissions import require_course_editor, require_staff
from mooc_portal.publishing.validation import (
    COURSE_FIELDS,
    RUN_FIELDS,
    TRANSLATION_FIELDS,
    CourseData,
    RunData,
    TranslationData,
    check_subjects_known,
    raise_first_error,
    validate_course_data,
    validate_run,
    validate_translation,
)
from mooc_portal.slugs import slugify, unique_slug

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
    raise_first_error(errors + [e for e in text_errors if e[0] != "language"])
    check_subjects_known(clean["subjects"])
    _check_code_free(institution.id, clean["code"], None)
    if clean["slug"]:
        _check_slug_free(clean["slug"], None)
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


def _check_slug_free(slug: str, course: Course | None) -> None:
    """``slug`` is neither another course's address nor one that redirects to another course."""
    taken = session.scalar(select(Course.id).where(Course.slug == slug))
    former = session.scalar(
        select(CourseSlugRedirect.course_id).where(CourseSlugRedirect.slug == slug)
    )
    own = course.id if course is not None else None
    if (taken is not None and taken != own) or (former is not None and former != own):
        raise Conflict(_("This web address is taken."), field="slug")


def change_slug(course: Course, slug: str) -> None:
    """Give a never-published course a new web address; the old one redirects to it."""
    if slug == course.slug:
        return
    if course.published_at is not None:
        raise InvalidInput(
            _("The web address cannot change once the course has been published."),
            field="slug",
        )
    _check_slug_free(slug, course)
    session.execute(
        delete(CourseSlugRedirect).where(
            CourseSlugRedirect.course_id == course.id, CourseSlugRedirect.slug == slug
        )
    )
    session.add(CourseSlugRedirect(slug=course.slug, course_id=course.id))
    course.slug = slug


def update_course(actor: Account | None, course: Course, data: CourseData) -> Course:
    """Change a course's language-independent fields, and its web address (slug) while it has
    never been published: once it has, the address is in shared links and stays."""
    actor = require_course_editor(actor, course)
    clean, errors = validate_course_data(data)
    raise_first_error(errors)
    check_subjects_known(clean["subjects"])
    _check_code_free(course.institution_id, clean["code"], course.id)
    if clean["original_language"] not in {t.language for t in course.translations}:
        raise InvalidInput(
            _("Add a translation in this language before making it the original."),
            field="original_language",
        )
    before = course_snapshot(course)
    if clean["slug"]:
        change_slug(course, clean["slug"])
    apply_course_fields(course, clean)
    _record(
        actor,
        course,
        "update",
        before=before,
        after=course_snapshot(course),
    )
    return course


def set_course_image(
    actor: Account | None, course: Course, filename: str | None, *, alt: str | None = None
) -> None:
    """Show ``filename`` as the course's picture, described by ``alt`` for those who cannot
    see it (empty: the course's title is said)."""
    actor = require_course_editor(actor, course)
    before = {"image": course.image, "image_alt": course.image_alt}
    course.image = filename
    course.image_alt = (alt or "").strip()[:300] or None
    if before["image"] != filename:
        from mooc_portal.publishing.media import delete_image

        delete_image(before["image"])  # the replaced image is no longer served
    _record(
        actor,
        course,
        "update",
        before=before,
        after={"image": filename, "image_alt": course.image_alt},
    )


def save_translation(actor: Account | None, course: Course, data: TranslationData) -> Course:
    """Add the course's text in a language, or replace it."""
    actor = require_course_editor(actor, course)
    clean, errors = validate_translation(data)
    raise_first_error(errors)
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


def restore_translation(actor: Account | None, course: Course, language: str) -> None:
    """Undo :func:`delete_translation` (within a day): the course's text in ``language`` comes
    back from the snapshot its audit entry keeps.

    Raises NotFound when no removal of that language is recent enough, Conflict when the
    course has a text in that language again.
    """
    actor = require_course_editor(actor, course)
    if any(t.language == language for t in course.translations):
        raise Conflict(_("The course already has a text in this language."))
    removals = session.scalars(
        select(AuditEntry)
        .where(
            AuditEntry.entity == "course_translation",
            AuditEntry.entity_id == course.id,
            AuditEntry.action == "delete",
            AuditEntry.at >= utcnow() - timedelta(days=1),
        )
        .order_by(AuditEntry.id.desc())
    )
    before = next(
        (e.before for e in removals if (e.before or {}).get("language") == language), None
    )
    if before is None or not before.get("title"):
        raise NotFound(_("This removal can no longer be undone."))
    restored = {name: before.get(name) for name in TRANSLATION_FIELDS}
    course.translations.append(CourseTranslation(language=language, **restored))
    _record(
        actor,
        course,
        "restore",
        entity="course_translation",
        after={"language": language, **restored},
        summary=f"{course.code} [{language}]",
    )


def get_course_for_staff(actor: Account | None, course_uuid: UUID) -> Course:
    """A course the actor may edit, by its public id; NotFound for anyone else."""
    course = session.scalar(select(Course).where(Course.uuid == course_uuid))
    if course is None:
        raise NotFound(_("No such course."))
    require_course_editor(actor, course)
    return course


# --- runs -------------------------------------------------------------------------------------


def _apply_run(run: CourseRun, data: RunData, *, capacity: bool = True) -> None:
    for name in RunData.__dataclass_fields__:
        if capacity or name != "capacity":
            setattr(run, name, getattr(data, name))


def create_run(actor: Account | None, course: Course, data: RunData) -> CourseRun:
    actor = require_course_editor(actor, course)
    raise_first_error(validate_run(data))
    run = CourseRun(course=course)
    _apply_run(run, data)
    session.add(run)
    session.flush()  # first: the column defaults (not cancelled) belong in the audit entry
    _record_run(actor, "create", run, after=snapshot(run, RUN_FIELDS))
    return run


def update_run(actor: Account | None, run: CourseRun, data: RunData) -> CourseRun:
    """Change a run. A new capacity goes through the enrolment rules (``set_capacity``):
    managers only, never below the seats taken, the waitlist promoted first."""
    actor = require_course_editor(actor, run.course)
    raise_first_error(validate_run(data))
    before = snapshot(run, RUN_FIELDS)
    new_capacity = data.capacity != run.capacity
    _apply_run(run, data, capacity=False)
    if new_capacity:
        # After the other fields (whether the run needs approval decides where a promoted
        # learner goes), flushed first so that locking the run cannot lose them. A refusal
        # leaves the caller to roll back, as every request does on an error.
        session.flush()
        enrolment.set_capacity(run, data.capacity, actor=actor)
    _record_run(
        actor,
        "update",
        run,
        before=before,
        after=snapshot(run, RUN_FIELDS),
    )
    return run


def cancel_run(actor: Account | None, run: CourseRun) -> list[Enrollment]:
    """Cancel a run for good: it stays on record (enrolments refer to it), takes no more
    enrolments, and its pending, enrolled and waitlisted learners are told and offered the
    course's other runs (:func:`~mooc_portal.enrollment.services.end_enrollments_of_cancelled_run`).
    Returns the enrolments that ended. Raises NotPermitted, or Conflict when already cancelled
    or ended (archived).
    """
    actor = require_course_editor(actor, run.course)
    if run.cancelled:
        raise Conflict(_("This run is already cancelled."))
    if run.availability() == Availability.ARCHIVED:
        raise Conflict(_("This run has ended: there is nothing left to cancel."))
    run.cancelled = True
    session.flush()
    ended = enrolment.end_enrollments_of_cancelled_run(run, actor=actor)
    _record_run(
        actor,
        "cancel",
        run,
        before={"cancelled": False},
        after={"cancelled": True, "enrolments_ended": len(ended)},
    )
    return ended


def get_run_for_staff(actor: Account | None, course: Course, run_uuid: UUID | str) -> CourseRun:
    run = next((r for r in course.runs if str(r.uuid) == str(run_uuid)), None)
    if run is None:
        raise NotFound(_("No such run."))
    require_course_editor(actor, course)
    return run
