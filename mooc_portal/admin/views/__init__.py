"""Administrators' pages: every ``/admin/...`` URL is on this blueprint, and every view says
``@admin_required``. This module holds the review queue, audit log, institutions and jobs; the
other parts (learners, peers, privacy) live in modules of their own.

``admin`` owns no models; it calls the other domains' services, which check again that the
actor is an administrator.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from mooc_portal.accounts.permissions import admin_required, logged_in_account
from mooc_portal.accounts.services import current_account
from mooc_portal.admin.forms import AuditFilterForm
from mooc_portal.audit.services import AuditFilter, list_audit_entries
from mooc_portal.catalog.models import CourseStatus
from mooc_portal.catalog.services import course_page
from mooc_portal.db import session
from mooc_portal.errors import Conflict, InvalidInput, PortalError
from mooc_portal.forms import form_status, service_errors_shown_on, show_service_error
from mooc_portal.i18n import country_choices
from mooc_portal.institutions.services import parse_institution_filter, region_label
from mooc_portal.partner.forms import (
    ActionForm,
    ConfirmForm,
    InstitutionForm,
    InviteForm,
    NewInstitutionForm,
)
from mooc_portal.partner.views import (
    COURSE_STATUS_LABELS,
    fill_institution_form,
    institution_data,
    invite_from_form,
)
from mooc_portal.publishing import services, staff, workflow
from mooc_portal.reference import ASEM_COUNTRIES, Region
from mooc_portal.transaction import no_commit
from mooc_portal.web import current_language, list_page_request, show_as_page_at

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/")
@admin_required
def review_queue() -> str:
    return render_template(
        "mooc_portal/admin/queue.html",
        page=workflow.review_queue(current_account(), list_page_request()),
    )


def _review_page(course: Any, form: ActionForm) -> str:
    actor = current_account()
    return render_template(
        "mooc_portal/admin/review.html",
        **course_page(course, preview=True),
        checklist=workflow.quality_checklist(course),
        actions=workflow.allowed_actions(actor, course),
        action_labels=workflow.ACTION_LABELS,
        history=workflow.review_history(course),
        form=form,
    )


@bp.route("/courses/<uuid:course_uuid>")
@admin_required
def review(course_uuid: UUID) -> str:
    course = services.get_course_for_staff(logged_in_account(), course_uuid)
    return _review_page(course, ActionForm())


@bp.route("/courses/<uuid:course_uuid>/transition", methods=["POST"])
@admin_required
def transition(course_uuid: UUID) -> Any:
    actor = logged_in_account()
    course = services.get_course_for_staff(actor, course_uuid)
    form = ActionForm()
    if not form.validate_on_submit():
        # The review page again, the comment kept: an expired form says so above the buttons.
        if form.csrf_token.errors:
            form.form_errors.append(_expired().message)
        return _review_page(course, form), 400
    try:
        workflow.transition_course(actor, course, form.action.data, comment=form.comment.data)
    except (InvalidInput, Conflict) as error:
        # The review page again, the message at the comment or above the buttons.
        status = show_service_error(form, error)
        return _review_page(course, form), status
    flash(
        _(
            "Done: the course is now %(status)s.",
            status=COURSE_STATUS_LABELS[CourseStatus(course.status)],
        )
    )
    return redirect(url_for(".review_queue"))


@bp.route("/audit")
@admin_required
def audit_log() -> Any:
    form = AuditFilterForm(request.args)
    language = current_language()
    named = sorted(
        (
            (institution.slug, institution.text("name", language).text)
            for institution in staff.list_institutions(current_account())
        ),
        key=lambda pair: pair[1].casefold(),
    )
    form.institution.choices = [("", _("Any institution")), *named]
    filters = AuditFilter()
    notice = None
    if form.validate():
        institution_id = None
        if form.institution.data:
            try:
                institution_id = staff.get_institution(form.institution.data.strip()).id
            except PortalError:
                form.institution.errors = [_("No such institution.")]
                institution_id = -1
        filters = AuditFilter(
            entity=form.entity.data or None,
            action=(form.action.data or "").strip() or None,
            actor_email=form.actor.data or None,
            institution_id=institution_id,
            since=form.since.data,
            until=form.until.data,
        )
    else:
        notice = _("Some filters were not valid and are ignored.")
    page = list_audit_entries(logged_in_account(), filters, list_page_request())
    return render_template("mooc_portal/admin/audit.html", form=form, page=page, notice=notice)


def _expired() -> InvalidInput:
    return InvalidInput(_("The form has expired; try again."))


def _refused_on(endpoint: str, page: Any, error: PortalError) -> Any:
    """The list ``endpoint`` shows (``page()``) again with ``error``'s message above it,
    answering with its status; nothing of the refused action is committed."""
    no_commit()
    session.rollback()
    show_as_page_at(endpoint)
    return page(error.message), error.status


@bp.route("/institutions")
@admin_required
def institutions() -> str:
    return _institutions_page()


def _institutions_page(refusal: str | None = None) -> str:
    chosen = parse_institution_filter(request.args.get("region"), request.args.get("country"))
    page = staff.institutions_page(current_account(), chosen, list_page_request())
    language = current_language()
    return render_template(
        "mooc_portal/admin/institutions.html",
        page=page,
        chosen=chosen,
        regions=list(Region),
        region_label=region_label,
        countries=[code for code, _name in country_choices(ASEM_COUNTRIES, language)],
        confirm=ConfirmForm(),
        refusal=refusal,
    )


@bp.route("/institutions/new", methods=["GET", "POST"])
@admin_required
def institution_new() -> Any:
    form = NewInstitutionForm()
    if form.validate_on_submit():
        with service_errors_shown_on(form):
            institution = staff.create_institution(
                logged_in_account(), institution_data(form, form.slug.data)
            )
            flash(_("The institution is created."), "success")
            return redirect(url_for(".institution_edit", slug=institution.slug))
    return render_template(
        "mooc_portal/partner/form.html",
        form=form,
        heading=_("New institution"),
        back_url=url_for(".institutions"),
    ), form_status(form)


@bp.route("/institutions/<slug>", methods=["GET", "POST"])
@admin_required
def institution_edit(slug: str) -> Any:
    actor = logged_in_account()
    institution = staff.get_institution(slug)
    form = InstitutionForm()
    if request.method == "GET":
        fill_institution_form(form, institution)
    elif form.validate_on_submit():
        with service_errors_shown_on(form):
            staff.update_institution(actor, institution, institution_data(form))
            flash(_("The institution is saved."), "success")
            return redirect(url_for(".institutions"))
    return render_template(
        "mooc_portal/admin/institution.html",
        institution=institution,
        form=form,
        invite=InviteForm(formdata=None),
        members=staff.institution_staff_page(actor, institution, list_page_request()),
        confirm=ConfirmForm(),
    ), form_status(form)


@bp.route("/institutions/<slug>/logo", methods=["GET", "POST"])
@admin_required
def institution_logo(slug: str) -> Any:
    from mooc_portal.partner.views.logo_views import logo_page

    institution = staff.get_institution(slug)
    return logo_page(institution, url_for(".institution_edit", slug=slug))


@bp.route("/institutions/<slug>/staff", methods=["POST"])
@admin_required
def institution_assign(slug: str) -> Any:
    actor = logged_in_account()
    institution = staff.get_institution(slug)
    form = InviteForm()
    if invite_from_form(actor, institution, form):
        return redirect(url_for(".institution_edit", slug=slug))
    fill = InstitutionForm(formdata=None)
    fill_institution_form(fill, institution)
    return render_template(
        "mooc_portal/admin/institution.html",
        institution=institution,
        form=fill,
        invite=form,
        members=staff.institution_staff_page(actor, institution, list_page_request()),
        confirm=ConfirmForm(),
    ), 400


@bp.route("/institutions/<slug>/active", methods=["POST"])
@admin_required
def institution_active(slug: str) -> Any:
    institution = staff.get_institution(slug)
    active = request.form.get("active") == "1"
    try:
        if not ConfirmForm().validate_on_submit():
            raise _expired()
        staff.set_institution_active(logged_in_account(), institution, active)
    except (InvalidInput, Conflict) as error:
        return _refused_on(".institutions", _institutions_page, error)
    flash(
        _("The institution is active.") if active else _("The institution is deactivated."),
        "success",
    )
    return redirect(url_for(".institutions"))


@bp.route("/jobs")
@admin_required
def jobs() -> str:
    return _jobs_page()


def _jobs_page(refusal: str | None = None) -> str:
    from mooc_portal.jobs import services as jobs

    actor = logged_in_account()
    return render_template(
        "mooc_portal/admin/jobs.html",
        page=jobs.jobs_page(actor, list_page_request()),
        mail=jobs.waiting_mail(actor, list_page_request("mail_")),
        refusal=refusal,
    )


@bp.route("/jobs/<int(max=2147483647):job_id>/retry", methods=["POST"])
@admin_required
def job_retry(job_id: int) -> Any:
    from mooc_portal.jobs import services as jobs

    try:
        if not ConfirmForm().validate_on_submit():
            raise _expired()
        jobs.retry_job(logged_in_account(), job_id)
    except (InvalidInput, Conflict) as error:
        return _refused_on(".jobs", _jobs_page, error)
    flash(_("The job will run again."))
    return redirect(url_for("portal.admin.jobs"))


# The pages of each part register on ``bp`` when their module is imported.
from mooc_portal.admin.views import certificates, learners, peers, privacy  # noqa: E402

__all__ = ["bp", "certificates", "learners", "peers", "privacy"]
