"""Whole numbers read from a request, bounded to what the database can store.

Every page number, cursor position or count a visitor types reaches SQL as an integer; one
larger than the column (PostgreSQL ``INTEGER``; SQLite's is wider) would fail in the driver
with a 500. Parse them all here: anything that is not a plain ASCII number within the bounds
is an ``InvalidInput`` naming the parameter, which each surface answers as it does other bad
values (JSON or problem+json with the field, a notice on HTML pages).
"""

from __future__ import annotations

import re

from flask_babel import gettext as _

from mooc_portal.errors import InvalidInput

MAX_SQL_INTEGER = 2**31 - 1
"""The largest value of a PostgreSQL ``INTEGER`` (ids, positions, counts)."""

DB_ID = f"int(max={MAX_SQL_INTEGER})"
"""The URL converter for a database id (``<{DB_ID}:peer_id>``): a larger one is a 404."""

_NUMBER = re.compile(r"-?[0-9]{1,18}")


def parse_whole_number(
    text: str,
    *,
    field: str,
    minimum: int = 0,
    maximum: int = MAX_SQL_INTEGER,
    message: str | None = None,
) -> int:
    """``text`` as an int in ``minimum..maximum``; ``InvalidInput`` naming ``field`` otherwise.

    Only ASCII digits count (``str.isdigit`` also accepts "²", which ``int`` refuses).
    """
    value = text.strip()
    if _NUMBER.fullmatch(value) and minimum <= int(value) <= maximum:
        return int(value)
    raise InvalidInput(
        message
        or _(
            "%(field)s must be a whole number from %(minimum)d to %(maximum)d.",
            field=field,
            minimum=minimum,
            maximum=maximum,
        ),
        field=field,
    )
