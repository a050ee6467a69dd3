"""Federation's blueprints: the JSON API (``api_bp``) and the pages (``federation_bp``)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, redirect, render_template, stream_with_context, url_for
from flask_babel import gettext as _

from mooc_portal.accounts.permissions import login_required
from mooc_portal.accounts.services import current_account
from mooc_portal.cors import allow_public_reads
from mooc_portal.federation.api import bp as api_bp
from mooc_portal.federation.discovery import course_json_ld, sitemap
from mooc_portal.federation.forms import ApiTokenForm
from mooc_portal.federation.ooapi import bp as ooapi_bp
from mooc_portal.forms import form_status, service_errors_shown_on
from mooc_portal.numbers import DB_ID
from mooc_portal.web import list_page_request, require_csrf

federation_bp = Blueprint("federation", __name__)
federation_bp.register_blueprint(ooapi_bp)
allow_public_reads(federation_bp, endpoints={"sitemap_xml"})

__all__ = ["api_bp", "federation_bp"]


@federation_bp.app_template_global("mooc_course_json_ld")
def course_json_ld_global(course: Any) -> dict[str, Any]:
    """``{% include "mooc_portal/federation/course_jsonld.html" %}`` on the course page uses it."""
    from mooc_portal.web import current_language

    return course_json_ld(course, current_language())


@federation_bp.route("/sitemap.xml")
def sitemap_xml() -> Response:
    return Response(stream_with_context(sitemap()), mimetype="application/xml")


def _managed_institution(slug: str) -> Any:
    from sqlalchemy import select

    from mooc_portal.db import session
    from mooc_portal.errors import NotFound
    from mooc_portal.institutions.models import Institution

    institution = session.scalar(select(Institution).where(Institution.slug == slug))
    if institution is None:
        raise NotFound(_("No such institution."))
    return institution


@federation_bp.route("/partner/<slug>/api-tokens", methods=["GET", "POST"])
@login_required
def api_tokens(slug: str) -> Any:
    from mooc_portal.federation import partner

    actor = current_account()
    institution = _managed_institution(slug)
    form = ApiTokenForm()
    new_token = None
    if form.validate_on_submit():
        with service_errors_shown_on(form):
            _, new_token = partner.create_api_token(actor, institution, form.name.data)
            form = ApiTokenForm(formdata=None)
    response = Response(
        render_template(
            "mooc_portal/federation/api_tokens.html",
            institution=institution,
            tokens=partner.list_api_tokens(actor, institution, list_page_request()),
            form=form,
            new_token=new_token,
        ),
        status=200 if new_token else form_status(form),
    )
    response.headers["Cache-Control"] = "no-store"  # the new token is shown once
    return response


@federation_bp.route(f"/partner/<slug>/api-tokens/<{DB_ID}:token_id>/revoke", methods=["POST"])
@login_required
def revoke_api_token(slug: str, token_id: int) -> Any:
    from mooc_portal.federation import partner

    require_csrf()
    partner.revoke_api_token(current_account(), _managed_institution(slug), token_id)
    return redirect(url_for("portal.federation.api_tokens", slug=slug))
