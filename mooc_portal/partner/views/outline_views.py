"""Partner outline editor: modules, lessons and their translations."""

from __future__ import annotations

from typing import Any

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
from mooc_portal.errors import PortalError
from mooc_portal.i18n import language_name
from mooc_portal.partner.forms import (
    ConfirmForm,
    LessonForm,
    LessonTranslationForm,
    ModuleForm,
    ModuleTranslationForm,
    attach_error,
)
from mooc_portal.partner.views import _course, bp
from mooc_portal.publishing import outline
from mooc_portal.web import current_language

# --- outline ----------------------------------------------------------------------------------


def _outline_url(course: Course) -> str:
    return url_for(".outline_edit", course_uuid=course.uuid)


@bp.route("/courses/<course_uuid>/outline", methods=["GET", "POST"])
@login_required
def outline_edit(course_uuid: str) -> Any:
    actor = current_account()
    course = _course(course_uuid)
    form = ModuleForm()
    status = 200
    if form.validate_on_submit():
        try:
            outline.add_module(actor, course, form.title.data)
        except PortalError as error:
            attach_error(form, error)
        else:
            return redirect(_outline_url(course))
    if request.method == "POST":
        status = 400
    return render_template(
        "mooc_portal/partner/outline.html",
        course=course,
        modules=outline.course_modules(course),
        languages=outline.outline_languages(course),
        form=form,
        confirm=ConfirmForm(),
    ), status


@bp.route("/courses/<course_uuid>/outline/<module_uuid>/<operation>", methods=["POST"])
@login_required
def module_change(course_uuid: str, module_uuid: str, operation: str) -> Any:
    actor = current_account()
    course = _course(course_uuid)
    module = outline.get_module(actor, course, module_uuid)
    if operation == "rename":
        form = ModuleForm()
        if not form.validate_on_submit():
            abort(400)
        outline.rename_module(actor, module, form.title.data)
    else:
        if not ConfirmForm().validate_on_submit():
            abort(400)
        if operation == "up":
            outline.move_module(actor, module, -1)
        elif operation == "down":
            outline.move_module(actor, module, 1)
        elif operation == "delete":
            outline.remove_module(actor, module)
        else:
            abort(404)
    return redirect(_outline_url(course))


def _lesson_data(form: LessonForm) -> outline.LessonData:
    return outline.LessonData(
        title=form.title.data,
        kind=form.kind.data,
        minutes=form.minutes.data,
        counts_toward_completion=bool(form.counts_toward_completion.data),
        content=form.content.data,
        external_url=form.external_url.data,
    )


@bp.route("/courses/<course_uuid>/outline/<module_uuid>/lessons/new", methods=["GET", "POST"])
@bp.route(
    "/courses/<course_uuid>/outline/<module_uuid>/lessons/<lesson_uuid>", methods=["GET", "POST"]
)
@login_required
def lesson_edit(course_uuid: str, module_uuid: str, lesson_uuid: str | None = None) -> Any:
    actor = current_account()
    course = _course(course_uuid)
    module = outline.get_module(actor, course, module_uuid)
    lesson = outline.get_lesson(actor, module, lesson_uuid) if lesson_uuid else None
    form = LessonForm(obj=lesson if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            if lesson is None:
                outline.add_lesson(actor, module, _lesson_data(form))
            else:
                outline.update_lesson(actor, lesson, _lesson_data(form))
        except PortalError as error:
            attach_error(form, error)
        else:
            return redirect(_outline_url(course))
    return render_template(
        "mooc_portal/partner/form.html",
        form=form,
        heading=_("Edit lesson") if lesson else _("New lesson in “%(m)s”", m=module.title),
        back_url=_outline_url(course),
    ), (400 if request.method == "POST" else 200)


@bp.route(
    "/courses/<course_uuid>/outline/<module_uuid>/lessons/<lesson_uuid>/<operation>",
    methods=["POST"],
)
@login_required
def lesson_change(course_uuid: str, module_uuid: str, lesson_uuid: str, operation: str) -> Any:
    actor = current_account()
    course = _course(course_uuid)
    module = outline.get_module(actor, course, module_uuid)
    lesson = outline.get_lesson(actor, module, lesson_uuid)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if operation == "up":
        outline.move_lesson(actor, lesson, -1)
    elif operation == "down":
        outline.move_lesson(actor, lesson, 1)
    elif operation == "delete":
        outline.remove_lesson(actor, lesson)
    else:
        abort(404)
    return redirect(_outline_url(course))


def _translation_page(form: Any, heading: str, course: Course, original: list[str]) -> Any:
    return render_template(
        "mooc_portal/partner/form.html",
        form=form,
        heading=heading,
        intro=_("In the original language: %(text)s", text=" · ".join(original)),
        back_url=_outline_url(course),
    ), (400 if request.method == "POST" else 200)


@bp.route(
    "/courses/<course_uuid>/outline/<module_uuid>/translations/<language>",
    methods=["GET", "POST"],
)
@login_required
def module_translation(course_uuid: str, module_uuid: str, language: str) -> Any:
    actor = current_account()
    course = _course(course_uuid)
    module = outline.get_module(actor, course, module_uuid)
    if language not in outline.outline_languages(course):
        abort(404)
    existing = next((t for t in module.translations if t.language == language), None)
    form = ModuleTranslationForm(obj=existing if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            outline.translate_module(actor, module, language, form.title.data)
        except PortalError as error:
            attach_error(form, error)
        else:
            flash(_("The translation is saved."), "success")
            return redirect(_outline_url(course))
    heading = _(
        "“%(title)s” in %(language)s",
        title=module.title,
        language=language_name(language, current_language()),
    )
    return _translation_page(form, heading, course, [module.title])


@bp.route(
    "/courses/<course_uuid>/outline/<module_uuid>/lessons/<lesson_uuid>/translations/<language>",
    methods=["GET", "POST"],
)
@login_required
def lesson_translation(course_uuid: str, module_uuid: str, lesson_uuid: str, language: str) -> Any:
    actor = current_account()
    course = _course(course_uuid)
    module = outline.get_module(actor, course, module_uuid)
    lesson = outline.get_lesson(actor, module, lesson_uuid)
    if language not in outline.outline_languages(course):
        abort(404)
    existing = next((t for t in lesson.translations if t.language == language), None)
    form = LessonTranslationForm(obj=existing if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            outline.translate_lesson(actor, lesson, language, form.title.data, form.content.data)
        except PortalError as error:
            attach_error(form, error)
        else:
            flash(_("The translation is saved."), "success")
            return redirect(_outline_url(course))
    heading = _(
        "“%(title)s” in %(language)s",
        title=lesson.title,
        language=language_name(language, current_language()),
    )
    return _translation_page(form, heading, course, [lesson.title])
