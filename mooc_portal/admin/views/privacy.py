"""Administrators' pages of privacy: the records of processing and the notice editor."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from mooc_portal.accounts.permissions import admin_required, require_admin
from mooc_portal.accounts.services import current_account
from mooc_portal.admin.views import bp
from mooc_portal.forms import form_status, service_errors_shown_on
from mooc_portal.privacy import notices, processing
from mooc_portal.privacy.forms import notice_form
from mooc_portal.web import list_page_request


@bp.route("/privacy")
@admin_required
def privacy_records() -> str:
    requests = processing.handled_requests(current_account(), list_page_request())
    return render_template(
        "mooc_portal/privacy/records.html",
        activities=processing.processing_activities(),
        cookies=processing.cookies(),
        shared_fields=processing.shared_fields(),
        requests=requests,
        controller=current_app.config["MOOC_PRIVACY_CONTROLLER"],
        contact=current_app.config["MOOC_PRIVACY_CONTACT"],
        notice=notices.current_notice(),
    )


@bp.route("/privacy/notice", methods=["GET", "POST"])
@admin_required
def privacy_notice() -> Any:
    actor = require_admin(current_account())
    form = notice_form()
    current = notices.current_notice()
    if request.method == "GET" and current is not None:
        for text in current.texts:
            if f"body_{text.language}" in form:
                form[f"body_{text.language}"].data = text.body
    if form.validate_on_submit():
        with service_errors_shown_on(form):
            published = notices.publish_notice(
                {f.name.removeprefix("body_"): f.data for f in form.bodies()},
                changes=form.changes.data or "",
                actor=actor,
            )
            flash(
                _(
                    "Version %(version)d is published; learners see it at their next log-in.",
                    version=published.version,
                ),
                "success",
            )
            return redirect(url_for(".privacy_notice"))
    return render_template(
        "mooc_portal/privacy/edit_notice.html", form=form, current=current
    ), form_status(form)
