"""Partner course pages: create, edit, preview, review transitions, image, translations and runs."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_timezone, ngettext
from flask_babel import gettext as _

from mooc_portal.accounts.permissions import logged_in_account, login_required
from mooc_portal.catalog.models import CourseStatus
from mooc_portal.catalog.outline import course_modules
from mooc_portal.catalog.services import course_page
from mooc_portal.db import session
from mooc_portal.enrollment import services as enrolment
from mooc_portal.errors import Conflict, InvalidInput, NotFound, PortalError
from mooc_portal.forms import form_status, language_version_form, service_errors_shown_on
from mooc_portal.i18n import language_name
from mooc_portal.partner.forms import (
    RUN_DATES,
    ActionForm,
    ConfirmForm,
    EditCourseForm,
    ImageForm,
    NewCourseForm,
    RecognitionForm,
    RunForm,
    TranslationForm,
    as_local,
    as_utc,
    attach_field_errors,
    language_choices,
    zone_description,
    zone_intro,
)
from mooc_portal.partner.views import COURSE_STATUS_LABELS, _course, _course_url, bp
from mooc_portal.publishing import (
    media,
    recognition,
    services,
    staff,
    validation,
    workflow,
)
from mooc_portal.transaction import no_commit
from mooc_portal.web import current_language, flash_undoable, show_as_page_at

# --- courses ----------------------------------------------------------------------------------


def _course_data(form: Any, original_language: str) -> validation.CourseData:
    return validation.CourseData(
        code=form.code.data or "",
        slug=form.slug.data or None,
        original_language=original_language,
        level=form.level.data,
        pace=form.pace.data,
        effort_hours=form.effort_hours.data,
        length_weeks=form.length_weeks.data,
        credential=form.credential.data,
        ects_credits=form.ects_credits.data,
        teaching_languages=list(form.teaching_languages.data or []),
        subtitle_languages=list(form.subtitle_languages.data or []),
        subjects=list(form.subjects.data or []),
        accessibility_statement=form.accessibility_statement.data,
    )


def _course_problems(
    data: validation.CourseData, translation: validation.TranslationData | None = None
) -> list[tuple[str, str]]:
    """Every problem the course services would refuse, found at once (the services stop at the
    first), so that the form shows them all together with its own."""
    problems = list(validation.validate_course_data(data)[1])
    if translation is not None:
        text_problems = validation.validate_translation(translation)[1]
        problems += [(f, m) for f, m in text_problems if f != "language"]
    return problems


@bp.route("/<slug>/courses/new", methods=["GET", "POST"])
@login_required
def course_new(slug: str) -> Any:
    actor = logged_in_account()
    institution = staff.get_institution_for_staff(actor, slug)
    form = NewCourseForm()
    valid = form.validate_on_submit()
    if request.method == "POST":
        data = _course_data(form, form.original_language.data or "")
        translation = validation.TranslationData(
            language=form.original_language.data or "",
            title=form.title.data,
            summary=form.summary.data,
            description=form.description.data,
            learning_outcomes=form.learning_outcomes.data,
        )
        problems = _course_problems(data, translation)
        attach_field_errors(form, problems)
        valid = valid and not problems
    if valid:
        with service_errors_shown_on(form):
            course = services.create_course(actor, institution, data, translation)
            flash(_("The course is saved as a draft."), "success")
            return redirect(_course_url(course))
    return render_template(
        "mooc_portal/partner/form.html",
        form=form,
        heading=_("New course"),
        back_url=url_for(".dashboard", slug=slug),
    ), form_status(form)


@bp.route("/courses/<uuid:course_uuid>/")
@login_required
def course_overview(course_uuid: UUID) -> str:
    return _overview(logged_in_account(), _course(course_uuid))


def _overview(actor: Any, course: Any, refusal: str | None = None) -> str:
    return render_template(
        "mooc_portal/partner/course.html",
        course=course,
        refusal=refusal,
        actions=workflow.allowed_actions(actor, course),
        action_labels=workflow.ACTION_LABELS,
        history=workflow.review_history(course),
        change_request=workflow.latest_change_request(course),
        checklist=workflow.quality_checklist(course),
        modules=course_modules(course),
        confirm=ConfirmForm(),
        action_form=ActionForm(),
        run_figures=enrolment.run_figures(course.runs),
        # The runs' xAPI pages are for who manages the runs (editors would be refused).
        xapi_runs={run.id for run in course.runs if enrolment.can_manage_run(actor, run)},
    )


@bp.route("/courses/<uuid:course_uuid>/edit", methods=["GET", "POST"])
@login_required
def course_edit(course_uuid: UUID) -> Any:
    actor = logged_in_account()
    course = _course(course_uuid)
    form = EditCourseForm(obj=course if request.method == "GET" else None)
    if course.published_at is not None:  # in shared links: shown, no longer changed
        form.slug.render_kw = {"readonly": True}
    form.original_language.choices = [
        choice
        for choice in language_choices(
            current_language(), [t.language for t in course.translations]
        )
        if choice.value in {t.language for t in course.translations}
    ]
    if request.method == "GET":
        form.teaching_languages.data = list(course.teaching_languages)
        form.subtitle_languages.data = list(course.subtitle_languages)
        form.subjects.data = [s.code for s in course.subjects]
    valid = form.validate_on_submit()
    if request.method == "POST":
        data = _course_data(form, form.original_language.data or "")
        problems = _course_problems(data)
        attach_field_errors(form, problems)
        valid = valid and not problems
    if valid:
        with service_errors_shown_on(form):
            services.update_course(actor, course, data)
            flash(_("The course is saved."), "success")
            return redirect(_course_url(course))
    return render_template(
        "mooc_portal/partner/form.html",
        form=form,
        heading=_("Edit course %(code)s", code=course.code),
        back_url=_course_url(course),
    ), form_status(form)


@bp.route("/courses/<uuid:course_uuid>/preview")
@login_required
def course_preview(course_uuid: UUID) -> str:
    return render_template(
        "mooc_portal/partner/course_preview.html", **course_page(_course(course_uuid), preview=True)
    )


REFUSALS = (InvalidInput, Conflict)
"""The service errors the course overview shows on itself; a refusal of the actor
(NotPermitted, NotFound) reaches the error page."""


def _refused_on_overview(actor: Any, course: Any, error: PortalError) -> Any:
    """The course overview again, with the refusal of one of its buttons (submit, remove a
    translation, cancel a run) above its sections, answering with the refusal's status."""
    no_commit()
    session.rollback()
    show_as_page_at(".course_overview", course_uuid=course.uuid)
    return _overview(actor, course, error.message), error.status


