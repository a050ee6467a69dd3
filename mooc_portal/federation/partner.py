"""Partner write access: per-institution API tokens and the writes they authorise.

The writes go through the publishing services, as the web forms do: the same validation
(``InvalidInput`` / ``Conflict`` at the field), review workflow (a new course is a draft,
``submit`` puts it in review, only an administrator's review publishes it; edits to a
published course are live at once), audit log and search indexing. A token acts as a
:class:`TokenActor`: an editor of its own institution and of nothing else.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import select

from mooc_portal.accounts.models import Account, StaffRole
from mooc_portal.catalog.models import Course, CourseRun, CourseStatus
from mooc_portal.db import session, utcnow
from mooc_portal.errors import Conflict, InvalidInput, NotFound, NotPermitted, Unprocessable
from mooc_portal.federation.models import ApiToken
from mooc_portal.i18n import parse_language_tag
from mooc_portal.institutions.models import Institution
from mooc_portal.pagination import Page, PageRequest, paginate
from mooc_portal.publishing import services as publishing
from mooc_portal.publishing import validation, workflow

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


def list_api_tokens(
    actor: Account | None, institution: Institution, page: PageRequest
) -> Page[ApiToken]:
    """One page of the institution's API tokens, newest first (its managers only)."""
    _require_manager(actor, institution)
    return paginate(
        select(ApiToken)
        .where(ApiToken.institution_id == institution.id)
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc()),
        page,
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


class TokenActor:
    """A token as the acting account of the publishing services: an editor of the token's
    institution only. The audit log and review history name the manager who created it."""

    is_admin = False

    def __init__(self, token: ApiToken) -> None:
        self.token = token
        creator = session.get(Account, token.created_by_id) if token.created_by_id else None
        self.id = creator.id if creator else None
        self.email = creator.email if creator else None

    def role_in(self, institution_id: int) -> StaffRole | None:
        return StaffRole.EDITOR if institution_id == self.token.institution_id else None

    def may_act_for(self, institution_id: int, role: StaffRole = StaffRole.EDITOR) -> bool:
        return role == StaffRole.EDITOR and institution_id == self.token.institution_id


def _own_course(token: ApiToken, course_uuid: uuid.UUID) -> Course:
    course = session.scalar(
        select(Course).where(
            Course.uuid == course_uuid, Course.institution_id == token.institution_id
        )
    )
    if course is None:  # another institution's course is as unknown as a missing one
        raise NotFound("No course of this institution with this id.")
    return course


@contextmanager
def _rules() -> Iterator[None]:
    """The publishing rules, checked after the schema: their refusals are 422, not 400."""
    try:
        yield
    except InvalidInput as error:
        if type(error) is not InvalidInput:
            raise
        raise Unprocessable(error.message, field=error.field) from None


def _texts(data: dict[str, Any]) -> dict[str, dict[str, str]]:
    """``{language: {field: text}}`` from the API's per-language maps."""
    texts: dict[str, dict[str, str]] = {}
    for name in validation.TRANSLATION_FIELDS:
        for tag, text in (data.get(name) or {}).items():
            try:
                language = parse_language_tag(tag)
            except ValueError as exc:
                raise InvalidInput(str(exc), field=name) from None
            texts.setdefault(language, {})[name] = text
    return texts


def _course_data(data: dict[str, Any], course: Course | None = None) -> validation.CourseData:
    """The publishing form of a course: the stored values (if any) with what ``data`` sends."""
    values: dict[str, Any] = validation.course_data(course).__dict__ if course else {}
    values.update(
        {k: v for k, v in data.items() if k in validation.CourseData.__dataclass_fields__}
    )
    for name in ("effort_hours", "ects_credits"):
        if isinstance(values.get(name), float):
            values[name] = str(values[name])
    return validation.CourseData(**values)


def _translation(language: str, text: dict[str, str], course: Course | None = None) -> Any:
    stored = (
        next((t for t in course.translations if t.language == language), None) if course else None
    )
    values = (
        {name: getattr(stored, name) for name in validation.TRANSLATION_FIELDS} if stored else {}
    )
    values.update(text)
    if not values.get("title"):
        raise Unprocessable(
            f"The course has no title in {language} yet: send title.{language} as well.",
            field="title",
        )
    return validation.TranslationData(language=language, **values)


def _save_texts(actor: Any, course: Course, texts: dict[str, dict[str, str]]) -> None:
    for language, text in texts.items():
        publishing.save_translation(actor, course, _translation(language, text, course))


def _image_and_submit(actor: Any, course: Course, data: dict[str, Any]) -> None:
    if "image" in data and data["image"] != course.image:
        publishing.set_course_image(actor, course, data["image"])
    if data.get("submit") and course.status == CourseStatus.DRAFT:
        workflow.transition_course(actor, course, "submit")


def create_course(token: ApiToken, data: dict[str, Any]) -> Course:
    """A new draft course of the token's institution (in review when ``submit`` is true)."""
    actor: Any = TokenActor(token)
    course_data = _course_data(data)
    texts = _texts(data)
    original = parse_language_tag(course_data.original_language)
    if "title" not in texts.get(original, {}):
        raise Unprocessable(
            f"Give the title in the original language too: title.{original}.", field="title"
        )
    institution = session.get_one(Institution, token.institution_id)
    with _rules():
        course = publishing.create_course(
            actor, institution, course_data, _translation(original, texts.pop(original))
        )
        _save_texts(actor, course, texts)
        _image_and_submit(actor, course, data)
    return course


def update_course(token: ApiToken, course_uuid: uuid.UUID, data: dict[str, Any]) -> Course:
    """Change the token's institution's course; a published course changes live at once."""
    actor: Any = TokenActor(token)
    course = _own_course(token, course_uuid)
    texts = _texts(data)
    with _rules():
        _save_texts(actor, course, texts)  # first: the original language may be a new one
        if set(data) & set(validation.CourseData.__dataclass_fields__):
            publishing.update_course(actor, course, _course_data(data, course))
        _image_and_submit(actor, course, data)
    return course


def save_run(
    token: ApiToken, course_uuid: uuid.UUID, data: dict[str, Any], run_uuid: uuid.UUID | None = None
) -> CourseRun:
    """Create a run of the token's institution's course, or change one (``run_uuid``)."""
    actor: Any = TokenActor(token)
    course = _own_course(token, course_uuid)
    run = None
    if run_uuid is not None:
        run = next((r for r in course.runs if r.uuid == run_uuid), None)
        if run is None:
            raise NotFound("No run of this course with this id.")
    values: dict[str, Any] = validation.run_data(run).__dict__ if run else {}
    values.update({k: v for k, v in data.items() if k in validation.RunData.__dataclass_fields__})
    run_data = validation.RunData(**values)
    with _rules():
        if run is None:
            run = publishing.create_run(actor, course, run_data)
        elif set(data) & set(validation.RunData.__dataclass_fields__):
            run = publishing.update_run(actor, run, run_data)
    if "cancelled" in data and data["cancelled"] != run.cancelled:
        if not data["cancelled"]:
            raise Conflict("A cancelled run stays cancelled.", field="cancelled")
        publishing.cancel_run(actor, run)
    return run


def run_course(token: ApiToken, run_uuid: uuid.UUID) -> uuid.UUID:
    run = session.scalar(
        select(CourseRun)
        .join(Course)
        .where(CourseRun.uuid == run_uuid, Course.institution_id == token.institution_id)
    )
    if run is None:
        raise NotFound("No run of this institution with this id.")
    return run.course.uuid
