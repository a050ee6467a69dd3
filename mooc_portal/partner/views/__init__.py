"""Partner staff pages (``/partner/...``): dashboard, courses, translations, runs, outline,
review workflow, preview, image, institution profile and staff. This module holds the
blueprint and the dashboard; each part's pages live in a module of their own.

Views are thin: every check of who may act happens in the publishing services, which answer
NotFound to staff of another institution.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import Blueprint, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l

from mooc_portal.accounts.permissions import logged_in_account, login_required
from mooc_portal.accounts.services import current_account
from mooc_portal.catalog.models import Course, CourseStatus
from mooc_portal.publishing import services, staff
from mooc_portal.publishing.dashboard import institution_dashboard
from mooc_portal.publishing.permissions import require_account
from mooc_portal.web import list_page_request

bp: Blueprint = Blueprint("partner", __name__, url_prefix="/partner")

# The course states in words, for messages (templates/partner/_status.html has the same labels).
COURSE_STATUS_LABELS = {
    CourseStatus.DRAFT: _l("Draft"),
    CourseStatus.IN_REVIEW: _l("In review"),
    CourseStatus.PUBLISHED: _l("Published"),
    CourseStatus.WITHDRAWN: _l("Withdrawn"),
}


def _course(course_uuid: UUID) -> Course:
    return services.get_course_for_staff(current_account(), course_uuid)


def _course_url(course: Course) -> str:
    return url_for(".course_overview", course_uuid=course.uuid)


# --- dashboard --------------------------------------------------------------------------------


@bp.route("/")
@login_required
def index() -> Any:
    actor = require_account(logged_in_account())
    institutions = [m.institution for m in actor.active_memberships]
    if len(institutions) == 1:
        return redirect(url_for(".dashboard", slug=institutions[0].slug))
    return render_template("mooc_portal/partner/index.html", institutions=institutions)


@bp.route("/<slug>/")
@login_required
def dashboard(slug: str) -> str:
    actor = logged_in_account()
    institution = staff.get_institution_for_staff(actor, slug)
    role = actor.role_in(institution.id) if actor else None
    return render_template(
        "mooc_portal/partner/dashboard.html",
        institution=institution,
        lists=institution_dashboard(institution, list_page_request),
        # Only managers (and administrators) review enrolments; editors see what waits.
        review_endpoint="portal.enrollment.partner_review"
        if role == "manager"
        else "portal.admin.enrolments"
        if actor is not None and actor.is_admin
        else None,
        role=role,
    )


# The pages of each part register on ``bp`` when their module is imported.
from mooc_portal.partner.views import (  # noqa: E402
    course_views,
    import_views,
    logo_views,
    outline_views,
    staff_views,
)
from mooc_portal.partner.views.staff_views import (  # noqa: E402
    fill_institution_form,
    institution_data,
    invite_from_form,
)

__all__ = [
    "COURSE_STATUS_LABELS",
    "bp",
    "course_views",
    "fill_institution_form",
    "import_views",
    "institution_data",
    "invite_from_form",
    "logo_views",
    "outline_views",
    "staff_views",
]