def _expired() -> InvalidInput:
    return InvalidInput(_("The form has expired; try again."))


@bp.route("/courses/<uuid:course_uuid>/transition", methods=["POST"])
@login_required
def course_transition(course_uuid: UUID) -> Any:
    actor = logged_in_account()
    course = _course(course_uuid)
    form = ActionForm()
    try:
        if not form.validate_on_submit():
            raise _expired()
        workflow.transition_course(actor, course, form.action.data, comment=form.comment.data)
    except REFUSALS as error:
        return _refused_on_overview(actor, course, error)
    flash(
        _(
            "The course is now: %(status)s.",
            status=COURSE_STATUS_LABELS[CourseStatus(course.status)],
        ),
        "success",
    )
    return redirect(_course_url(course))


@bp.route("/courses/<uuid:course_uuid>/image", methods=["GET", "POST"])
@login_required
def course_image(course_uuid: UUID) -> Any:
    actor = logged_in_account()
    course = _course(course_uuid)
    form = ImageForm(obj=course if request.method == "GET" else None)
    if form.validate_on_submit():
        with service_errors_shown_on(form):
            name = course.image
            if form.image.data:
                name = media.replace_image(form.image.data.stream, course.image)
            elif not name:
                raise InvalidInput(_("Choose an image to upload."), field="image")
            services.set_course_image(actor, course, name, alt=form.image_alt.data)
            flash(_("The image is saved."), "success")
            return redirect(_course_url(course))
    return render_template(
        "mooc_portal/partner/form.html",
        form=form,
        multipart=True,
        heading=_("Course image"),
        back_url=_course_url(course),
        submit_label=_("Upload"),
    ), form_status(form)


