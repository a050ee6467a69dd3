"""Bulk import of courses from CSV or JSON."""

from __future__ import annotations

from typing import Any

from flask import (
    render_template,
    request,
)

from mooc_portal.accounts.permissions import login_required
from mooc_portal.accounts.services import current_account
from mooc_portal.errors import PortalError
from mooc_portal.partner.forms import (
    ImportForm,
    attach_error,
)
from mooc_portal.partner.views import bp
from mooc_portal.publishing import importer, staff

# --- bulk import ------------------------------------------------------------------------------


@bp.route("/<slug>/import", methods=["GET", "POST"])
@login_required
def import_courses(slug: str) -> Any:
    actor = current_account()
    institution = staff.get_institution_for_staff(actor, slug)
    form = ImportForm()
    report = None
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate_on_submit():
            upload = form.file.data
            try:
                rows = importer.parse_file(upload.read(), upload.filename or "")
                report = importer.import_courses(
                    actor, institution, rows, apply=bool(form.apply.data)
                )
            except PortalError as error:
                if error.status in (403, 404):
                    raise
                attach_error(form, error)
            else:
                status = 200 if report.ok else 400
    return render_template(
        "mooc_portal/partner/import.html", institution=institution, form=form, report=report
    ), status
