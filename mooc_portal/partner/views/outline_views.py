"""Partner outline editor: modules, lessons and their translations."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from flask import (
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _

from mooc_portal.accounts.permissions import login_required
from mooc_portal.accounts.services import current_account
from mooc_portal.catalog.models import Course
from mooc_portal.catalog.outline import course_modules
from mooc_portal.db import session
from mooc_portal.errors import Conflict, InvalidInput, NotFound
from mooc_portal.forms import form_status, service_errors_shown_on
from mooc_portal.i18n import language_name
from mooc_portal.partner.forms import (
    ConfirmForm,
    LessonForm,
    LessonTranslationForm,
    ModuleForm,
    ModuleTranslationForm,
)
from mooc_portal.partner.views import _course, bp
from mooc_portal.publishing import outline
from mooc_portal.publishing.models import OutlineRemoval
from mooc_portal.transaction import no_commit
from mooc_portal.web import current_language, flash_undoable, show_as_page_at

# --- outline ----------------------------------------------------------------------------------


def _outline_url(course: Course) -> str:
    return url_for(".outline_edit", course_uuid=course.uuid)


REFUSALS = (InvalidInput, Conflict)
"""The service errors the outline editor shows on itself; a refusal of the actor
(NotPermitted, NotFound) reaches the error page."""


@dataclass(frozen=True)
class RefusedOutlineChange:
    """A change to a module or lesson (rename, move, remove) a service refused, shown again
    at its item; ``title`` is the title typed into the refused rename."""

    item_uuid: UUID
    message: str
    title: str | None = None


def _outline_page(
    course: Course, form: ModuleForm, refused: RefusedOutlineChange | None = None
) -> str:
    return render_template(
        "mooc_portal/partner/outline.html",
        course=course,
        modules=course_modules(course),
        languages=outline.outline_languages(course),
        form=form,
        confirm=ConfirmForm(),
        refused=refused,
    )


def _refused_on_outline(
    course: Course, item_uuid: UUID, error: InvalidInput | Conflict, title: str | None = None
) -> Any:
    """The outline editor again, the refusal at the item, answering with its status."""
    no_commit()
    session.rollback()
    show_as_page_at(".outline_edit", course_uuid=course.uuid)
    refused = RefusedOutlineChange(item_uuid, error.message, title)
    return _outline_page(course, ModuleForm(formdata=None), refused), error.status


def _expired() -> InvalidInput:
    return InvalidInput(_("The form has expired; try again."))


@bp.route("/courses/<uuid:course_uuid>/outline", methods=["GET", "POST"])
@login_required
def outline_edit(course_uuid: UUID) -> Any:
    actor = current_account()
    course = _course(course_uuid)
    form = ModuleForm()
    if form.validate_on_submit():
        with service_errors_shown_on(form):
            outline.add_module(actor, course, form.title.data)
            return redirect(_outline_url(course))
    return _outline_page(course, form), form_status(form)


@bp.route("/courses/<uuid:course_uuid>/outline/<uuid:module_uuid>/<operation>", methods=["POST"])
@login_required
def module_change(course_uuid: UUID, module_uuid: UUID, operation: str) -> Any:
    actor = current_account()
    course = _course(course_uuid)
    module = outline.get_module(actor, course, module_uuid)
    title = None
    try:
        if operation == "rename":
            form = ModuleForm()
            title = request.form.get("title", "")
            if not form.validate_on_submit():
                raise InvalidInput(" ".join(form.title.errors) or _expired().message)
            outline.rename_module(actor, module, form.title.data)
        elif operation in ("up", "down", "delete"):
            _move_or_remove(
                course,
                operation,
                remove=lambda: outline.remove_module(actor, module),
                move=lambda step: outline.move_module(actor, module, step),
                removed=_("The module “%(title)s” is removed.", title=module.title),
            )
        else:
            abort(404)
    except REFUSALS as error:
        return _refused_on_outline(course, module_uuid, error, title)
    return redirect(_outline_url(course))


def _move_or_remove(
    course: Course,
    operation: str,
    *,
    remove: Callable[[], OutlineRemoval],
    move: Callable[[int], None],
    removed: str,
) -> None:
    """A module's or a lesson's "up", "down" or "delete" button (a confirmed form): a removal
    is announced with ``removed`` and an Undo button."""
    if not ConfirmForm().validate_on_submit():
        raise _expired()
    if operation == "delete":
        flash_undoable(removed, _undo_url(course, remove()))
    else:
        move(-1 if operation == "up" else 1)


def _undo_url(course: Course, removal: OutlineRemoval) -> str:
    return url_for(".outline_undo", course_uuid=course.uuid, removal_uuid=removal.uuid)


@bp.route("/courses/<uuid:course_uuid>/outline/undo/<uuid:removal_uuid>", methods=["POST"])
@login_required
def outline_undo(course_uuid: UUID, removal_uuid: UUID) -> Any:
    actor = current_account()
    course = _course(course_uuid)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        title = outline.undo_removal(actor, course, removal_uuid)
    except (InvalidInput, NotFound) as error:
        flash(error.message, "error")
    else:
        flash(_("“%(title)s” is back in the outline.", title=title), "success")
    return redirect(_outline_url(course))


def _lesson_data(form: LessonForm) -> outline.LessonData:
    return outline.LessonData(
        title=form.title.data,
        kind=form.kind.data,
        minutes=form.minutes.data,
        counts_toward_completion=bool(form.counts_toward_completion.data),
        content=form.content.data,
        external_url=form.external_url.data,
        video_url=form.video_url.data,
        transcript=form.transcript.data,
    )


@bp.route(
    "/courses/<uuid:course_uuid>/outline/<uuid:module_uuid>/lessons/new", methods=["GET", "POST"]
)
@bp.route(
    "/courses/<uuid:course_uuid>/outline/<uuid:module_uuid>/lessons/<uuid:lesson_uuid>",
    methods=["GET", "POST"],
)
@login_required
def lesson_edit(course_uuid: UUID, module_uuid: UUID, lesson_uuid: UUID | None = None) -> Any:
    actor = current_account()
    course = _course(course_uuid)
    module = outline.get_module(actor, course, module_uuid)
    lesson = outline.get_lesson(actor, module, lesson_uuid) if lesson_uuid else None
    form = LessonForm(obj=lesson if request.method == "GET" else None)
    if form.validate_on_submit():
        with service_errors_shown_on(form):
            if lesson is None:
                outline.add_lesson(actor, module, _lesson_data(form))
            else:
                outline.update_lesson(actor, lesson, _lesson_data(form))
            return redirect(_outline_url(course))
    return render_template(
        "mooc_portal/partner/form.html",
        form=form,
        heading=_("Edit lesson") if lesson else _("New lesson in “%(m)s”", m=module.title),
        back_url=_outline_url(course),
    ), form_status(form)


@bp.route(
    "/courses/<uuid:course_uuid>/outline/<uuid:module_uuid>/lessons/<uuid:lesson_uuid>/<operation>",
    methods=["POST"],
)
@login_required
def lesson_change(course_uuid: UUID, module_uuid: UUID, lesson_uuid: UUID, operation: str) -> Any:
    actor = current_account()
    course = _course(course_uuid)
    module = outline.get_module(actor, course, module_uuid)
    lesson = outline.get_lesson(actor, module, lesson_uuid)
    try:
        if operation not in ("up", "down", "delete"):
            abort(404)
        _move_or_remove(
            course,
            operation,
            remove=lambda: outline.remove_lesson(actor, lesson),
            move=lambda step: outline.move_lesson(actor, lesson, step),
            removed=_("The lesson “%(title)s” is removed.", title=lesson.title),
        )
    except REFUSALS as error:
        return _refused_on_outline(course, lesson_uuid, error)
    return redirect(_outline_url(course))


def _translation_view(
    course: Course,
    translated: Any,
    language: str,
    form_class: type[ModuleTranslationForm] | type[LessonTranslationForm],
    save: Callable[[Any], object],
) -> Any:
    """The translation form of a module or lesson (``translated``); ``save(form)`` stores it."""
    if language not in outline.outline_languages(course):
        abort(404)
    existing = next((t for t in translated.translations if t.language == language), None)
    form = form_class(obj=existing if request.method == "GET" else None)
    if form.validate_on_submit():
        with service_errors_shown_on(form):
            save(form)
            flash(_("The translation is saved."), "success")
            return redirect(_outline_url(course))
    heading = _(
        "“%(title)s” in %(language)s",
        title=translated.title,
        language=language_name(language, current_language()),
    )
    return render_template(
        "mooc_portal/partner/form.html",
        form=form,
        heading=heading,
        intro=_("In the original language: %(text)s", text=translated.title),
        back_url=_outline_url(course),
    ), form_status(form)


@bp.route(
    "/courses/<uuid:course_uuid>/outline/<uuid:module_uuid>/translations/<language>",
    methods=["GET", "POST"],
)
@login_required
def module_translation(course_uuid: UUID, module_uuid: UUID, language: str) -> Any:
    actor = current_account()
    course = _course(course_uuid)
    module = outline.get_module(actor, course, module_uuid)
    return _translation_view(
        course,
        module,
        language,
        ModuleTranslationForm,
        lambda form: outline.translate_module(actor, module, language, form.title.data),
    )


@bp.route(
    "/courses/<uuid:course_uuid>/outline/<uuid:module_uuid>/lessons/<uuid:lesson_uuid>/translations/<language>",
    methods=["GET", "POST"],
)
@login_required
def lesson_translation(
    course_uuid: UUID, module_uuid: UUID, lesson_uuid: UUID, language: str
) -> Any:
    actor = current_account()
    course = _course(course_uuid)
    module = outline.get_module(actor, course, module_uuid)
    lesson = outline.get_lesson(actor, module, lesson_uuid)
    return _translation_view(
        course,
        lesson,
        language,
        LessonTranslationForm,
        lambda form: outline.translate_lesson(
            actor, lesson, language, form.title.data, form.content.data, form.transcript.data
        ),
    )
