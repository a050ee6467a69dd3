"""The public catalog: what is public, figures, and lookups."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select

from mooc_portal.catalog.availability import Availability
from mooc_portal.catalog.models import CatalogEntry, Course, CourseSlugRedirect
from mooc_portal.catalog.search import entry_availability_sql, next_start_sql
from mooc_portal.db import session, utcnow
from mooc_portal.errors import NotFound
from mooc_portal.institutions.models import Institution
from mooc_portal.reference import ASEM_COUNTRIES


def public_courses() -> Select[Course]:
    """Courses a visitor may see: published, of an active institution."""
    # Joined to the institution: callers filter and sort on its columns (country, region).
    return select(Course).join(Course.institution).where(Course.is_public)


def catalog_figures() -> dict[str, int]:
    """Counts for the home page: active partners, the countries they are in, public courses
    (two queries), and the ASEM partner countries a partner may come from."""
    partners, countries = session.execute(
        select(func.count(Institution.id), func.count(func.distinct(Institution.country))).where(
            Institution.active.is_(True)
        )
    ).one()
    courses = session.scalar(public_courses().with_only_columns(func.count(Course.id)))
    return {
        "partners": partners,
        "countries": countries,
        "courses": courses or 0,
        "asem_countries": len(ASEM_COUNTRIES),
    }


def open_courses(limit: int = 6, *, now: datetime | None = None) -> list[Course]:
    """Public courses open for enrolment now, soonest start first (chosen in SQL, from the
    availability boundaries stored in the catalog entries)."""
    now = now or utcnow()
    next_start = next_start_sql(now)
    open_now = select(CatalogEntry.course_id).where(
        entry_availability_sql(now) == int(Availability.OPEN)
    )
    return list(
        session.scalars(
            public_courses()
            .where(Course.id.in_(open_now))
            .order_by(next_start.is_(None), next_start, Course.published_at.desc(), Course.id)
            .limit(limit)
        ).all()
    )


def get_public_course(slug: str) -> Course:
    """The public course with ``slug``; NotFound otherwise (drafts and withdrawn courses too)."""
    course = session.scalar(public_courses().where(Course.slug == slug))
    if course is None:
        raise NotFound("No such course.")
    return course


def current_slug(former_slug: str) -> str | None:
    """Where a course's earlier web address leads now, or None (the course is gone too)."""
    return session.scalar(
        select(Course.slug)
        .join(CourseSlugRedirect, CourseSlugRedirect.course_id == Course.id)
        .where(CourseSlugRedirect.slug == former_slug)
    )


def course_page(course: Course, *, preview: bool = False) -> dict[str, Any]:
    """What ``catalog/_course_page.html`` shows of a course: the one view of a course as
    learners see it, on its public page, in the partner's preview and in the admin review."""
    from mooc_portal.catalog.outline import course_modules

    now = utcnow()
    return {
        "course": course,
        "now": now,
        "availability": course.availability(now),
        "modules": course_modules(course),
        "origin": course.origin,
        "preview": preview,
    }
