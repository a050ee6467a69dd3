"""Partner write access: per-institution API tokens and the writes they authorise.

The course and run writes here keep the web forms' rules that the database and the schemas
hold (codes unique per institution, run dates in order, ECTS with credits) and their review
workflow: a course created through the API is a draft, ``submit`` puts it in review, and only
an administrator's review publishes it; edits to a published course are live at once.
When the partner-publishing services (issue 3: create/update course and run, submit for review)
are merged, ``create_course`` / ``update_course`` / ``save_run`` should call them instead.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from mooc_portal.accounts.models import Account, StaffRole
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
from mooc_portal.errors import Conflict, InvalidInput, NotFound, NotPermitted
from mooc_portal.federation.models import ApiToken
from mooc_portal.i18n import parse_language_tag
from mooc_portal.institutions.models import Institution

TOKEN_PREFIX = "mooc_"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _require_manager(actor: Account | None, institution: Institution) -> None:
    if actor is None:
        raise NotPermitted("Log in as a manager of this institution.")
    if not actor.is_admin and actor.role_in(institution.id) != StaffRole.MANAGER:
        raise NotPermitted("Only the institution's managers manage its API tokens.")


def create_api_token(
    actor: Account | None, institution: Institution, name: str
) -> tuple[ApiToken, str]:
    """A new token for ``institution``; returns it with the plain token, shown only this once."""
    _require_manager(actor, institution)
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise InvalidInput("Name the token (up to 100 characters).", field="name")
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        institution_id=institution.id,
        name=name,
        token_hash=_hash(plain),
        prefix=plain[: len(TOKEN_PREFIX) + 6],
        created_by_id=actor.id if actor else None,
    )
    session.add(token)
    session.flush()
    return token, plain


def list_api_tokens(actor: Account | None, institution: Institution) -> list[ApiToken]:
    _require_manager(actor, institution)
    return list(
        session.scalars(
            select(ApiToken)
            .where(ApiToken.institution_id == institution.id)
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def revoke_api_token(actor: Account | None, institution: Institution, token_id: int) -> ApiToken:
    _require_manager(actor, institution)
    token = session.get(ApiToken, token_id)
    if token is None or token.institution_id != institution.id:
        raise NotFound("No such token.")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.flush()
    return token


def authenticate_token(plain: str) -> ApiToken | None:
    """The active token ``plain`` is, of an active institution; None otherwise."""
    if not plain.startswith(TOKEN_PREFIX) or len(plain) > 100:
        return None
    token = session.scalar(
        select(ApiToken)
        .join(Institution, Institution.id == ApiToken.institution_id)
        .where(
            ApiToken.token_hash == _hash(plain),
            ApiToken.revoked_at.is_(None),
            Institution.active.is_(True),
        )
    )
    if token is not None:
        token.last_used_at = utcnow()
    return token


# Writes a token authorises --------------------------------------------------------------


def _own_course(token: ApiToken, course_uuid: uuid.UUID) -> Course:
    course = session.scalar(
        select(Course).where(
            Course.uuid == course_uuid, Course.institution_id == token.institution_id
        )
    )
    if course is None:  # another institution's course is as unknown as a missing one
        raise NotFound("No course of this institution with this id.")
    return course


def _tag(value: str, field: str) -> str:
    try:
        return parse_language_tag(value)
    except ValueError as exc:
        raise InvalidInput(str(exc), field=field) from None


def _apply_course(course: Course, data: dict[str, Any]) -> None:
    simple = ("level", "pace", "length_weeks", "credential", "image")
    for name in simple:
        if name in data:
            setattr(course, name, data[name])
    for name in ("effort_hours", "ects_credits"):
        if name in data:
            value = data[name]
            setattr(
                course,
                name,
                Decimal(str(value)).quantize(Decimal("0.1")) if value is not None else None,
            )
    if "original_language" in data:
        course.original_language = _tag(data["original_language"], "original_language")
    texts = {
        n: data[n] for n in ("title", "summary", "description", "learning_outcomes") if n in data
    }
    if texts:
        existing = {t.language: t for t in course.translations}
        languages = {_tag(tag, "title") for m in texts.values() for tag in m}
        for tag in languages:
            translation = existing.get(tag)
            if translation is None:
                title = texts.get("title", {}).get(tag)
                if not title:
                    raise InvalidInput(f"Give the title in {tag} too.", field="title")
                translation = CourseTranslation(language=tag, title=title)
                course.translations.append(translation)
            for name, values in texts.items():
                if tag in values:
                    if name == "title" and not values[tag]:
                        raise InvalidInput("A title cannot be empty.", field="title")
                    setattr(translation, name, values[tag] or None)
    if not course.translations:
        raise InvalidInput("Give the course a title.", field="title")
    if course.original_language not in {t.language for t in course.translations}:
        raise InvalidInput("Give the title in the original language.", field="original_language")
    for kind, name in (
        (LanguageKind.TEACHING, "teaching_languages"),
        (LanguageKind.SUBTITLE, "subtitle_languages"),
    ):
        if name in data:
            tags = list(dict.fromkeys(_tag(t, name) for t in data[name]))
            course.languages = [lang for lang in course.languages if lang.kind != kind] + [
                CourseLanguage(kind=kind, language=t, position=i) for i, t in enumerate(tags)
            ]
    if "subjects" in data:
        codes = sorted(set(data["subjects"]))
        known = set(session.scalars(select(SubjectArea.code).where(SubjectArea.code.in_(codes))))
        if set(codes) - known:
            raise InvalidInput(
                f"Unknown ISCED-F codes: {', '.join(sorted(set(codes) - known))}.", field="subjects"
            )
        course.subjects = [CourseSubject(code=c) for c in codes]


def _flush(field: str) -> None:
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as error:
        raise Conflict(f"This conflicts with stored data ({field}).", field=field) from error


def create_course(token: ApiToken, data: dict[str, Any]) -> Course:
    """A new draft course of the token's institution (in review when ``submit`` is true)."""
    if session.scalar(
        select(Course.id).where(
            Course.institution_id == token.institution_id, Course.code == data["code"]
        )
    ):
        raise Conflict("The institution already has a course with this code.", field="code")
    if session.scalar(select(Course.id).where(Course.slug == data["slug"])):
        raise Conflict("This slug is taken.", field="slug")
    course = Course(
        institution_id=token.institution_id,
        code=data["code"],
        slug=data["slug"],
        original_language=_tag(data["original_language"], "original_language"),
        status=CourseStatus.IN_REVIEW if data.get("submit") else CourseStatus.DRAFT,
    )
    with session.no_autoflush:
        _apply_course(course, data)
    session.add(course)
    _flush("code")
    _index(course)
    return course


