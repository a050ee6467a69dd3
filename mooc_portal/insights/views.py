"""The insights pages (``/insights/...``) for administrators and partner managers, their CSV
files, and the public "about the initiative" page (``/about``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, abort, render_template, request
from markupsafe import Markup

from mooc_portal.accounts.permissions import login_required
from mooc_portal.accounts.services import current_account
from mooc_portal.caching import cached_page
from mooc_portal.insights import services
from mooc_portal.insights.charts import cached_svg
from mooc_portal.reference import BROAD_FIELDS
from mooc_portal.web import current_language

bp = Blueprint("insights", __name__, url_prefix="/insights")
about_bp = Blueprint("initiative", __name__)


@bp.app_template_global("mooc_chart")
def chart_global(figure: services.Figure) -> Markup:
    """A figure's chart as inline SVG, named by the figure's title and description."""
    assert figure.chart is not None
    return cached_svg(
        figure.chart,
        ident=f"chart-{figure.key}",
        title=figure.title,
        description=figure.description,
    )


def _page(name: str) -> str:
    actor = current_account()
    filters = services.parse_filter(actor, request.args)
    as_of = services.figures_as_of()
    language = current_language()
    return render_template(
        "mooc_portal/insights/page.html",
        page_name=name,
        figures=services.build_page(
            name,
            filters,
            language,
            as_of,
            lambda page: render_template(
                "mooc_portal/insights/_figures.html", page=page, filters=filters
            ),
        ),
        filters=filters,
        as_of=as_of,
        partners=services.partner_choices(actor, language),
        fields=sorted(BROAD_FIELDS),
        region_names=services.REGION_NAMES,
    )


@bp.route("/")
@login_required
def activity() -> str:
    return _page("activity")


@bp.route("/flow")
@login_required
def flow() -> str:
    return _page("flow")


@bp.route("/completion")
@login_required
def completion() -> str:
    return _page("completion")


@bp.route("/catalog")
@login_required
def catalog() -> str:
    return _page("catalog")


@bp.route("/<key>.csv")
@login_required
def figure_csv(key: str) -> Response:
    if key not in services.FIGURE_KEYS:
        abort(404)
    filters = services.parse_filter(current_account(), request.args)
    as_of = services.figures_as_of()
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")
    return Response(
        services.figure_csv(key, filters, current_language(), as_of),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{key}-{stamp}.csv"'},
    )


@about_bp.route("/about")
@cached_page()
def about() -> Any:
    return render_template("mooc_portal/insights/about.html", headline=services.headline_figures())
