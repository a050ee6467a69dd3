"""Editing a course's outline (modules and lessons, each in order) and rendering lesson content.

Lesson content is Markdown, shown as HTML that ``nh3`` has sanitised: no script, no event
handlers, no ``javascript:`` links, whatever the author typed. Links open with
``rel="noopener noreferrer"``. Images show only from the portal's own media (an image from
another site would tell it who reads the lesson, and when): any other source is dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

import markdown
import nh3
from flask import current_app
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import delete, select, update

from mooc_portal.accounts.models import Account
from mooc_portal.audit.services import record_change, snapshot
from mooc_portal.catalog.models import Course
from mooc_portal.catalog.outline import (
    Lesson,
    LessonKind,
    LessonTranslation,
    Module,
    ModuleTranslation,
    course_modules,
)
from mooc_portal.db import session, utcnow
from mooc_portal.enrollment.models import Enrollment
from mooc_portal.errors import InvalidInput, NotFound
from mooc_portal.progress.models import LessonCompletion, LessonVisit
from mooc_portal.publishing.models import OutlineRemoval
from mooc_portal.publishing.permissions import require_course_editor
from mooc_portal.video import NotAVideo, parse_video, peertube_hosts

LESSON_FIELDS = (
    "title",
    "kind",
    "minutes",
    "counts_toward_completion",
    "content",
    "external_url",
    "video_url",
    "transcript",
    "position",
)


_MEDIA_NAME = re.compile(r"[A-Za-z0-9_-]+\.[a-z]{3,4}")


@dataclass(frozen=True)
class OwnMedia:
    """Where the portal serves its media: the path (``/partner/media/``) and the host name a
    page is served from (its images may also be written as ``https://<host><path>...``)."""

    prefix: str
    host: str


def own_media_image(src: str, media: OwnMedia | None) -> bool:
    """Whether ``src`` is one of the portal's own media files: a path under ``media.prefix``,
    or the same on ``media.host`` over https. Nothing else may be an image in authored
    content; with no ``media`` (outside a request), nothing is."""
    if media is None:
        return False
    parts = urlsplit(src)
    elsewhere = bool(parts.scheme or parts.netloc) and (
        parts.scheme != "https" or parts.netloc != media.host
    )
    if elsewhere or parts.query or parts.fragment:
        return False
    prefix = media.prefix
    return parts.path.startswith(prefix) and bool(_MEDIA_NAME.fullmatch(parts.path[len(prefix) :]))


def render_markdown(text: str | None, media: OwnMedia | None = None) -> Markup:
    """Markdown to HTML safe to put in a page (see the module's docstring for what is kept);
    images only from ``media`` (the ``mooc_markdown`` filter gives the request's)."""
    if not text:
        return Markup("")
    # Headings start at <h3>: the page has its title (h1) and the lesson's own heading (h2).
    html = markdown.markdown(
        text,
        extensions=["extra", "sane_lists", "toc"],
        extension_configs={"toc": {"baselevel": 3}},
        output_format="html",
    )

    def keep(tag: str, attribute: str, value: str) -> str | None:
        if tag == "img" and attribute == "src" and not own_media_image(value, media):
            return None
        return value

    return Markup(
        nh3.clean(
            html,
            url_schemes={"http", "https", "mailto"},
            attribute_filter=keep,
            link_rel="noopener noreferrer",
        )
    )


@dataclass
class LessonData:
    title: str
    kind: str = LessonKind.READING
    minutes: int | None = None
    counts_toward_completion: bool = True
    content: str | None = None
    external_url: str | None = None
    video_url: str | None = None
    transcript: str | None = None


def validate_lesson(data: LessonData) -> dict[str, Any]:
    title = _clean_title(data.title)
    if data.kind not in {k.value for k in LessonKind}:
        raise InvalidInput(_("Choose one of the listed kinds."), field="kind")
    if data.minutes is not None and not 0 <= data.minutes <= 100_000:
        raise InvalidInput(_("Minutes cannot be negative."), field="minutes")
    url = (data.external_url or "").strip() or None
    if url is not None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > 500:
            raise InvalidInput(
                _("Enter a web address starting with https://."), field="external_url"
            )
    if data.kind == LessonKind.EXTERNAL and url is None:
        raise InvalidInput(_("An external activity needs its web address."), field="external_url")
    video_url = (data.video_url or "").strip() or None
    if video_url is not None:
        instances = current_app.config["MOOC_PEERTUBE_INSTANCES"]
        try:
            parse_video(video_url, instances)
        except NotAVideo:
            hosts = ", ".join(sorted(peertube_hosts(instances)))
            raise InvalidInput(
                _(
                    "Enter the address of a video on YouTube, Vimeo or one of these PeerTube "
                    "sites: %(sites)s (for example https://www.youtube.com/watch?v=...).",
                    sites=hosts,
                )
                if hosts
                else _(
                    "Enter the address of a video on YouTube or Vimeo "
                    "(for example https://www.youtube.com/watch?v=...)."
                ),
                field="video_url",
            ) from None
        if len(video_url) > 500:
            raise InvalidInput(_("The address is longer than 500 characters."), field="video_url")
    transcript = (data.transcript or "").strip() or None
    if transcript is not None and video_url is None:
        raise InvalidInput(_("A transcript goes with a video: add its address."), field="video_url")
    return {
        "title": title,
        "kind": data.kind,
        "minutes": data.minutes,
        "counts_toward_completion": bool(data.counts_toward_completion),
        "content": (data.content or "").strip() or None,
        "external_url": url,
        "video_url": video_url,
        "transcript": transcript,
    }


def _clean_title(title: str | None) -> str:
    title = (title or "").strip()
    if not title:
        raise InvalidInput(_("Enter a title."), field="title")
    if len(title) > 200:
        raise InvalidInput(_("Enter a title of at most 200 characters."), field="title")
    return title


def _renumber(items: list[Any]) -> None:
    for position, item in enumerate(items):
        item.position = position


def _move(
    actor: Account, entity: str, items: list[Any], item: Any, offset: int, course: Course
) -> bool:
    """Move ``item`` by ``offset`` places among ``items`` (its siblings, in order), renumber
    them and audit the move; False, changing nothing, when it is already at that end."""
    index = items.index(item)
    target = max(0, min(len(items) - 1, index + offset))
    if target == index:
        return False
    items.insert(target, items.pop(index))
    _renumber(items)
    session.flush()
    _audit(
        actor, "move", entity, item, course, before={"position": index}, after={"position": target}
    )
    return True


def _audit(actor: Account, action: str, entity: str, obj: Any, course: Course, **kw: Any) -> None:
    record_change(
        actor,
        action,
        entity,
        obj.id,
        institution_id=course.institution_id,
        summary=f"{course.code}: {obj.title}",
        **kw,
    )


def add_module(actor: Account | None, course: Course, title: str) -> Module:
    actor = require_course_editor(actor, course)
    title = _clean_title(title)
    module = Module(course=course, title=title, position=len(course_modules(course)))
    session.add(module)
    session.flush()
    _audit(actor, "create", "module", module, course, after={"title": title})
    return module


def rename_module(actor: Account | None, module: Module, title: str) -> Module:
    actor = require_course_editor(actor, module.course)
    title = _clean_title(title)
    before = {"title": module.title}
    module.title = title
    session.flush()
    _audit(actor, "update", "module", module, module.course, before=before, after={"title": title})
    return module


def move_module(actor: Account | None, module: Module, offset: int) -> None:
    """Move a module up (-1) or down (+1) in its course."""
    actor = require_course_editor(actor, module.course)
    _move(actor, "module", course_modules(module.course), module, offset, module.course)


def remove_module(actor: Account | None, module: Module) -> OutlineRemoval:
    """Remove the module with its lessons; the returned removal can undo it
    (:func:`undo_removal`)."""
    course = module.course
    actor = require_course_editor(actor, course)
    before = {"title": module.title, "lessons": [lesson.title for lesson in module.lessons]}
    removal = _keep_for_undo(course, "module", module.title, _module_snapshot(module))
    modules = course_modules(course)
    modules.remove(module)
    _audit(actor, "delete", "module", module, course, before=before)
    session.delete(module)
    _renumber(modules)
    session.flush()
    return removal


def add_lesson(actor: Account | None, module: Module, data: LessonData) -> Lesson:
    actor = require_course_editor(actor, module.course)
    clean = validate_lesson(data)
    lesson = Lesson(**clean, position=len(module.lessons))
    module.lessons.append(lesson)
    session.flush()
    _audit(actor, "create", "lesson", lesson, module.course, after=snapshot(lesson, LESSON_FIELDS))
    return lesson


def update_lesson(actor: Account | None, lesson: Lesson, data: LessonData) -> Lesson:
    course = lesson.module.course
    actor = require_course_editor(actor, course)
    clean = validate_lesson(data)
    before = snapshot(lesson, LESSON_FIELDS)
    for name, value in clean.items():
        setattr(lesson, name, value)
    after = snapshot(lesson, LESSON_FIELDS)
    if lesson.video_url is None:
        # A transcript goes with a video: the translated ones leave with it, as the original did.
        for translation in lesson.translations:
            if translation.transcript is not None:
                key = f"transcript[{translation.language}]"
                before[key], after[key] = translation.transcript, None
                translation.transcript = None
    session.flush()
    _audit(actor, "update", "lesson", lesson, course, before=before, after=after)
    return lesson


def move_lesson(actor: Account | None, lesson: Lesson, offset: int) -> None:
    module = lesson.module
    actor = require_course_editor(actor, module.course)
    if _move(actor, "lesson", list(module.lessons), lesson, offset, module.course):
        module.lessons.sort(key=lambda item: item.position)


def remove_lesson(actor: Account | None, lesson: Lesson) -> OutlineRemoval:
    """Remove the lesson (and learners' completions of it); the returned removal can undo it
    (:func:`undo_removal`)."""
    module = lesson.module
    actor = require_course_editor(actor, module.course)
    removal = _keep_for_undo(module.course, "lesson", lesson.title, _lesson_snapshot(lesson))
    _audit(actor, "delete", "lesson", lesson, module.course, before=snapshot(lesson, LESSON_FIELDS))
    module.lessons.remove(lesson)
    _renumber(module.lessons)
    session.flush()
    return removal


# -- undoing a removal ------------------------------------------------------------------------
#
# A removal keeps a snapshot of the rows it deletes (OutlineRemoval) rather than marking them
# deleted: every reader of the outline (course space, progress, certificates, federation, xapi)
# would otherwise have to skip removed rows. Undo inserts the rows again with their own ids and
# public ids, so links, completions and peers' references to them hold as before.

UNDO_FOR = timedelta(days=1)
_LESSON_COLUMNS = (*LESSON_FIELDS, "id", "uuid")


def _lesson_snapshot(lesson: Lesson) -> dict[str, Any]:
    row = {name: getattr(lesson, name) for name in _LESSON_COLUMNS}
    row["uuid"] = str(lesson.uuid)
    completions = session.execute(
        select(LessonCompletion.enrollment_id, LessonCompletion.completed_at).where(
            LessonCompletion.lesson_id == lesson.id
        )
    )
    visits = session.scalars(
        select(LessonVisit.enrollment_id).where(LessonVisit.lesson_id == lesson.id)
    )
    return {
        "lesson": row,
        "module_id": lesson.module_id,
        "translations": [
            {"language": t.language, "title": t.title, "content": t.content}
            for t in lesson.translations
        ],
        "completions": [[eid, at.isoformat()] for eid, at in completions],
        "visits": list(visits),
    }


def _module_snapshot(module: Module) -> dict[str, Any]:
    return {
        "module": {
            "id": module.id,
            "uuid": str(module.uuid),
            "title": module.title,
            "position": module.position,
        },
        "translations": [{"language": t.language, "title": t.title} for t in module.translations],
        "lessons": [_lesson_snapshot(lesson) for lesson in module.lessons],
    }


def _keep_for_undo(
    course: Course, kind: str, title: str, payload: dict[str, Any]
) -> OutlineRemoval:
    session.execute(
        delete(OutlineRemoval).where(
            OutlineRemoval.course_id == course.id, OutlineRemoval.removed_at < utcnow() - UNDO_FOR
        )
    )
    removal = OutlineRemoval(course_id=course.id, kind=kind, title=title, payload=payload)
    session.add(removal)
    return removal


def _restore_lesson(module: Module, data: dict[str, Any]) -> Lesson:
    row = dict(data["lesson"])
    row["uuid"] = UUID(row["uuid"])
    lesson = Lesson(**row)
    lesson.translations = [LessonTranslation(**t) for t in data["translations"]]
    lessons = list(module.lessons)
    lessons.insert(min(row["position"], len(lessons)), lesson)
    module.lessons.append(lesson)
    _renumber(lessons)
    module.lessons.sort(key=lambda item: item.position)
    session.flush()
    enrollments = set(
        session.scalars(
            select(Enrollment.id).where(
                Enrollment.id.in_([eid for eid, _at in data["completions"]] + data["visits"])
            )
        )
    )
    for eid, at in data["completions"]:
        if eid in enrollments:
            session.add(
                LessonCompletion(
                    enrollment_id=eid, lesson_id=lesson.id, completed_at=datetime.fromisoformat(at)
                )
            )
    if data["visits"]:
        session.execute(
            update(LessonVisit)
            .where(LessonVisit.enrollment_id.in_(data["visits"]), LessonVisit.lesson_id.is_(None))
            .values(lesson_id=lesson.id)
        )
    return lesson


def undo_removal(actor: Account | None, course: Course, removal_uuid: UUID) -> str:
    """Put back the module or lesson a removal deleted, as it was: its place in the outline,
    translations, lessons and learners' completions (of enrolments that still exist). Returns
    the title put back.

    Raises NotFound when the course has no such removal (already undone, or older than
    ``UNDO_FOR``), InvalidInput when a lesson's module has been removed since (undo that first).
    """
    actor = require_course_editor(actor, course)
    removal = session.scalar(
        select(OutlineRemoval).where(
            OutlineRemoval.course_id == course.id,
            OutlineRemoval.uuid == removal_uuid,
            OutlineRemoval.removed_at >= utcnow() - UNDO_FOR,
        )
    )
    if removal is None:
        raise NotFound(_("This removal can no longer be undone."))
    data = removal.payload
    if removal.kind == "lesson":
        module = session.get(Module, data["module_id"])
        if module is None or module.course_id != course.id:
            raise InvalidInput(
                _("The module of this lesson has been removed: undo that removal first.")
            )
        lesson = _restore_lesson(module, data)
        _audit(actor, "restore", "lesson", lesson, course, after=snapshot(lesson, LESSON_FIELDS))
    else:
        row = dict(data["module"])
        row["uuid"] = UUID(row["uuid"])
        module = Module(course=course, **row)
        module.translations = [ModuleTranslation(**t) for t in data["translations"]]
        modules = course_modules(course)
        modules.insert(min(row["position"], len(modules)), module)
        session.add(module)
        _renumber(modules)
        session.flush()
        for lesson_data in data["lessons"]:
            _restore_lesson(module, lesson_data)
        _audit(actor, "restore", "module", module, course, after={"title": module.title})
    title = removal.title
    session.delete(removal)
    session.flush()
    return title


# -- translations of module and lesson texts --------------------------------------------------


def outline_languages(course: Course) -> list[str]:
    """The languages the outline can be translated into: the course's translation languages."""
    return sorted(t.language for t in course.translations if t.language != course.original_language)


def _check_language(course: Course, language: str) -> None:
    if language not in outline_languages(course):
        raise InvalidInput(
            _("Translate the course's title into this language first."), field="language"
        )


def translate_module(
    actor: Account | None, module: Module, language: str, title: str
) -> ModuleTranslation:
    """Add or change the module's title in ``language``, one of the course's languages."""
    course = module.course
    actor = require_course_editor(actor, course)
    _check_language(course, language)
    title = _clean_title(title)
    translation = next((t for t in module.translations if t.language == language), None)
    before = {f"title[{language}]": translation.title if translation else None}
    if translation is None:
        translation = ModuleTranslation(language=language, title=title)
        module.translations.append(translation)
    translation.title = title
    session.flush()
    _audit(
        actor,
        "update",
        "module",
        module,
        course,
        before=before,
        after={f"title[{language}]": title},
    )
    return translation


def translate_lesson(
    actor: Account | None,
    lesson: Lesson,
    language: str,
    title: str,
    content: str | None,
    transcript: str | None = None,
) -> LessonTranslation:
    """Add or change the lesson's title, content and video transcript in ``language``.

    Raises InvalidInput (at its field) for a language the course has no text in, an empty or
    long title, too long a text, or a transcript for a lesson without a video.
    """
    course = lesson.module.course
    actor = require_course_editor(actor, course)
    _check_language(course, language)
    title = _clean_title(title)
    content = (content or "").strip() or None
    if content is not None and len(content) > 100_000:
        raise InvalidInput(_("The content is too long."), field="content")
    transcript = (transcript or "").strip() or None
    if transcript is not None and lesson.video_url is None:
        raise InvalidInput(
            _("A transcript goes with a video: add the video's address to the lesson first."),
            field="transcript",
        )
    if transcript is not None and len(transcript) > 100_000:
        raise InvalidInput(_("The transcript is too long."), field="transcript")
    translation = next((t for t in lesson.translations if t.language == language), None)
    keys = (f"title[{language}]", f"content[{language}]", f"transcript[{language}]")
    before = dict(
        zip(
            keys,
            (translation.title, translation.content, translation.transcript)
            if translation
            else (None, None, None),
            strict=True,
        )
    )
    if translation is None:
        translation = LessonTranslation(language=language, title=title)
        lesson.translations.append(translation)
    translation.title, translation.content = title, content
    translation.transcript = transcript
    session.flush()
    _audit(
        actor,
        "update",
        "lesson",
        lesson,
        course,
        before=before,
        after=dict(zip(keys, (title, content, transcript), strict=True)),
    )
    return translation


def get_module(actor: Account | None, course: Course, module_uuid: UUID) -> Module:
    """A module of the course, for its editors (NotFound for anyone else)."""
    require_course_editor(actor, course)
    module = next((m for m in course_modules(course) if m.uuid == module_uuid), None)
    if module is None:
        raise NotFound(_("No such module."))
    return module


def get_lesson(actor: Account | None, module: Module, lesson_uuid: UUID) -> Lesson:
    """A lesson of the module (which :func:`get_module` gave the actor)."""
    lesson = next((item for item in module.lessons if item.uuid == lesson_uuid), None)
    if lesson is None:
        raise NotFound(_("No such lesson."))
    return lesson


def completion_lessons(course: Course) -> list[Lesson]:
    """The lessons, in outline order, that count toward completing the course.

    Progress tracking and certificates count these.
    """
    return [
        lesson
        for module in course_modules(course)
        for lesson in module.lessons
        if lesson.counts_toward_completion
    ]