def update_course(token: ApiToken, course_uuid: uuid.UUID, data: dict[str, Any]) -> Course:
    """Change the token's institution's course; a published course changes live at once."""
    course = _own_course(token, course_uuid)
    if course.status == CourseStatus.WITHDRAWN:
        raise Conflict("A withdrawn course is republished after review only.", field="status")
    with session.no_autoflush:
        _apply_course(course, data)
    if data.get("submit") and course.status == CourseStatus.DRAFT:
        course.status = CourseStatus.IN_REVIEW
    _flush("code")
    _index(course)
    return course


def save_run(
    token: ApiToken, course_uuid: uuid.UUID, data: dict[str, Any], run_uuid: uuid.UUID | None = None
) -> CourseRun:
    """Create a run of the token's institution's course, or change one (``run_uuid``)."""
    course = _own_course(token, course_uuid)
    if run_uuid is None:
        run = CourseRun(course=course)
        session.add(run)
    else:
        run = next((r for r in course.runs if r.uuid == run_uuid), None)
        if run is None:
            raise NotFound("No run of this course with this id.")
    for name in (
        "start_at",
        "end_at",
        "enrollment_start_at",
        "enrollment_end_at",
        "capacity",
        "requires_approval",
        "delivery_mode",
        "cancelled",
    ):
        if name in data:
            setattr(run, name, data[name])
    _check_run_dates(run)
    _flush("start_at")
    return run


def _check_run_dates(run: CourseRun) -> None:
    if run.start_at and run.end_at and run.end_at <= run.start_at:
        raise InvalidInput("The run must end after it starts.", field="end_at")
    opens, closes = run.enrollment_start_at, run.enrollment_end_at
    if opens and closes and closes <= opens:
        raise InvalidInput("Enrolment must close after it opens.", field="enrollment_end_at")
    if closes and run.end_at and closes > run.end_at:
        raise InvalidInput("Enrolment must close by the run's end.", field="enrollment_end_at")
    if run.capacity is not None and run.capacity < 0:
        raise InvalidInput("Capacity cannot be negative.", field="capacity")


def run_course(token: ApiToken, run_uuid: uuid.UUID) -> uuid.UUID:
    run = session.scalar(
        select(CourseRun)
        .join(Course)
        .where(CourseRun.uuid == run_uuid, Course.institution_id == token.institution_id)
    )
    if run is None:
        raise NotFound("No run of this institution with this id.")
    return run.course.uuid


def _index(course: Course) -> None:
    from mooc_portal.catalog import search

    search.index_course(course)
