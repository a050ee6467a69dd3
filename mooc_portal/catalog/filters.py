"""The catalog's search parameters, read from a URL: one parser for ``/courses`` and the API.

Every value lives in the URL, with repeatable facet parameters (``?language=en&language=ko``).
A value that is not valid is dropped and reported as a :class:`FilterProblem` naming its
parameter: the catalog page shows it as a notice, the JSON API answers 400 with the field.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import or_, select
from werkzeug.datastructures import MultiDict

from mooc_portal.catalog.availability import PUBLIC_STATES
from mooc_portal.catalog.models import AUDIENCES, Level, Pace
from mooc_portal.catalog.search import FACETS, SORTS, CatalogFilters
from mooc_portal.db import session
from mooc_portal.errors import InvalidInput
from mooc_portal.i18n import parse_language_tag
from mooc_portal.institutions.models import Institution
from mooc_portal.numbers import parse_whole_number
from mooc_portal.reference import ASEM_COUNTRIES, ISCED_F, Region

MAX_QUERY_LENGTH = 200
MAX_VALUES = 20
MAX_PAGE = 10**6 - 1
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")


def _language(value: str) -> str | None:
    try:
        return parse_language_tag(value)
    except ValueError:
        return None


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _institution(value: str) -> str | None:
    """A slug, or an institution's public id (the API's stable identifier)."""
    id_ = _uuid(value)
    if id_ is not None:
        return str(id_)
    return value if SLUG.match(value) else None


VALIDATORS: dict[str, Callable[[str], str | None]] = {
    "institution": _institution,
    "country": lambda v: v.upper() if v.upper() in ASEM_COUNTRIES else None,
    "region": lambda v: v if v in {r.value for r in Region} else None,
    "language": _language,
    "subject": lambda v: v if v in ISCED_F else None,
    "level": lambda v: v if v in {m.value for m in Level} else None,
    "pace": lambda v: v if v in {m.value for m in Pace} else None,
    "audience": lambda v: v if v in AUDIENCES else None,
    "availability": lambda v: v if v in {s.slug for s in PUBLIC_STATES} else None,
}


@dataclass(frozen=True)
class FilterProblem:
    """A parameter value that was ignored, and why.

    ``message`` is what the catalog page shows (the value was ignored); ``refusal`` what the
    API answers with its 400 (the value was refused), when the wording differs.
    """

    field: str
    message: str
    refusal: str | None = None

    @property
    def refused(self) -> str:
        return self.refusal or self.message


@dataclass
class CatalogRequest:
    filters: CatalogFilters
    page: int = 1
    problems: list[FilterProblem] = field(default_factory=list)

    @property
    def notices(self) -> list[str]:
        return [problem.message for problem in self.problems]


def known_institutions(values: tuple[str, ...]) -> dict[str, str]:
    """``{value: slug}`` for the values (slugs or public ids) naming an active institution."""
    if not values:
        return {}
    ids = [id_ for id_ in map(_uuid, values) if id_ is not None]
    slugs = [v for v in values if SLUG.match(v)]
    rows = session.execute(
        select(Institution.slug, Institution.uuid).where(
            or_(Institution.slug.in_(slugs), Institution.uuid.in_(ids)),
            Institution.active.is_(True),
        )
    ).all()
    found = {slug: slug for slug, _id in rows} | {str(id_): slug for slug, id_ in rows}
    return {value: found[value] for value in values if value in found}


def parse_catalog_args(args: MultiDict[str, str]) -> CatalogRequest:
    """The valid filters, sort and page in ``args``, and a problem for each value ignored.

    Institutions are named by slug or public id and kept as slugs; an unknown one is a problem.
    """
    problems: list[FilterProblem] = []
    values: dict[str, tuple[str, ...]] = {}
    for name in FACETS:
        kept: list[str] = []
        for raw in args.getlist(name)[:MAX_VALUES]:
            raw = raw.strip()
            if not raw:
                continue
            value = VALIDATORS[name](raw)
            if value is None:
                message = _(
                    'The filter %(name)s="%(value)s" is not valid and was ignored.',
                    name=name,
                    value=raw[:40],
                )
                refusal = _(
                    'The filter %(name)s="%(value)s" is not valid.', name=name, value=raw[:40]
                )
                problems.append(FilterProblem(name, message, refusal))
            elif value not in kept:
                kept.append(value)
        values[name] = tuple(kept)
    known = known_institutions(values["institution"])
    for value in values["institution"]:
        if value not in known:
            message = _("There is no partner institution “%(slug)s”.", slug=value)
            problems.append(FilterProblem("institution", message))
    values["institution"] = tuple(dict.fromkeys(known.values()))

    query = args.get("q", "").strip()
    if len(query) > MAX_QUERY_LENGTH:
        query = query[:MAX_QUERY_LENGTH]
        message = _("The search text was too long and was shortened.")
        refusal = _("The search text is too long (at most %(n)d characters).", n=MAX_QUERY_LENGTH)
        problems.append(FilterProblem("q", message, refusal))

    sort = args.get("sort", "").strip()
    if sort and sort not in SORTS:
        message = _('The sort order "%(value)s" is not valid and was ignored.', value=sort[:40])
        problems.append(FilterProblem("sort", message))
        sort = ""

    page = 1
    raw_page = args.get("page", "").strip()
    if raw_page:
        try:
            page = parse_whole_number(raw_page, field="page", minimum=1, maximum=MAX_PAGE)
        except InvalidInput:
            message = _(
                'The page number "%(value)s" is not valid; showing the first page.',
                value=raw_page[:40],
            )
            problems.append(FilterProblem("page", message))
    return CatalogRequest(CatalogFilters(query=query, sort=sort, **values), page, problems)
