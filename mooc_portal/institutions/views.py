"""Partner pages: the institutions by region and country, and each institution's profile."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from mooc_portal.caching import cached_page
from mooc_portal.institutions import services
from mooc_portal.reference import Region
from mooc_portal.web import current_language

bp = Blueprint("institutions", __name__)


@bp.route("/institutions")
@cached_page()
def institution_list() -> str:
    chosen = services.parse_institution_filter(
        request.args.get("region"), request.args.get("country")
    )
    entries = services.list_public_institutions(chosen)
    language = current_language()
    return render_template(
        "mooc_portal/institutions/institution_list.html",
        groups=services.group_by_region(entries, language),
        total=len(entries),
        chosen=chosen,
        regions=list(Region),
        region_label=services.region_label,
        countries=services.partner_countries(language),
    )


@bp.route("/institutions/<slug>")
@cached_page()
def institution_detail(slug: str) -> str:
    institution = services.get_public_institution(slug)
    return render_template(
        "mooc_portal/institutions/institution_detail.html",
        institution=institution,
        courses=services.list_public_courses_of(institution),
        region_label=services.region_label(institution.region_enum),
    )
