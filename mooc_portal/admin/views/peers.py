"""Administrators' pages of federation: the peer portals and their harvests."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from mooc_portal.accounts.permissions import admin_required
from mooc_portal.accounts.services import current_account
from mooc_portal.admin.views import bp
from mooc_portal.federation.forms import PeerForm
from mooc_portal.federation.services import peers as services
from mooc_portal.forms import form_status, service_errors_shown_on
from mooc_portal.numbers import DB_ID
from mooc_portal.web import list_page_request, require_csrf


@bp.route("/peers", methods=["GET", "POST"])
@admin_required
def peers() -> Any:
    actor = current_account()
    form = PeerForm()
    if form.validate_on_submit():
        with service_errors_shown_on(form):
            services.register_peer(
                actor, name=form.name.data, base_url=form.base_url.data, enabled=form.enabled.data
            )
            return redirect(url_for(".peers"))
    return render_template(
        "mooc_portal/federation/peers.html",
        page=services.list_peers(actor, list_page_request()),
        form=form,
        title=_("Peer portals"),
    ), form_status(form)


@bp.route(f"/peers/<{DB_ID}:peer_id>/enabled", methods=["POST"])
@admin_required
def peer_enabled(peer_id: int) -> Any:
    require_csrf()
    services.set_peer_enabled(current_account(), peer_id, request.form.get("enabled") == "1")
    return redirect(url_for(".peers"))


@bp.route(f"/peers/<{DB_ID}:peer_id>/interval", methods=["POST"])
@admin_required
def peer_interval(peer_id: int) -> Any:
    require_csrf()
    services.set_harvest_interval(current_account(), peer_id, request.form.get("interval", ""))
    flash(_("The harvest interval is saved."))
    return redirect(url_for(".peers"))


@bp.route(f"/peers/<{DB_ID}:peer_id>/harvest", methods=["POST"])
@admin_required
def peer_harvest(peer_id: int) -> Any:
    require_csrf()
    if services.harvest_now(current_account(), peer_id):
        flash(_("The harvest is queued; its run appears here when the worker has done it."))
    else:
        flash(_("A harvest of this peer already waits or runs."))
    return redirect(url_for(".peers"))
