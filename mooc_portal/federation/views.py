"""Federation's blueprints: the JSON API (``api_bp``) and the pages (``federation_bp``)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, redirect, render_template, stream_with_context, url_for
from flask_babel import gettext as _
from flask_login import login_required

from mooc_portal.accounts.services import current_account
from mooc_portal.errors import PortalError
from mooc_portal.federation import services
from mooc_portal.federation.api import bp as api_bp
from mooc_portal.federation.changes import install_change_tracking
from mooc_portal.federation.discovery import course_json_ld, sitemap
from mooc_portal.federation.forms import PeerForm
from mooc_portal.federation.ooapi import bp as ooapi_bp
from mooc_portal.web import require_csrf

install_change_tracking()

federation_bp = Blueprint("federation", __name__)
federation_bp.register_blueprint(ooapi_bp)

__all__ = ["api_bp", "federation_bp"]


@federation_bp.app_template_global("course_json_ld")
def course_json_ld_global(course: Any) -> dict[str, Any]:
    """``{% include "federation/course_jsonld.html" %}`` on the course page uses it."""
    from mooc_portal.web import current_language

    return course_json_ld(course, current_language())


@federation_bp.route("/sitemap.xml")
def sitemap_xml() -> Response:
    return Response(stream_with_context(sitemap()), mimetype="application/xml")


@federation_bp.route("/admin/peers", methods=["GET", "POST"])
@login_required
def peers() -> Any:
    actor = current_account()
    form = PeerForm()
    if form.validate_on_submit():
        try:
            services.register_peer(
                actor, name=form.name.data, base_url=form.base_url.data, enabled=form.enabled.data
            )
        except PortalError as error:
            if error.field is None or error.status == 403:
                raise
            getattr(form, error.field).errors.append(error.message)
        else:
            return redirect(url_for("portal.federation.peers"))
    status = 400 if form.errors else 200
    return render_template(
        "federation/peers.html",
        peers=services.list_peers(actor),
        form=form,
        title=_("Peer portals"),
    ), status


@federation_bp.route("/admin/peers/<int:peer_id>/enabled", methods=["POST"])
@login_required
def peer_enabled(peer_id: int) -> Any:
    from flask import request

    require_csrf()
    services.set_peer_enabled(current_account(), peer_id, request.form.get("enabled") == "1")
    return redirect(url_for("portal.federation.peers"))