@bp.route("/media/<name>")
def course_image_file(name: str) -> Any:
    width = request.args.get("w", type=int)
    public = media.public_image_url(name) if width is None else None
    if public is not None:  # the object store serves it to every visitor itself
        moved = redirect(public, 301)
        moved.headers["Cache-Control"] = media.IMMUTABLE
        return moved
    if width is None:
        data, content_type = media.image_data(name)
    else:  # one of the smaller sizes of the srcset
        data, content_type = media.image_variant(name, width)
    # A name is never reused for other bytes: caches may keep it for a year without asking.
    response = current_app.response_class(data, mimetype=content_type)
    response.set_etag(name)
    response.headers["Cache-Control"] = media.IMMUTABLE
    return response.make_conditional(request)


# --- translations -----------------------------------------------------------------------------


def _translation_data(form: TranslationForm, language: str) -> validation.TranslationData:
    return validation.TranslationData(
        language=language,
        title=form.title.data,
        summary=form.summary.data,
        description=form.description.data,
        learning_outcomes=form.learning_outcomes.data,
    )


@bp.route("/courses/<uuid:course_uuid>/translations/new", methods=["GET", "POST"])
@bp.route("/courses/<uuid:course_uuid>/translations/<language>", methods=["GET", "POST"])
@login_required
def translation_edit(course_uuid: UUID, language: str | None = None) -> Any:
    actor = logged_in_account()
    course = _course(course_uuid)
    form = language_version_form(TranslationForm, course.translations, language)
    if form.validate_on_submit():
        with service_errors_shown_on(form):
            services.save_translation(
                actor, course, _translation_data(form, language or form.language.data)
            )
            flash(_("The text is saved."), "success")
            return redirect(_course_url(course))
    return render_template(
        "mooc_portal/partner/form.html",
        form=form,
        heading=_(
            "Course text in %(language)s", language=language_name(language, current_language())
        )
        if language
        else _("Add a translation"),
        back_url=_course_url(course),
    ), form_status(form)


@bp.route("/courses/<uuid:course_uuid>/translations/<language>/delete", methods=["POST"])
@login_required
def translation_delete(course_uuid: UUID, language: str) -> Any:
    actor = logged_in_account()
    course = _course(course_uuid)
    try:
        if not ConfirmForm().validate_on_submit():
            raise _expired()
        services.delete_translation(actor, course, language)
    except REFUSALS as error:
        return _refused_on_overview(actor, course, error)
    undo = url_for(".translation_restore", course_uuid=course.uuid, language=language)
    flash_undoable(_("The translation is removed."), undo)
    return redirect(_course_url(course))


@bp.route("/courses/<uuid:course_uuid>/translations/<language>/restore", methods=["POST"])
@login_required
def translation_restore(course_uuid: UUID, language: str) -> Any:
    course = _course(course_uuid)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        services.restore_translation(logged_in_account(), course, language)
    except (Conflict, NotFound) as refused:
        flash(refused.message, "error")
    else:
        flash(_("The translation is back."), "success")
    return redirect(_course_url(course))


# --- runs -------------------------------------------------------------------------------------


def _run_data(form: RunForm, zone: str) -> validation.RunData:
    return validation.RunData(
        start_at=as_utc(form.start_at.data, zone),
        end_at=as_utc(form.end_at.data, zone),
        enrollment_start_at=as_utc(form.enrollment_start_at.data, zone),
        enrollment_end_at=as_utc(form.enrollment_end_at.data, zone),
        capacity=form.capacity.data,
        requires_approval=bool(form.requires_approval.data),
        delivery_mode=form.delivery_mode.data,
    )


