"""Catalog pages: the course search and the course page."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _

from mooc_portal.caching import cached_page
from mooc_portal.catalog.filters import parse_catalog_args
from mooc_portal.catalog.search import FACETS, SORTS, search_courses
from mooc_portal.catalog.services import course_page, current_slug, get_public_course
from mooc_portal.errors import NotFound
from mooc_portal.web import current_language

bp = Blueprint("catalog", __name__)


@bp.route("/courses")
@cached_page()
def course_list() -> str:
    parsed = parse_catalog_args(request.args)
    filters = parsed.filters
    notices = parsed.notices
    result = search_courses(
        filters,
        language=current_language(),
        page=parsed.page,
        page_size=current_app.config["MOOC_PAGE_SIZE"],
    )
    if result.page_out_of_range:
        notices.append(
            _("There is no page %(page)d; showing the first page.", page=result.requested_page)
        )
    return render_template(
        "mooc_portal/catalog/course_list.html",
        result=result,
        filters=filters,
        notices=notices,
        facet_names=FACETS,
        sorts=SORTS,
        page_url=lambda page: _page_url(filters, page),
        suggestion_url=(
            _page_url(replace(filters, query=result.suggestion), 1) if result.suggestion else None
        ),
    )


def _page_url(filters: Any, page: int) -> str:
    args: dict[str, Any] = {name: list(getattr(filters, name)) for name in FACETS}
    if filters.query:
        args["q"] = filters.query
    if filters.sort:
        args["sort"] = filters.sort
    if page > 1:
        args["page"] = page
    return url_for("portal.catalog.course_list", **args)


@bp.route("/courses/<slug>")
@cached_page()
def course_detail(slug: str) -> Any:
    try:
        course = get_public_course(slug)
    except NotFound:
        if (moved_to := current_slug(slug)) is None:
            raise
        return redirect(url_for(".course_detail", slug=moved_to), 301)
    return render_template("mooc_portal/catalog/course_detail.html", **course_page(course))
