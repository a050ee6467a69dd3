"""Institution profile, staff list and invitations."""

from __future__ import annotations

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

from mooc_portal.accounts import services as accounts
from mooc_portal.accounts.models import StaffRole
from mooc_portal.accounts.permissions import logged_in_account, login_required, to_login_page
from mooc_portal.accounts.services import current_account
from mooc_portal.db import session
from mooc_portal.errors import Conflict, InvalidInput
from mooc_portal.forms import form_status, language_version_form, service_errors_shown_on
from mooc_portal.i18n import language_name
from mooc_portal.partner.forms import (
    ROLE_NAMES,
    ConfirmForm,
    InstitutionForm,
    InstitutionNameForm,
    InviteForm,
    RoleForm,
    SetPasswordForm,
)
from mooc_portal.partner.views import bp
from mooc_portal.publishing import staff
from mooc_portal.publishing.permissions import require_manager
from mooc_portal.transaction import no_commit
from mooc_portal.web import current_language, list_page_request, localized_text, show_as_page_at

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
        kind=form.kind.data,
    )


def fill_institution_form(form: InstitutionForm, institution: Any) -> None:
    text = next(
        (t for t in institution.translations if t.language == institution.original_language),
        None,
    )
    form.name.data = text.name if text else ""
    form.short_name.data = text.short_name if text else ""
    form.description.data = text.description if text else ""
    for name in ("country", "original_language", "website", "contact_email", "kind"):
        getattr(form, name).data = getattr(institution, name)


@bp.route("/<slug>/profile", methods=["GET", "POST"])
@login_required
def institution_profile(slug: str) -> Any:
    actor = logged_in_account()
    institution = staff.get_institution_for_staff(actor, slug)
    require_manager(actor, institution)
    form = InstitutionForm()
    if request.method == "GET":
        fill_institution_form(form, institution)
    elif form.validate_on_submit():
        with service_errors_shown_on(form):
            staff.update_institution(actor, institution, institution_data(form))
            flash(_("The profile is saved."), "success")
            return redirect(url_for(".dashboard", slug=slug))
    return render_template(
        "mooc_portal/partner/institution_profile.html",
        form=form,
        heading=_("Institution profile"),
        back_url=url_for(".dashboard", slug=slug),
        institution=institution,
        confirm=ConfirmForm(),
    ), form_status(form)


def _names_back_url(actor: Any, institution: Any) -> str:
    """Where the names pages lead back to: the profile for the institution's own managers, the
    institution's page in the administration for administrators."""
    if actor.role_in(institution.id) is None and actor.is_admin:
        return url_for("portal.admin.institution_edit", slug=institution.slug)
    return url_for(".institution_profile", slug=institution.slug)


@bp.route("/<slug>/names/new", methods=["GET", "POST"])
@bp.route("/<slug>/names/<language>", methods=["GET", "POST"])
@login_required
def institution_name_edit(slug: str, language: str | None = None) -> Any:
    """The institution's name in one language: added (``new``) or edited."""
    actor = logged_in_account()
    institution = staff.get_institution_for_staff(actor, slug)
    require_manager(actor, institution)
    form = language_version_form(InstitutionNameForm, institution.translations, language)
    if form.validate_on_submit():
        with service_errors_shown_on(form):
            staff.save_institution_name(
                actor,
                institution,
                staff.InstitutionNameData(
                    language=language or form.language.data,
                    name=form.name.data,
                    short_name=form.short_name.data,
                    description=form.description.data,
                ),
                new=language is None,
            )
            flash(_("The name is saved."), "success")
            return redirect(_names_back_url(actor, institution))
    return render_template(
        "mooc_portal/partner/form.html",
        form=form,
        heading=_(
            "The institution's name in %(language)s",
            language=language_name(language, current_language()),
        )
        if language
        else _("Add the institution's name in another language"),
        back_url=_names_back_url(actor, institution),
    ), form_status(form)


@bp.route("/<slug>/names/<language>/delete", methods=["POST"])
@login_required
def institution_name_delete(slug: str, language: str) -> Any:
    actor = logged_in_account()
    institution = staff.get_institution_for_staff(actor, slug)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    staff.delete_institution_name(actor, institution, language)
    flash(_("The name in this language is removed."), "success")
    return redirect(_names_back_url(actor, institution))


