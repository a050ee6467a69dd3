"""The xAPI pages: credentials and each run's activities in the partner area
(``/partner/<slug>/xapi/...``), and the learner's linked platform accounts
(``/my/platform-accounts``)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import Blueprint, Response, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from mooc_portal.accounts.permissions import login_required
from mooc_portal.accounts.services import current_account
from mooc_portal.catalog.models import CourseRun
from mooc_portal.enrollment import services as enrolment
from mooc_portal.errors import NotFound, PortalError
from mooc_portal.forms import form_status, service_errors_shown_on
from mooc_portal.numbers import DB_ID
from mooc_portal.progress.services import outline_of
from mooc_portal.publishing.permissions import require_account
from mooc_portal.publishing.staff import get_institution
from mooc_portal.transaction import no_commit
from mooc_portal.urls import external_url
from mooc_portal.web import list_page_request, require_csrf
from mooc_portal.xapi import credentials, services
from mooc_portal.xapi.forms import CredentialForm, MappingForm, PlatformAccountForm

bp = Blueprint("xapi_partner", __name__, url_prefix="/partner/<slug>/xapi")
learner_bp = Blueprint("xapi_learner", __name__)


def endpoint_url() -> str:
    """The LRS endpoint partners configure (absolute, from ``MOOC_PUBLIC_URL``)."""
    return external_url("portal.xapi.about").removesuffix("about")


def _attach(form: Any, error: PortalError) -> None:
    field = getattr(form, error.field or "", None)
    if field is None:
        raise error
    no_commit()  # nothing of the refused attempt is kept
    field.errors.append(error.message)


@bp.route("/credentials", methods=["GET", "POST"])
@login_required
def credentials_page(slug: str) -> Any:
    actor = require_account(current_account())
    institution = get_institution(slug)
    credentials.require_manager(actor, institution)
    form = CredentialForm()
    created = None
    if form.validate_on_submit():
        with service_errors_shown_on(form):
            created = credentials.create_credential(actor, institution, form.name.data)
            form = CredentialForm(formdata=None)
    response = Response(
        render_template(
            "mooc_portal/xapi/credentials.html",
            institution=institution,
            credentials=credentials.list_credentials(actor, institution, list_page_request()),
            form=form,
            created=created,
            endpoint=endpoint_url(),
        ),
        status=200 if created else form_status(form),
    )
    response.headers["Cache-Control"] = "no-store"  # the new secret is shown once
    return response


@bp.route(f"/credentials/<{DB_ID}:credential_id>/revoke", methods=["POST"])
@login_required
def revoke_credential(slug: str, credential_id: int) -> Any:
    require_csrf()
    actor = require_account(current_account())
    credentials.revoke_credential(actor, get_institution(slug), credential_id)
    return redirect(url_for(".credentials_page", slug=slug))


def _run(slug: str, run_uuid: UUID) -> CourseRun:
    run = enrolment.get_run(run_uuid)
    if run.course.institution.slug != slug:
        raise NotFound(_("No such run."))
    return run


@bp.route("/runs/<uuid:run_uuid>", methods=["GET", "POST"])
@login_required
def run_page(slug: str, run_uuid: UUID) -> Any:
    actor = require_account(current_account())
    run = _run(slug, run_uuid)
    mapping = services.run_mapping(run, actor=actor)
    lessons = outline_of(run.course_id).lessons
    form = MappingForm()
    form.lesson_id.choices = [("", _("The whole run"))] + [
        (str(lesson.id), lesson.title) for lesson in lessons
    ]
    if form.validate_on_submit():
        try:
            services.add_mapping(
                run,
                form.activity_id.data,
                actor=actor,
                lesson_id=int(form.lesson_id.data) if form.lesson_id.data else None,
            )
        except PortalError as error:
            _attach(form, error)
        else:
            flash(_("The activity is mapped."), "success")
            return redirect(url_for(".run_page", slug=slug, run_uuid=run_uuid))
    return render_template(
        "mooc_portal/xapi/run.html",
        run=run,
        mapping=mapping,
        lessons={lesson.id: lesson for lesson in lessons},
        form=form,
        waiting=services.waiting_statements(run, actor=actor, page=list_page_request()),
        endpoint=endpoint_url(),
        slug=slug,
    ), (400 if form.errors else 200)


@bp.route(f"/runs/<uuid:run_uuid>/mappings/<{DB_ID}:mapping_id>/delete", methods=["POST"])
@login_required
def delete_mapping(slug: str, run_uuid: UUID, mapping_id: int) -> Any:
    require_csrf()
    services.remove_mapping(_run(slug, run_uuid), mapping_id, actor=current_account())
    return redirect(url_for(".run_page", slug=slug, run_uuid=run_uuid))


@learner_bp.route("/my/platform-accounts", methods=["GET", "POST"])
@login_required
def platform_accounts() -> Any:
    account = require_account(current_account())
    form = PlatformAccountForm()
    if form.validate_on_submit():
        try:
            _link, applied = services.link_platform_account(
                account, form.home_page.data, form.name.data
            )
        except PortalError as error:
            _attach(form, error)
        else:
            flash(
                _(
                    "The account is linked. Progress reported earlier: %(n)d statements applied.",
                    n=applied,
                ),
                "success",
            )
            return redirect(url_for(".platform_accounts"))
    return render_template(
        "mooc_portal/xapi/platform_accounts.html",
        links=services.learner_links(account),
        form=form,
    ), (400 if form.errors else 200)


@learner_bp.route(f"/my/platform-accounts/<{DB_ID}:link_id>/delete", methods=["POST"])
@login_required
def unlink_platform_account(link_id: int) -> Any:
    require_csrf()
    services.unlink_platform_account(require_account(current_account()), link_id)
    return redirect(url_for(".platform_accounts"))
