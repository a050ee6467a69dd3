"""Institution profile, staff list and invitations."""

from __future__ import annotations

from typing import Any

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _

from mooc_portal.accounts.models import StaffRole
from mooc_portal.accounts.services import account_for_reset_token, current_account, reset_password
from mooc_portal.errors import PortalError
from mooc_portal.partner.forms import (
    ConfirmForm,
    InstitutionForm,
    InviteForm,
    RoleForm,
    SetPasswordForm,
    attach_error,
)
from mooc_portal.partner.views import bp
from mooc_portal.publishing import staff
from mooc_portal.publishing.permissions import require_manager

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
