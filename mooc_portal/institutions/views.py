"""Partner pages."""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import select

from mooc_portal.db import session
from mooc_portal.institutions.models import Institution

bp = Blueprint("institutions", __name__)


@bp.route("/institutions")
def institution_list() -> str:
    institutions = session.scalars(select(Institution).where(Institution.active.is_(True))).all()
    return render_template("institutions/institution_list.html", institutions=institutions)


@bp.route("/institutions/<slug>")
def institution_detail(slug: str) -> str:
    institution = session.scalar(
        select(Institution).where(Institution.slug == slug, Institution.active.is_(True))
    )
    if institution is None:
        from flask import abort

        abort(404)
    return render_template("institutions/institution_detail.html", institution=institution)
