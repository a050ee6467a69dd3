"""Certificate pages: public verification, the signed Open Badge, its PDF, revocation; the
issuer's DID document and revocation status lists."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, flash, jsonify, redirect, render_template, url_for
from flask_babel import gettext as _

from mooc_portal.accounts.permissions import logged_in_account, login_required
from mooc_portal.accounts.services import current_account
from mooc_portal.certificates import issuer, services
from mooc_portal.certificates.forms import RevokeForm
from mooc_portal.certificates.pdf import certificate_pdf
from mooc_portal.cors import allow_public_reads
from mooc_portal.errors import Conflict, InvalidInput
from mooc_portal.forms import service_errors_shown_on, shown_error_status
from mooc_portal.numbers import DB_ID

bp = Blueprint("certificates", __name__, url_prefix="/certificates")
issuer_bp = Blueprint("credentials", __name__)
# A verifier or wallet in a browser fetches the credential, its status list and the DID
# document from another origin.
allow_public_reads(bp, endpoints={"certificate_badge", "certificate_download", "status_list"})
allow_public_reads(issuer_bp)


def _json(document: Any, mimetype: str = "application/json") -> Response:
    response = jsonify(document)
    response.mimetype = mimetype
    return response


@bp.route("/<code>")
def certificate_detail(code: str) -> Any:
    certificate = services.get_certificate(code)
    account = current_account()
    form = RevokeForm() if account is not None and account.is_admin else None
    return render_template(
        "mooc_portal/certificates/certificate.html",
        certificate=certificate,
        form=form,
        linkedin_url=services.linkedin_url(certificate) if certificate.is_valid else None,
        show_reason=certificate.revoke_reason_public or form is not None,
    )


@bp.route("/<code>.json")
def certificate_badge(code: str) -> Any:
    """The signed Open Badge credential; 410 Gone, with when, once it is revoked."""
    certificate = services.get_certificate(code)
    if not certificate.is_valid:
        return jsonify(services.revocation_notice(certificate)), 410
    return _json(services.signed_open_badge(certificate), "application/ld+json")


@bp.route("/<code>/download")
def certificate_download(code: str) -> Any:
    """The signed credential as a file to keep or import into a wallet."""
    certificate = services.get_certificate(code)
    if not certificate.is_valid:
        return jsonify(services.revocation_notice(certificate)), 410
    body = json.dumps(services.signed_open_badge(certificate), ensure_ascii=False, indent=2)
    return Response(
        body + "\n",
        mimetype="application/ld+json",
        headers={"Content-Disposition": f'attachment; filename="certificate-{code}.json"'},
    )


@bp.route("/<code>.pdf")
def certificate_pdf_view(code: str) -> Any:
    certificate = services.get_certificate(code)
    if not certificate.is_valid:
        return jsonify(services.revocation_notice(certificate)), 410
    return Response(
        certificate_pdf(certificate),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="certificate-{code}.pdf"'},
    )


@bp.route(f"/status/<{DB_ID}:number>")
def status_list(number: int) -> Any:
    """The signed revocation status list (Bitstring Status List) of the given number."""
    response = _json(services.status_list_credential(number), "application/vc+ld+json")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/<code>/revoke", methods=["POST"])
@login_required
def revoke(code: str) -> Any:
    certificate = services.get_certificate(code)
    form = RevokeForm()
    if form.validate_on_submit():
        # A reason left empty, or a certificate revoked meanwhile: the page again, with the
        # message at the reason or above the form; who may not revoke meets the error page.
        with service_errors_shown_on(form, (InvalidInput, Conflict)):
            services.revoke_certificate(
                certificate,
                form.reason.data,
                actor=logged_in_account(),
                reason_public=bool(form.reason_public.data),
            )
            flash(_("The certificate is revoked."), "success")
            return redirect(url_for(".certificate_detail", code=code))
    return render_template(
        "mooc_portal/certificates/certificate.html",
        certificate=certificate,
        form=form,
        linkedin_url=services.linkedin_url(certificate),
        show_reason=True,
    ), shown_error_status(form) or 400


@issuer_bp.route("/.well-known/did.json")
def did_document() -> Any:
    """The portal's ``did:web`` document (its path when the public URL has no path)."""
    return _json(issuer.did_document(), "application/did+json")


@issuer_bp.route("/did.json")
def did_document_at_path() -> Any:
    """The same document where ``did:web`` looks for it when the public URL has a path."""
    return _json(issuer.did_document(), "application/did+json")
