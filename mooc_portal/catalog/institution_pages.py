"""Partner pages: the institutions, searched and filtered by region and country, and each
institution's profile with its public courses (the catalog's pages: institutions know nothing
of courses)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, make_response, render_template, request

from mooc_portal.caching import cached_page
from mooc_portal.catalog import institutions as catalog
from mooc_portal.institutions import services
from mooc_portal.reference import Region
from mooc_portal.web import current_language, list_page_request

bp = Blueprint("institutions", __name__)


# A grid of two, three, four or six columns fills its last row.
PARTNER_PAGE_SIZE = 24


@bp.route("/institutions")
@cached_page()
def institution_list() -> str:
    search = catalog.parse_partner_search(request.args)
    directory = catalog.search_partners(
        search, current_language(), list_page_request(default_size=PARTNER_PAGE_SIZE)
    )
    return render_template(
        "mooc_portal/institutions/institution_list.html",
        search=search,
        page=directory.page,
        countries=directory.countries,
        regions=list(Region),
        region_label=services.region_label,
    )


JSON_TYPES = ("application/ld+json", "application/json")


@bp.route("/institutions/<slug>")
def institution_detail(slug: str) -> Any:
    """The institution's page; as JSON (``Accept``), its Open Badges ``Profile``: the
    ``creator`` of the achievements in the portal's certificates dereferences to it."""
    best = request.accept_mimetypes.best_match(["text/html", *JSON_TYPES])
    if best in JSON_TYPES:
        response = jsonify(services.institution_profile(services.get_public_institution(slug)))
        response.mimetype = best
        response.vary.add("Accept")
        return response
    response = _institution_page(slug)
    response.vary.add("Accept")
    return response


@cached_page()
def _institution_page(slug: str) -> Any:
    """The HTML page, cached (the JSON Profile above is never served from this cache)."""
    institution = services.get_public_institution(slug)
    return make_response(
        render_template(
            "mooc_portal/institutions/institution_detail.html",
            institution=institution,
            courses=catalog.list_public_courses_of(institution),
            region_label=services.region_label(institution.region_enum),
        )
    )
