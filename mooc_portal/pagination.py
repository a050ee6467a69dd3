"""One way to cut a list into pages, for every list of the administrators' and partners' pages.

A view reads the page number and size from the query string with :func:`page_request` (a bad
or out-of-range value is never an error: the page says what it shows instead, in
``Page.notices``), a service runs its query through :func:`paginate`, and the template shows
``_macros.html``'s ``pager(page)``. Sizes are bounded (``MOOC_LIST_PAGE_SIZE_MAX``) so that no
address can ask for the whole table at once.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from flask_babel import gettext as _
from sqlalchemy import Select, func, select

from mooc_portal.db import session
from mooc_portal.errors import InvalidInput
from mooc_portal.numbers import parse_whole_number

T = TypeVar("T")


@dataclass(frozen=True)
class PageRequest:
    """The page a visitor asked for, already checked, with what was wrong in the asking."""

    number: int = 1
    size: int = 25
    notices: tuple[str, ...] = ()
    # Where a page shows several lists, each reads its own ``<prefix>page`` and ``<prefix>size``.
    prefix: str = ""


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: its rows, the total, and where it is among the pages."""

    items: list[T]
    total: int
    number: int
    size: int
    notices: tuple[str, ...] = field(default=())
    prefix: str = ""

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.size))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    @property
    def first_index(self) -> int:
        """The position (from 1) of the page's first row in the whole list; 0 when empty."""
        return (self.number - 1) * self.size + 1 if self.items else 0

    @property
    def last_index(self) -> int:
        return self.first_index + len(self.items) - 1 if self.items else 0

    def window(self, around: int = 2) -> list[int]:
        """The page numbers the pager links to: the first, the last, and those near this one
        (0 where numbers are left out)."""
        near = set(range(self.number - around, self.number + around + 1))
        shown = sorted({1, self.pages} | {n for n in near if 1 <= n <= self.pages})
        numbers: list[int] = []
        for n in shown:
            if numbers and n - numbers[-1] > 1:
                numbers.append(0)
            numbers.append(n)
        return numbers


def page_request(
    page: str | None, size: str | None, *, default_size: int, max_size: int, prefix: str = ""
) -> PageRequest:
    """Read ``?page=`` and ``?size=``: a number that is not one, or out of bounds, gives the
    first page (or the default size, or the largest size) and a notice saying so."""
    notices: list[str] = []
    number = 1
    if page not in (None, ""):
        try:
            number = parse_whole_number(page, field="page", minimum=1)
        except InvalidInput:
            notices.append(
                _(
                    'The page number "%(value)s" is not valid; showing the first page.',
                    value=page[:40],
                )
            )
    chosen = default_size
    if size not in (None, ""):
        try:
            chosen = parse_whole_number(size, field="size", minimum=1)
        except InvalidInput:
            notices.append(
                _(
                    'The page size "%(value)s" is not valid; showing %(size)d per page.',
                    value=size[:40],
                    size=default_size,
                )
            )
        else:
            if chosen > max_size:
                notices.append(_("At most %(size)d rows are shown per page.", size=max_size))
                chosen = max_size
    return PageRequest(
        number=number, size=min(chosen, max_size), notices=tuple(notices), prefix=prefix
    )


def paginate(statement: Select[Any], request: PageRequest) -> Page[Any]:
    """The requested page of ``statement`` (which must be ordered) and the total count.

    A page past the last shows the last one, with a notice; ``statement`` must not eager-load
    collections with a join (use ``selectinload``), as the page is cut with LIMIT.
    """
    counted = select(func.count()).select_from(statement.order_by(None).subquery())
    total = session.scalar(counted) or 0
    number, notices = _page_number(total, request)
    rows = session.scalars(statement.limit(request.size).offset((number - 1) * request.size))
    return Page(
        items=list(rows.unique()),
        total=total,
        number=number,
        size=request.size,
        notices=notices,
        prefix=request.prefix,
    )


def paginate_items(items: Sequence[T], request: PageRequest) -> Page[T]:
    """The requested page of a list already in memory and in order (a page past the last
    shows the last one, with a notice, as :func:`paginate` does)."""
    number, notices = _page_number(len(items), request)
    start = (number - 1) * request.size
    return Page(
        items=list(items[start : start + request.size]),
        total=len(items),
        number=number,
        size=request.size,
        notices=notices,
        prefix=request.prefix,
    )


def _page_number(total: int, request: PageRequest) -> tuple[int, tuple[str, ...]]:
    """The page to show of ``total`` rows and the notices to show with it."""
    pages = max(1, math.ceil(total / request.size))
    notices = list(request.notices)
    number = request.number
    if number > pages:
        notices.append(
            _(
                "There is no page %(number)d; showing the last page, %(last)d.",
                number=number,
                last=pages,
            )
        )
        number = pages
    return number, tuple(notices)
