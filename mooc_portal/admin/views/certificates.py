"""Administrators' list of certificates, searched by learner, course or certificate."""

from __future__ import annotations

from flask import render_template, request

from mooc_portal.accounts.permissions import admin_required
from mooc_portal.accounts.services import current_account
from mooc_portal.admin.views import bp
from mooc_portal.certificates.listing import SEARCH_MAX_LENGTH, search_certificates
from mooc_portal.web import list_page_request


@bp.route("/certificates")
@admin_required
def certificates() -> str:
    text = request.args.get("q", "")[:SEARCH_MAX_LENGTH]
    page = search_certificates(current_account(), text, list_page_request())
    return render_template("mooc_portal/admin/certificates.html", page=page, q=text)
