"""Bulk import of courses from CSV or JSON."""

from __future__ import annotations

from typing import Any

from flask import (
    Response,
    redirect,
    render_template,
    request,
    url_for,
)

from mooc_portal.accounts.permissions import login_required
from mooc_portal.accounts.services import current_account
from mooc_portal.errors import PortalError
from mooc_portal.forms import show_service_error
from mooc_portal.partner.forms import (
    ImportForm,
)
from mooc_portal.partner.views import bp
from mooc_portal.publishing import importer, staff
from mooc_portal.web import language_name_filter

# --- bulk import ------------------------------------------------------------------------------


@bp.route("/<slug>/import", methods=["GET", "POST"])
@login_required
def import_courses(slug: str) -> Any:
    actor = current_account()
    institution = staff.get_institution_for_staff(actor, slug)
    form = ImportForm()
    report = None
    filename = ""
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate_on_submit():
            upload = form.file.data
            filename = upload.filename or ""
            try:
                data = upload.read()
                rows = importer.parse_file(data, filename)
                if importer.runs_in_background(rows):
                    importer.import_in_background(
                        actor, institution, data, filename, len(rows), apply=bool(form.apply.data)
                    )
                    return redirect(url_for(".import_courses", slug=slug))
                report = importer.import_courses(
                    actor, institution, rows, apply=bool(form.apply.data)
                )
            except PortalError as error:
                if error.status in (403, 404):
                    raise
                show_service_error(form, error)
            else:
                status = 200 if report.ok else 400
    background = importer.latest_background_import(actor, institution) if report is None else None
    if background is not None and background.report is not None:
        report = importer.report_from_json(background.report)
        filename = background.filename
    return render_template(
        "mooc_portal/partner/import.html",
        institution=institution,
        form=form,
        report=report,
        background=background,
        is_csv=report is not None and not filename.lower().endswith(".json"),
        field_label=lambda key: importer.field_label(key, language_name_filter),
    ), status


@bp.route("/<slug>/import/template.<any(csv, json):kind>")
@login_required
def import_template(slug: str, kind: str) -> Response:
    """The file to fill in, with every column and one example course."""
    staff.get_institution_for_staff(current_account(), slug)
    body = importer.template_csv() if kind == "csv" else importer.template_json()
    return Response(
        body,
        mimetype="text/csv" if kind == "csv" else "application/json",
        headers={"Content-Disposition": f"attachment; filename=course-import-template.{kind}"},
    )