def _run_form_errors(form: RunForm, zone: str) -> bool:
    """Report every date rule at its field; True when there was none."""
    errors = validation.validate_run(_run_data(form, zone))
    for field_name, message in errors:
        getattr(form, field_name).errors.append(message)
    return not errors


@bp.route("/courses/<uuid:course_uuid>/runs/new", methods=["GET", "POST"])
@bp.route("/courses/<uuid:course_uuid>/runs/<uuid:run_uuid>", methods=["GET", "POST"])
@login_required
def run_edit(course_uuid: UUID, run_uuid: UUID | None = None) -> Any:
    actor = logged_in_account()
    course = _course(course_uuid)
    run = services.get_run_for_staff(actor, course, run_uuid) if run_uuid else None
    # Dates are entered and shown in the partner's time zone (their profile's, else their
    # browser's, else UTC) and stored in UTC.
    zone = str(get_timezone() or "UTC")
    form = RunForm(obj=run if request.method == "GET" else None)
    if request.method == "GET":
        for name in RUN_DATES:
            form[name].data = as_local(form[name].data, zone)
    for name in RUN_DATES:
        form[name].description = zone_description(zone)
    if form.validate_on_submit() and _run_form_errors(form, zone):
        with service_errors_shown_on(form):
            if run is None:
                services.create_run(actor, course, _run_data(form, zone))
            else:
                services.update_run(actor, run, _run_data(form, zone))
            flash(_("The run is saved."), "success")
            return redirect(_course_url(course))
    return render_template(
        "mooc_portal/partner/form.html",
        form=form,
        heading=_("Edit run") if run else _("New run"),
        intro=zone_intro(zone, from_profile=bool(actor and actor.timezone)),
        back_url=_course_url(course),
    ), form_status(form)


@bp.route("/courses/<uuid:course_uuid>/runs/<uuid:run_uuid>/cancel", methods=["POST"])
@login_required
def run_cancel(course_uuid: UUID, run_uuid: UUID) -> Any:
    actor = logged_in_account()
    course = _course(course_uuid)
    run = services.get_run_for_staff(actor, course, run_uuid)
    try:
        if not ConfirmForm().validate_on_submit():
            raise _expired()
        ended = services.cancel_run(actor, run)
    except REFUSALS as error:
        return _refused_on_overview(actor, course, error)
    flash(
        ngettext(
            "The run is cancelled. %(num)d learner was told by mail and offered the course's "
            "other runs.",
            "The run is cancelled. %(num)d learners were told by mail and offered the course's "
            "other runs.",
            len(ended),
        )
        if ended
        else _("The run is cancelled. It had no learners to tell."),
        "success",
    )
    return redirect(_course_url(course))


# --- recognition --------------------------------------------------------------------------------


@bp.route("/courses/<uuid:course_uuid>/recognition", methods=["GET", "POST"])
@login_required
def course_recognition(course_uuid: UUID) -> Any:
    actor = logged_in_account()
    course = _course(course_uuid)
    form = RecognitionForm(obj=course.recognition if request.method == "GET" else None)
    if form.validate_on_submit():
        data = recognition.RecognitionData(
            **{name: getattr(form, name).data for name in recognition.FORM_FIELDS}
        )
        with service_errors_shown_on(form):
            recognition.set_recognition(actor, course, data)
            flash(_("The recognition details are saved."), "success")
            return redirect(_course_url(course))
    return render_template(
        "mooc_portal/partner/form.html",
        form=form,
        heading=_("Recognition and audience of %(code)s", code=course.code),
        intro=_(
            "What learners, employers and universities need to recognise the credential, and "
            "whom the course is for. Shown on the course page and carried in its certificates, "
            "the OOAPI course and the export."
        ),
        back_url=_course_url(course),
    ), (400 if request.method == "POST" else 200)
