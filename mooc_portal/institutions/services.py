"""The public side of partner institutions: who they are and where (what they offer is the
catalog's: ``catalog.institutions``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from mooc_portal.db import session
from mooc_portal.errors import NotFound
from mooc_portal.i18n import FALLBACK_LANGUAGE
from mooc_portal.institutions.models import Institution
from mooc_portal.openbadges import OB_CONTEXT
from mooc_portal.reference import ASEM_COUNTRIES, Region, region_of
from mooc_portal.urls import external_url


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


def institution_profile(institution: Institution) -> dict[str, Any]:
    """An institution as an Open Badges 3.0 ``Profile`` (JSON-LD), at its page's address: the
    ``creator`` of the achievements in the portal's certificates dereferences to it."""
    profile: dict[str, Any] = {
        "@context": OB_CONTEXT,
        "id": external_url("portal.institutions.institution_detail", slug=institution.slug),
        "type": ["Profile"],
        # As the certificates' credentials name it: in English where it has an English name.
        "name": institution.text("name", FALLBACK_LANGUAGE).text,
    }
    description = institution.text("description", FALLBACK_LANGUAGE).text
    if description:
        profile["description"] = description
    if institution.website:
        profile["url"] = institution.website
    return profile
