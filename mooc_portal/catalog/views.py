"""Catalog pages: the course search and the course page."""

from __future__ import annotations

from flask import Blueprint, render_template

from mooc_portal.catalog.services import get_public_course, public_courses
from mooc_portal.db import session

bp = Blueprint("catalog", __name__)


@bp.route("/courses")
def course_list() -> str:
    courses = session.scalars(public_courses().limit(20)).all()
    return render_template("catalog/course_list.html", courses=courses)


@bp.route("/courses/<slug>")
def course_detail(slug: str) -> str:
    return render_template("catalog/course_detail.html", course=get_public_course(slug))
