"""The public catalog: what is public, figures, and lookups."""

from __future__ import annotations

from sqlalchemy import Select, func, select

from mooc_portal.catalog.models import Course, CourseStatus
from mooc_portal.db import session
from mooc_portal.errors import NotFound
from mooc_portal.institutions.models import Institution


def public_courses() -> Select[tuple[Course]]:
    """Courses a visitor may see: published, of an active institution."""
    return (
        select(Course)
        .join(Course.institution)
        .where(Course.status == CourseStatus.PUBLISHED, Institution.active.is_(True))
    )


def catalog_figures() -> dict[str, int]:
    """Counts for the home page: partners, countries and public courses."""
    partners, countries = session.execute(
        select(func.count(Institution.id), func.count(func.distinct(Institution.country))).where(
            Institution.active.is_(True)
        )
    ).one()
    courses = session.scalar(select(func.count()).select_from(public_courses().subquery()))
    return {"partners": partners, "countries": countries, "courses": courses or 0}


def open_courses(limit: int = 6) -> list[Course]:
    """Public courses open for enrolment now, soonest start first."""
    from mooc_portal.catalog.availability import Availability

    courses = session.scalars(public_courses().order_by(Course.published_at.desc())).all()
    return [c for c in courses if c.availability() is Availability.OPEN][:limit]


def get_public_course(slug: str) -> Course:
    course = session.scalar(public_courses().where(Course.slug == slug))
    if course is None:
        raise NotFound("No such course.")
    return course
