"""The catalog of each partner institution: its public courses, and how many (the partner pages
in ``catalog.institution_pages``; who the institutions are is ``institutions.services``)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import lazyload

from mooc_portal.catalog.models import Course
from mooc_portal.db import session
from mooc_portal.institutions.models import Institution
from mooc_portal.institutions.services import InstitutionFilter, PartnerEntry


def list_public_institutions(filter_: InstitutionFilter | None = None) -> list[PartnerEntry]:
    """Active institutions with their number of public courses, in two queries whatever
    their number (institutions with counts, then their translations)."""
    filter_ = filter_ or InstitutionFilter()
    counts = (
        select(Course.institution_id, func.count(Course.id).label("course_count"))
        .where(Course.is_public)
        .group_by(Course.institution_id)
        .subquery()
    )
    query = (
        select(Institution, func.coalesce(counts.c.course_count, 0))
        .outerjoin(counts, counts.c.institution_id == Institution.id)
        .where(Institution.active.is_(True))
        .order_by(Institution.country, Institution.slug)
    )
    if filter_.region is not None:
        query = query.where(Institution.region == filter_.region.value)
    if filter_.country is not None:
        query = query.where(Institution.country == filter_.country)
    return [PartnerEntry(institution, count) for institution, count in session.execute(query)]


def list_public_courses_of(institution: Institution) -> Sequence[Course]:
    """The institution's published courses, newest first (with their texts and runs: the
    profile page lists them all, so their languages and subjects are not loaded)."""
    return session.scalars(
        select(Course)
        .where(Course.institution_id == institution.id, Course.is_public)
        .order_by(Course.published_at.desc().nulls_last(), Course.id.desc())
        .options(lazyload(Course.languages), lazyload(Course.subjects))
    ).all()
