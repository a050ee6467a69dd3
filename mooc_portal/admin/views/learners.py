"""Administrators' pages of every run's learners: enrolments to review and progress figures.

The pages are the partner staff's, over every institution: the enrolment and progress views
render both scopes.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import Response

from mooc_portal.accounts.permissions import admin_required
from mooc_portal.admin.views import bp
from mooc_portal.enrollment.views import export_enrolments, review_page
from mooc_portal.progress.views import progress_csv, run_figures


@bp.route("/enrolments")
@admin_required
def enrolments() -> Any:
    return review_page("admin")


@bp.route("/enrolments.csv")
@admin_required
def enrolments_csv() -> Response:
    return export_enrolments("admin")


@bp.route("/runs/<uuid:run_uuid>/progress")
@admin_required
def run_progress(run_uuid: UUID) -> str:
    return run_figures(run_uuid, "admin")


@bp.route("/runs/<uuid:run_uuid>/progress.csv")
@admin_required
def run_progress_csv(run_uuid: UUID) -> Response:
    return progress_csv(run_uuid, "admin")
