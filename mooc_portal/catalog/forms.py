"""The catalog's search parameters, read from the URL.

The catalog form is a GET form whose every value lives in the URL, with repeatable facet
parameters (``?language=en&language=ko``). A value that is not valid is dropped and reported as a
notice for the page, never an error response.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from mooc_portal.catalog.availability import PUBLIC_STATES
from mooc_portal.catalog.models import Level, Pace
from mooc_portal.catalog.search import FACETS, SORTS, CatalogFilters
from mooc_portal.i18n import parse_language_tag
from mooc_portal.reference import ASEM_COUNTRIES, ISCED_F, Region

MAX_QUERY_LENGTH = 200
MAX_VALUES = 20
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")


def _language(value: str) -> str | None:
    try:
        return parse_language_tag(value)
    except ValueError:
        return None


VALIDATORS: dict[str, Callable[[str], str | None]] = {
    "institution": lambda v: v if SLUG.match(v) else None,
    "country": lambda v: v.upper() if v.upper() in ASEM_COUNTRIES else None,
    "region": lambda v: v if v in {r.value for r in Region} else None,
    "language": _language,
    "subject": lambda v: v if v in ISCED_F else None,
    "level": lambda v: v if v in {m.value for m in Level} else None,
    "pace": lambda v: v if v in {m.value for m in Pace} else None,
    "availability": lambda v: v if v in {s.slug for s in PUBLIC_STATES} else None,
}


@dataclass
class CatalogRequest:
    filters: CatalogFilters
    page: int = 1
    notices: list[str] = field(default_factory=list)


def parse_catalog_args(args: MultiDict[str, str]) -> CatalogRequest:
    """The valid filters, sort and page in ``args``, and a notice for each value ignored."""
    notices: list[str] = []
    values: dict[str, tuple[str, ...]] = {}
    for name in FACETS:
        kept: list[str] = []
        for raw in args.getlist(name)[:MAX_VALUES]:
            raw = raw.strip()
            if not raw:
                continue
            value = VALIDATORS[name](raw)
            if value is None:
                notices.append(
                    _(
                        'The filter %(name)s="%(value)s" is not valid and was ignored.',
                        name=name,
                        value=raw[:40],
                    )
                )
            elif value not in kept:
                kept.append(value)
        values[name] = tuple(kept)

    query = args.get("q", "").strip()
    if len(query) > MAX_QUERY_LENGTH:
        query = query[:MAX_QUERY_LENGTH]
        notices.append(_("The search text was too long and was shortened."))

    sort = args.get("sort", "").strip()
    if sort and sort not in SORTS:
        notices.append(
            _('The sort order "%(value)s" is not valid and was ignored.', value=sort[:40])
        )
        sort = ""

    page = 1
    raw_page = args.get("page", "").strip()
    if raw_page:
        if raw_page.isdigit() and 0 < int(raw_page) < 10**6:
            page = int(raw_page)
        else:
            notices.append(
                _(
                    'The page number "%(value)s" is not valid; showing the first page.',
                    value=raw_page[:40],
                )
            )
    return CatalogRequest(CatalogFilters(query=query, sort=sort, **values), page, notices)
