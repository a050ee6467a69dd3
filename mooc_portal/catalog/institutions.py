"""The catalog of each partner institution: its public courses, and how many (the partner pages
in ``catalog.institution_pages``; who the institutions are is ``institutions.services``)."""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select
from sqlalchemy.orm import lazyload

from mooc_portal.catalog.models import Course
from mooc_portal.db import session
from mooc_portal.i18n import country_choices, localized
from mooc_portal.institutions.models import Institution, InstitutionTranslation
from mooc_portal.institutions.services import (
    InstitutionFilter,
    PartnerEntry,
    parse_institution_filter,
)
from mooc_portal.pagination import Page, PageRequest, paginate_items
from mooc_portal.reference import Region

PARTNER_SORTS = ("name", "courses")
MAX_PARTNER_QUERY = 100


@dataclass(frozen=True)
class PartnerSearch:
    """What a visitor asked of the partner list: a region and a country, words of a name and
    an order, with a notice per value that was ignored or cut."""

    place: InstitutionFilter
    query: str = ""
    sort: str = "name"
    notices: tuple[str, ...] = ()

    @property
    def narrowed(self) -> bool:
        return bool(self.place.region or self.place.country or self.query)


@dataclass(frozen=True)
class PartnerDirectory:
    """One page of the partners a search found, and the countries (by region, named in the
    visitor's language and in order of that name) that have an active partner at all."""

    page: Page[PartnerEntry]
    countries: list[tuple[Region, list[tuple[str, str]]]]


def parse_partner_search(args: Mapping[str, str]) -> PartnerSearch:
    """Read ``?region=&country=&q=&sort=``; a value that cannot be used is ignored (or a
    search cut to its first ``MAX_PARTNER_QUERY`` characters) with a notice saying so."""
    place = parse_institution_filter(args.get("region"), args.get("country"))
    notices = list(place.notices)
    query = " ".join((args.get("q") or "").split())
    if len(query) > MAX_PARTNER_QUERY:
        notices.append(
            ngettext(
                "Only the first %(num)d character of the search was used.",
                "Only the first %(num)d characters of the search were used.",
                MAX_PARTNER_QUERY,
            )
        )
        query = query[:MAX_PARTNER_QUERY].rstrip()
    sort = (args.get("sort") or "name").strip().lower()
    if sort not in PARTNER_SORTS:
        notices.append(_("The order was not recognised; partners are shown by name."))
        sort = "name"
    return PartnerSearch(place, query, sort, tuple(notices))


def search_partners(search: PartnerSearch, language: str, page: PageRequest) -> PartnerDirectory:
    """Active institutions matching ``search``, each with its number of public courses, named
    and ordered as the visitor reads them (``language``, else English, else the original).

    Four queries whatever the number of partners: every active institution's place and count,
    their names in every language (a name is matched and sorted in the same fallback order the
    page shows it in, which SQL cannot follow), and the page's institutions with their
    translations. The partners of the ASEM countries are hundreds, not millions.
    """
    counts = (
        select(Course.institution_id, func.count(Course.id).label("course_count"))
        .where(Course.is_public)
        .group_by(Course.institution_id)
        .subquery()
    )
    partners = session.execute(
        select(
            Institution.id,
            Institution.country,
            Institution.region,
            Institution.original_language,
            func.coalesce(counts.c.course_count, 0),
        )
        .outerjoin(counts, counts.c.institution_id == Institution.id)
        .where(Institution.active.is_(True))
    ).all()
    names: dict[int, list[Any]] = defaultdict(list)
    for row in session.execute(
        select(
            InstitutionTranslation.institution_id,
            InstitutionTranslation.language,
            InstitutionTranslation.name,
            InstitutionTranslation.short_name,
        )
        .join(Institution)
        .where(Institution.active.is_(True))
    ):
        names[row.institution_id].append(row)

    words = _folded(search.query).split()
    place = search.place
    found: list[tuple[int, int, str]] = []
    for id_, country, region, original, course_count in partners:
        if place.region is not None and region != place.region.value:
            continue
        if place.country is not None and country != place.country:
            continue
        if words:
            haystack = " ".join(_folded(f"{row.name} {row.short_name or ''}") for row in names[id_])
            if not all(word in haystack for word in words):
                continue
        shown = localized(names[id_], "name", language, original).text
        found.append((id_, course_count, _folded(shown)))
    if search.sort == "courses":
        found.sort(key=lambda f: (-f[1], f[2], f[0]))
    else:
        found.sort(key=lambda f: (f[2], f[0]))

    chosen = paginate_items(found, page)
    by_id: dict[int, Institution] = {}
    if chosen.items:
        ids = [id_ for id_, _count, _name in chosen.items]
        loaded = session.scalars(select(Institution).where(Institution.id.in_(ids)))
        by_id = {institution.id: institution for institution in loaded}
    entries = [PartnerEntry(by_id[id_], count) for id_, count, _name in chosen.items]

    present: dict[str, set[str]] = defaultdict(set)
    for _id, country, region, _original, _count in partners:
        present[region].add(country)
    countries = [
        (region, country_choices(present[region.value], language))
        for region in (Region.ASIA, Region.EUROPE)
        if present[region.value]
    ]
    return PartnerDirectory(
        page=Page(
            items=entries,
            total=chosen.total,
            number=chosen.number,
            size=chosen.size,
            notices=chosen.notices,
        ),
        countries=countries,
    )


def _folded(text: str) -> str:
    """``text`` for matching: case and accents folded ("Université" finds "universite"),
    syllables of other scripts kept whole (Hangul is recomposed after decomposing)."""
    decomposed = unicodedata.normalize("NFKD", text)
    kept = "".join(char for char in decomposed if not unicodedata.combining(char))
    return unicodedata.normalize("NFC", kept).casefold()


def list_public_courses_of(institution: Institution) -> Sequence[Course]:
    """The institution's published courses, newest first (with their texts and runs: the
    profile page lists them all, so their languages and subjects are not loaded)."""
    return session.scalars(
        select(Course)
        .where(Course.institution_id == institution.id, Course.is_public)
        .order_by(Course.published_at.desc().nulls_last(), Course.id.desc())
        .options(lazyload(Course.languages), lazyload(Course.subjects))
    ).all()
