"""The xAPI pages of the partner area (``/partner/<slug>/xapi/...``): credentials."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, redirect, render_template, url_for
from flask_login import login_required

from mooc_portal.accounts.services import current_account
from mooc_portal.errors import PortalError
from mooc_portal.publishing.permissions import require_account
from mooc_portal.publishing.staff import get_institution
from mooc_portal.transaction import no_commit
from mooc_portal.urls import external_url
from mooc_portal.web import require_csrf
from mooc_portal.xapi import credentials
from mooc_portal.xapi.forms import CredentialForm

bp = Blueprint("xapi_partner", __name__, url_prefix="/partner/<slug>/xapi")


def endpoint_url() -> str:
    """The LRS endpoint partners configure (absolute, from ``MOOC_PUBLIC_URL``)."""
    return external_url("portal.xapi.about").removesuffix("/about")


@bp.route("/credentials", methods=["GET", "POST"])
@login_required
def credentials_page(slug: str) -> Any:
    actor = require_account(current_account())
    institution = get_institution(slug)
    credentials.require_manager(actor, institution)
    form = CredentialForm()
    created = None
    if form.validate_on_submit():
        try:
            created = credentials.create_credential(actor, institution, form.name.data)
        except PortalError as error:
            if error.field != "name":
                raise
            no_commit()
            form.name.errors.append(error.message)
        else:
            form = CredentialForm(formdata=None)
    response = Response(
        render_template(
            "mooc_portal/xapi/credentials.html",
            institution=institution,
            credentials=credentials.list_credentials(actor, institution),
            form=form,
            created=created,
            endpoint=endpoint_url(),
        ),
        status=400 if form.errors else 200,
    )
    response.headers["Cache-Control"] = "no-store"  # the new secret is shown once
    return response


@bp.route("/credentials/<int:credential_id>/revoke", methods=["POST"])
@login_required
def revoke_credential(slug: str, credential_id: int) -> Any:
    require_csrf()
    actor = require_account(current_account())
    credentials.revoke_credential(actor, get_institution(slug), credential_id)
    return redirect(url_for(".credentials_page", slug=slug))
