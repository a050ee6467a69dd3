"""Certificate pages: public verification, the Open Badges document, revocation."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, jsonify, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from mooc_portal.accounts.permissions import login_required
from mooc_portal.accounts.services import current_account
from mooc_portal.certificates import services

bp = Blueprint("certificates", __name__, url_prefix="/certificates")


class RevokeForm(FlaskForm):
    reason = TextAreaField(_l("Reason for revoking"), validators=[DataRequired(), Length(max=2000)])


@bp.route("/<code>")
def certificate_detail(code: str) -> Any:
    certificate = services.get_certificate(code)
    account = current_account()
    form = RevokeForm() if account is not None and account.is_admin else None
    return render_template(
        "mooc_portal/certificates/certificate.html", certificate=certificate, form=form
    )


@bp.route("/<code>.json")
def certificate_badge(code: str) -> Any:
    """The Open Badge credential; 410 Gone, with when and why, once it is revoked."""
    certificate = services.get_certificate(code)
    if not certificate.is_valid:
        return jsonify(services.revocation_notice(certificate)), 410
    response = jsonify(services.open_badge(certificate))
    response.mimetype = "application/ld+json"
    return response


@bp.route("/<code>/revoke", methods=["POST"])
@login_required
def revoke(code: str) -> Any:
    certificate = services.get_certificate(code)
    form = RevokeForm()
    if not form.validate_on_submit():
        return render_template(
            "mooc_portal/certificates/certificate.html", certificate=certificate, form=form
        ), 400
    services.revoke_certificate(certificate, form.reason.data, actor=current_account())
    flash(_("The certificate is revoked."), "success")
    return redirect(url_for(".certificate_detail", code=code))