def invite_from_form(actor: Any, institution: Any, form: InviteForm) -> bool:
    """Send the invitation a submitted InviteForm asks for (partner managers and
    administrators invite the same way); False, with the errors on the form, if not sent."""
    if form.validate_on_submit():
        with service_errors_shown_on(form):
            staff.invite_staff(
                actor,
                institution,
                form.email.data,
                form.role.data,
                display_name=form.display_name.data,
            )
            flash(_("The invitation is sent."), "success")
            return True
    return False


@dataclass
class RefusedStaffChange:
    """A role change or removal a service refused, shown again at the member's row."""

    account_uuid: UUID
    message: str
    role: str | None = None


def staff_page(
    actor: Any,
    institution: Any,
    form: InviteForm,
    members: Any = None,
    refused: RefusedStaffChange | None = None,
) -> str:
    if members is None:
        members = staff.institution_staff_page(actor, institution, list_page_request())
    return render_template(
        "mooc_portal/partner/staff.html",
        institution=institution,
        members=members,
        form=form,
        role_form=RoleForm(),
        role_names=ROLE_NAMES,
        confirm=ConfirmForm(),
        can_manage=actor is not None and actor.may_act_for(institution.id, StaffRole.MANAGER),
        refused=refused,
    )


@bp.route("/<slug>/staff", methods=["GET", "POST"])
@login_required
def staff_list(slug: str) -> Any:
    actor = logged_in_account()
    institution = staff.get_institution_for_staff(actor, slug)
    members = staff.institution_staff_page(actor, institution, list_page_request())
    form = InviteForm()
    if form.is_submitted():
        require_manager(actor, institution)  # editors see the list; managers invite
    if invite_from_form(actor, institution, form):
        return redirect(url_for(".staff_list", slug=slug))
    return staff_page(actor, institution, form, members), form_status(form)


@bp.route("/<slug>/staff/<uuid:account_uuid>/<operation>", methods=["POST"])
@login_required
def staff_change(slug: str, account_uuid: UUID, operation: str) -> Any:
    actor = logged_in_account()
    institution = staff.get_institution_for_staff(actor, slug)
    role = None
    try:
        if operation == "role":
            form = RoleForm()
            role = form.role.data
            if not form.validate_on_submit():
                expired = _("The form has expired; try again.")
                raise InvalidInput(" ".join(form.role.errors) or expired, field="role")
            staff.change_staff_role(actor, institution, account_uuid, role)
        elif operation == "remove":
            if not ConfirmForm().validate_on_submit():
                raise InvalidInput(_("The form has expired; try again."))
            staff.remove_staff(actor, institution, account_uuid)
        else:
            abort(404)
    except (InvalidInput, Conflict) as error:
        # The staff list again, the refusal at the member's row, the chosen role kept.
        no_commit()
        session.rollback()
        show_as_page_at(".staff_list", slug=slug)
        refused = RefusedStaffChange(account_uuid, error.message, role)
        return staff_page(
            actor, institution, InviteForm(formdata=None), refused=refused
        ), error.status
    flash(_("The staff list is saved."), "success")
    return redirect(url_for(".staff_list", slug=slug))


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def accept_invitation(token: str) -> Any:
    """An invitation link: a new invitee chooses a password; someone who already has an account
    accepts while logged in as the invited address (after logging in, they come back here)."""
    membership = accounts.membership_for_invitation(token)
    account = membership.account
    actor = current_account()
    institution_name = localized_text(membership.institution, "name")
    if accounts.needs_password(account):
        form: Any = SetPasswordForm()
        intro = _(
            "Welcome, %(name)s. Choose a password for %(email)s to join the staff of "
            "%(institution)s.",
            name=account.display_name,
            email=account.email,
            institution=institution_name.text,
        )
        heading, submit = _("Set your password"), None
    else:
        if actor is None:
            return to_login_page()
        accounts.require_invitee(membership, actor)
        form = ConfirmForm()
        intro = _(
            "%(institution)s invites %(email)s to its staff.",
            institution=institution_name.text,
            email=account.email,
        )
        heading, submit = _("Accept the invitation"), _("Accept")
    if form.validate_on_submit():
        password = form.password.data if isinstance(form, SetPasswordForm) else None
        with service_errors_shown_on(form):
            accounts.accept_invitation(token, actor=actor, password=password)
            if password is not None:
                flash(_("Your password is set. Log in to continue."), "success")
                return redirect(url_for("portal.accounts.login"))
            flash(_("You are now on the staff of %(name)s.", name=institution_name.text), "success")
            return redirect(url_for(".dashboard", slug=membership.institution.slug))
    return render_template(
        "mooc_portal/partner/form.html",
        form=form,
        heading=heading,
        intro=intro,
        submit_label=submit,
    ), form_status(form)
