"""The public side of partner institutions: who they are, where, and what they offer."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import lazyload

from mooc_portal.catalog.models import Course
from mooc_portal.db import session
from mooc_portal.errors import NotFound
from mooc_portal.i18n import country_name
from mooc_portal.institutions.models import Institution
from mooc_portal.reference import ASEM_COUNTRIES, Region, region_of


@dataclass(frozen=True)
class InstitutionFilter:
    """The visitor's choice of region and country, with a notice per value that was ignored."""

    region: Region | None = None
    country: str | None = None
    notices: tuple[str, ...] = ()


@dataclass(frozen=True)
class PartnerEntry:
    """An active institution and the number of its public courses."""

    institution: Institution
    course_count: int


@dataclass
class CountryGroup:
    country: str
    entries: list[PartnerEntry] = field(default_factory=list)


@dataclass
class RegionGroup:
    region: Region
    countries: list[CountryGroup] = field(default_factory=list)

    @property
    def institution_count(self) -> int:
        return sum(len(group.entries) for group in self.countries)


def parse_institution_filter(region: str | None, country: str | None) -> InstitutionFilter:
    """Read the region and country a visitor asked for; an invalid value is ignored.

    Each ignored value adds a notice the page shows; a country outside the chosen region is
    ignored too, since together they could match nothing.
    """
    notices: list[str] = []
    chosen_region: Region | None = None
    chosen_country: str | None = None
    if region:
        try:
            chosen_region = Region(region.strip().lower())
        except ValueError:
            notices.append(_("The region filter was not recognised and has been ignored."))
    if country:
        code = country.strip().upper()
        if code not in ASEM_COUNTRIES:
            notices.append(_("The country filter was not recognised and has been ignored."))
        elif chosen_region is not None and region_of(code) is not chosen_region:
            notices.append(
                _("The country filter is not in the chosen region and has been ignored.")
            )
        else:
            chosen_country = code
    return InstitutionFilter(chosen_region, chosen_country, tuple(notices))


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


def group_by_region(entries: Iterable[PartnerEntry], language: str) -> list[RegionGroup]:
    """Entries by region (Asia, then Europe) and by country, countries in order of their
    name in ``language`` and institutions in order of their name there."""
    by_region: dict[Region, dict[str, CountryGroup]] = {}
    for entry in entries:
        region = entry.institution.region_enum
        countries = by_region.setdefault(region, {})
        group = countries.setdefault(
            entry.institution.country, CountryGroup(entry.institution.country)
        )
        group.entries.append(entry)
    groups: list[RegionGroup] = []
    for region in (Region.ASIA, Region.EUROPE):
        if region not in by_region:
            continue
        ordered = sorted(
            by_region[region].values(), key=lambda g: country_name(g.country, language)
        )
        for group in ordered:
            group.entries.sort(key=lambda e: e.institution.text("name", language).text.casefold())
        groups.append(RegionGroup(region, ordered))
    return groups


def partner_countries(language: str) -> list[str]:
    """The codes of countries with at least one active institution, by name in ``language``."""
    codes = session.scalars(
        select(Institution.country).where(Institution.active.is_(True)).distinct()
    )
    return sorted(codes, key=lambda code: country_name(code, language))


def region_label(region: Region) -> str:
    """The region's name in the visitor's language."""
    return _("Asia") if region is Region.ASIA else _("Europe")


def get_public_institution(slug: str) -> Institution:
    """An active institution by its slug; NotFound for an unknown or inactive one."""
    institution = session.scalar(
        select(Institution).where(Institution.slug == slug, Institution.active.is_(True))
    )
    if institution is None:
        raise NotFound(_("There is no partner institution at this address."))
    return institution


def list_public_courses_of(institution: Institution) -> Sequence[Course]:
    """The institution's published courses, newest first (with their texts and runs: the
    profile page lists them all, so their languages and subjects are not loaded)."""
    return session.scalars(
        select(Course)
        .where(Course.institution_id == institution.id, Course.is_public)
        .order_by(Course.published_at.desc().nulls_last(), Course.id.desc())
        .options(lazyload(Course.languages), lazyload(Course.subjects))
    ).all()
