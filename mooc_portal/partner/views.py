"""Partner staff pages (``/partner/...``): dashboard, courses, translations, runs, outline,
review workflow, preview, image, institution profile and staff.

Views are thin: every check of who may act happens in the publishing services, which answer
NotFound to staff of another institution.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice

from mooc_portal.accounts.models import StaffRole
from mooc_portal.accounts.services import account_for_reset_token, current_account, reset_password
from mooc_portal.catalog.models import Course, CourseStatus
from mooc_portal.catalog.services import course_page
from mooc_portal.db import utcnow
from mooc_portal.errors import PortalError
from mooc_portal.i18n import language_name
from mooc_portal.partner.forms import (
    ActionForm,
    ConfirmForm,
    EditCourseForm,
    ImageForm,
    ImportForm,
    InstitutionForm,
    InviteForm,
    LessonForm,
    LessonTranslationForm,
    ModuleForm,
    ModuleTranslationForm,
    NewCourseForm,
    RoleForm,
    RunForm,
    SetPasswordForm,
    TranslationForm,
    as_utc,
    attach_error,
    split_tags,
)
from mooc_portal.publishing import importer, media, outline, services, staff, workflow
from mooc_portal.publishing.permissions import require_account, require_manager
from mooc_portal.web import current_language

bp = Blueprint("partner", __name__, url_prefix="/partner")

PUBLIC_ENDPOINTS = {"partner.accept_invitation", "partner.course_image_file"}

# The course states in words, for messages (templates/partner/_status.html has the same labels).
COURSE_STATUS_LABELS = {
    CourseStatus.DRAFT: _l("Draft"),
    CourseStatus.IN_REVIEW: _l("In review"),
    CourseStatus.PUBLISHED: _l("Published"),
    CourseStatus.WITHDRAWN: _l("Withdrawn"),
}


@bp.before_request
def require_login() -> Any:
    endpoint = (request.endpoint or "").removeprefix("portal.")
    if endpoint not in PUBLIC_ENDPOINTS and current_account() is None:
        return redirect(url_for("portal.accounts.login", next=request.full_path))
    return None


def _course(course_uuid: str) -> Course:
    return services.get_course_for_staff(current_account(), course_uuid)


def _course_url(course: Course) -> str:
    return url_for(".course_overview", course_uuid=course.uuid)


# --- dashboard --------------------------------------------------------------------------------


@bp.route("/")
def index() -> Any:
    actor = require_account(current_account())
    institutions = [m.institution for m in actor.memberships]
    if len(institutions) == 1:
        return redirect(url_for(".dashboard", slug=institutions[0].slug))
    return render_template("mooc_portal/partner/index.html", institutions=institutions)


@bp.route("/<slug>/")
def dashboard(slug: str) -> str:
    actor = current_account()
    institution = staff.get_institution_for_staff(actor, slug)
    courses = services.institution_courses(institution)
    by_status = {status.value: [] for status in CourseStatus}
    for course in courses:
        by_status[course.status].append(course)
    # Runs that have not started yet, of courses still offered: a withdrawn course's runs and
    # runs already under way are not "coming up".
    now = utcnow()
    upcoming = sorted(
        (
            (run, course)
            for course in courses
            if course.status != CourseStatus.WITHDRAWN
            for run in course.runs
            if not run.cancelled and run.start_at is not None and run.start_at > now
        ),
        key=lambda pair: pair[0].start_at,
    )
    requests = [
        (course, event)
        for course in by_status[CourseStatus.DRAFT]
        if (event := workflow.latest_change_request(course)) is not None
    ]
    return render_template(
        "mooc_portal/partner/dashboard.html",
        institution=institution,
        by_status=by_status,
        upcoming=upcoming,
        change_requests=requests,
        role=actor.role_in(institution.id) if actor else None,
    )


# --- courses ----------------------------------------------------------------------------------


def _course_data(form: Any, original_language: str) -> services.CourseData:
    return services.CourseData(
        code=form.code.data or "",
        original_language=original_language,
        level=form.level.data,
        pace=form.pace.data,
        effort_hours=form.effort_hours.data,
        length_weeks=form.length_weeks.data,
        credential=form.credential.data,
        ects_credits=form.ects_credits.data,
        teaching_languages=split_tags(form.teaching_languages.data),
        subtitle_languages=split_tags(form.subtitle_languages.data),
        subjects=list(form.subjects.data or []),
        accessibility_statement=form.accessibility_statement.data,
    )


@bp.route("/<slug>/courses/new", methods=["GET", "POST"])
def course_new(slug: str) -> Any:
    actor = current_account()
    institution = staff.get_institution_for_staff(actor, slug)
    form = NewCourseForm()
    if form.validate_on_submit():
        try:
            course = services.create_course(
                actor,
                institution,
                _course_data(form, form.original_language.data),
                services.TranslationData(
                    language=form.original_language.data,
                    title=form.title.data,
                    summary=form.summary.data,
                    description=form.description.data,
                    learning_outcomes=form.learning_outcomes.data,
                ),
            )
        except PortalError as error:
            attach_error(form, error)
        else:
            flash(_("The course is saved as a draft."), "success")
            return redirect(_course_url(course))
    return render_template(
        "mooc_portal/partner/form.html",
        form=form,
        heading=_("New course"),
        back_url=url_for(".dashboard", slug=slug),
    ), (400 if request.method == "POST" else 200)


@bp.route("/courses/<course_uuid>/")
def course_overview(course_uuid: str) -> str:
    actor = current_account()
    course = _course(course_uuid)
    return render_template(
        "mooc_portal/partner/course.html",
        course=course,
        actions=workflow.allowed_actions(actor, course),
        action_labels=workflow.ACTION_LABELS,
        history=workflow.review_history(course),
        change_request=workflow.latest_change_request(course),
        checklist=workflow.quality_checklist(course),
        modules=outline.course_modules(course),
        confirm=ConfirmForm(),
        action_form=ActionForm(),
    )


@bp.route("/courses/<course_uuid>/edit", methods=["GET", "POST"])
def course_edit(course_uuid: str) -> Any:
    actor = current_account()
    course = _course(course_uuid)
    form = EditCourseForm(obj=course if request.method == "GET" else None)
    form.original_language.choices = [
        SelectChoice(t.language) for t in sorted(course.translations, key=lambda t: t.language)
    ]
    if request.method == "GET":
        form.teaching_languages.data = ", ".join(course.teaching_languages)
        form.subtitle_languages.data = ", ".join(course.subtitle_languages)
        form.subjects.data = [s.code for s in course.subjects]
    if form.validate_on_submit():
        try:
            services.update_course(actor, course, _course_data(form, form.original_language.data))
        except PortalError as error:
            attach_error(form, error)
        else:
            flash(_("The course is saved."), "success")
            return redirect(_course_url(course))
    return render_template(
        "mooc_portal/partner/form.html",
        form=form,
        heading=_("Edit course %(code)s", code=course.code),
        back_url=_course_url(course),
    ), (400 if request.method == "POST" else 200)


@bp.route("/courses/<course_uuid>/preview")
def course_preview(course_uuid: str) -> str:
    return render_template(
        "mooc_portal/partner/course_preview.html", **course_page(_course(course_uuid), preview=True)
    )


@bp.route("/courses/<course_uuid>/transition", methods=["POST"])
def course_transition(course_uuid: str) -> Any:
    actor = current_account()
    course = _course(course_uuid)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    workflow.transition_course(actor, course, form.action.data, comment=form.comment.data)
    flash(
        _("The course is now: %(status)s.", status=COURSE_STATUS_LABELS[course.status]), "success"
    )
    return redirect(_course_url(course))


@bp.route("/courses/<course_uuid>/image", methods=["GET", "POST"])
def course_image(course_uuid: str) -> Any:
    actor = current_account()
    course = _course(course_uuid)
    form = ImageForm()
    if form.validate_on_submit():
        try:
            name = media.store_image(form.image.data.stream)
            services.set_course_image(actor, course, name)
        except PortalError as error:
            attach_error(form, error)
        else:
            flash(_("The image is saved."), "success")
            return redirect(_course_url(course))
    return render_template(
        "mooc_portal/partner/form.html",
        form=form,
        multipart=True,
        heading=_("Course image"),
        back_url=_course_url(course),
        submit_label=_("Upload"),
    ), (400 if request.method == "POST" else 200)


@bp.route("/media/<name>")
def course_image_file(name: str) -> Any:
    path, content_type = media.image_path(name)
    return send_file(path, mimetype=content_type, max_age=86400)


# --- translations -----------------------------------------------------------------------------


def _translation_data(form: TranslationForm, language: str) -> services.TranslationData:
    return services.TranslationData(
        language=language,
        title=form.title.data,
        summary=form.summary.data,
        description=form.description.data,
        learning_outcomes=form.learning_outcomes.data,
    )


@bp.route("/courses/<course_uuid>/translations/new", methods=["GET", "POST"])
@bp.route("/courses/<course_uuid>/translations/<language>", methods=["GET", "POST"])
def translation_edit(course_uuid: str, language: str | None = None) -> Any:
    actor = current_account()
    course = _course(course_uuid)
    translation = None
    if language is not None:
        translation = next((t for t in course.translations if t.language == language), None)
        if translation is None:
            abort(404)
    form = TranslationForm(obj=translation if request.method == "GET" else None)
    if translation is not None:
        form.language.data = translation.language
        form.language.render_kw = {"readonly": True}
    if form.validate_on_submit():
        try:
            services.save_translation(
                actor, course, _translation_data(form, language or form.language.data)
            )
        except PortalError as error:
            attach_error(form, error)
        else:
            flash(_("The text is saved."), "success")
            return redirect(_course_url(course))
    return render_template(
        "mooc_portal/partner/form.html",
        form=form,
        heading=_("Course text in %(language)s", language=language)
        if language
        else _("Add a translation"),
        back_url=_course_url(course),
    ), (400 if request.method == "POST" else 200)


@bp.route("/courses/<course_uuid>/translations/<language>/delete", methods=["POST"])
def translation_delete(course_uuid: str, language: str) -> Any:
    course = _course(course_uuid)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    services.delete_translation(current_account(), course, language)
    flash(_("The translation is removed."), "success")
    return redirect(_course_url(course))


# --- runs -------------------------------------------------------------------------------------


def _run_data(form: RunForm) -> services.RunData:
    return services.RunData(
        start_at=as_utc(form.start_at.data),
        end_at=as_utc(form.end_at.data),
        enrollment_start_at=as_utc(form.enrollment_start_at.data),
        enrollment_end_at=as_utc(form.enrollment_end_at.data),
        capacity=form.capacity.data,
        requires_approval=bool(form.requires_approval.data),
        delivery_mode=form.delivery_mode.data,
    )


def _run_form_errors(form: RunForm) -> bool:
    """Report every date rule at its field; True when there was none."""
    errors = services.validate_run(_run_data(form))
    for field_name, message in errors:
        getattr(form, field_name).errors.append(message)
    return not errors


@bp.route("/courses/<course_uuid>/runs/new", methods=["GET", "POST"])
@bp.route("/courses/<course_uuid>/runs/<run_uuid>", methods=["GET", "POST"])
def run_edit(course_uuid: str, run_uuid: str | None = None) -> Any:
    actor = current_account()
    course = _course(course_uuid)
    run = services.get_run_for_staff(actor, course, run_uuid) if run_uuid else None
    form = RunForm(obj=run if request.method == "GET" else None)
    if form.validate_on_submit() and _run_form_errors(form):
        try:
            if run is None:
                services.create_run(actor, course, _run_data(form))
            else:
                services.update_run(actor, run, _run_data(form))
        except PortalError as error:
            attach_error(form, error)
        else:
            flash(_("The run is saved."), "success")
            return redirect(_course_url(course))
    return render_template(
        "mooc_portal/partner/form.html",
        form=form,
        heading=_("Edit run") if run else _("New run"),
        back_url=_course_url(course),
    ), (400 if request.method == "POST" else 200)


@bp.route("/courses/<course_uuid>/runs/<run_uuid>/cancel", methods=["POST"])
def run_cancel(course_uuid: str, run_uuid: str) -> Any:
    actor = current_account()
    course = _course(course_uuid)
    run = services.get_run_for_staff(actor, course, run_uuid)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    services.cancel_run(actor, run)
    flash(_("The run is cancelled."), "success")
    return redirect(_course_url(course))


# --- outline ----------------------------------------------------------------------------------


def _outline_url(course: Course) -> str:
    return url_for(".outline_edit", course_uuid=course.uuid)


@bp.route("/courses/<course_uuid>/outline", methods=["GET", "POST"])
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


# --- institution profile and staff ------------------------------------------------------------


def institution_data(form: InstitutionForm, slug: str | None = None) -> staff.InstitutionData:
    return staff.InstitutionData(
        name=form.name.data,
        short_name=form.short_name.data,
        country=form.country.data,
        original_language=form.original_language.data,
        website=form.website.data,
        contact_email=form.contact_email.data,
        description=form.description.data,
        slug=slug,
    )


def fill_institution_form(form: InstitutionForm, institution: Any) -> None:
    text = next(
        (t for t in institution.translations if t.language == institution.original_language),
        None,
    )
    form.name.data = text.name if text else ""
    form.short_name.data = text.short_name if text else ""
    form.description.data = text.description if text else ""
    for name in ("country", "original_language", "website", "contact_email"):
        getattr(form, name).data = getattr(institution, name)


@bp.route("/<slug>/profile", methods=["GET", "POST"])
def institution_profile(slug: str) -> Any:
    actor = current_account()
    institution = staff.get_institution_for_staff(actor, slug)
    require_manager(actor, institution)
    form = InstitutionForm()
    if request.method == "GET":
        fill_institution_form(form, institution)
    elif form.validate_on_submit():
        try:
            staff.update_institution(actor, institution, institution_data(form))
        except PortalError as error:
            attach_error(form, error)
        else:
            flash(_("The profile is saved."), "success")
            return redirect(url_for(".dashboard", slug=slug))
    return render_template(
        "mooc_portal/partner/form.html",
        form=form,
        heading=_("Institution profile"),
        back_url=url_for(".dashboard", slug=slug),
    ), (400 if request.method == "POST" else 200)


def set_password_link(token: str) -> str:
    return url_for("portal.partner.accept_invitation", token=token, _external=True)


@bp.route("/<slug>/staff", methods=["GET", "POST"])
def staff_list(slug: str) -> Any:
    actor = current_account()
    institution = staff.get_institution_for_staff(actor, slug)
    members = staff.institution_staff(actor, institution)
    form = InviteForm()
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate_on_submit():
            try:
                staff.invite_staff(
                    actor,
                    institution,
                    form.email.data,
                    form.role.data,
                    display_name=form.display_name.data,
                    set_password_url=set_password_link,
                )
            except PortalError as error:
                if error.status == 403:
                    raise
                attach_error(form, error)
            else:
                flash(_("The invitation is sent."), "success")
                return redirect(url_for(".staff_list", slug=slug))
    return render_template(
        "mooc_portal/partner/staff.html",
        institution=institution,
        members=members,
        form=form,
        role_form=RoleForm(),
        confirm=ConfirmForm(),
        can_manage=actor is not None and actor.may_act_for(institution.id, StaffRole.MANAGER),
    ), status


@bp.route("/<slug>/staff/<account_uuid>/<operation>", methods=["POST"])
def staff_change(slug: str, account_uuid: str, operation: str) -> Any:
    actor = current_account()
    institution = staff.get_institution_for_staff(actor, slug)
    if operation == "role":
        form = RoleForm()
        if not form.validate_on_submit():
            abort(400)
        staff.change_staff_role(actor, institution, account_uuid, form.role.data)
    elif operation == "remove":
        if not ConfirmForm().validate_on_submit():
            abort(400)
        staff.remove_staff(actor, institution, account_uuid)
    else:
        abort(404)
    flash(_("The staff list is saved."), "success")
    return redirect(url_for(".staff_list", slug=slug))


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def accept_invitation(token: str) -> Any:
    max_age = current_app.config["MOOC_INVITATION_MAX_AGE"]
    account = account_for_reset_token(token, max_age=max_age)
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            reset_password(token, form.password.data, max_age=max_age)
        except PortalError as error:
            attach_error(form, error)
        else:
            flash(_("Your password is set. Log in to continue."), "success")
            return redirect(url_for("portal.accounts.login"))
    return render_template(
        "mooc_portal/partner/form.html",
        form=form,
        heading=_("Set your password"),
        intro=_(
            "Welcome, %(name)s. Choose a password for %(email)s.",
            name=account.display_name,
            email=account.email,
        ),
    ), (400 if request.method == "POST" else 200)


# --- bulk import ------------------------------------------------------------------------------


@bp.route("/<slug>/import", methods=["GET", "POST"])
def import_courses(slug: str) -> Any:
    actor = current_account()
    institution = staff.get_institution_for_staff(actor, slug)
    form = ImportForm()
    report = None
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate_on_submit():
            upload = form.file.data
            try:
                rows = importer.parse_file(upload.read(), upload.filename or "")
                report = importer.import_courses(
                    actor, institution, rows, apply=bool(form.apply.data)
                )
            except PortalError as error:
                if error.status in (403, 404):
                    raise
                attach_error(form, error)
            else:
                status = 200 if report.ok else 400
    return render_template(
        "mooc_portal/partner/import.html", institution=institution, form=form, report=report
    ), status
