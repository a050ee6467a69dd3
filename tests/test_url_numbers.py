"""A whole number in a URL path reaches SQL as an id: one larger than the column is a 404.

Werkzeug's ``int`` converter accepts any length of digits; a visitor who edits the address to
``/certificates/status/99999999999999999999`` reached the driver, which failed with a 500
(SQLite: "Python int too large", PostgreSQL: integer out of range).
"""

from __future__ import annotations

import pytest
from flask import Flask
from werkzeug.routing import IntegerConverter

from mooc_portal.numbers import MAX_SQL_INTEGER

TOO_LARGE = "99999999999999999999"


def test_every_whole_number_in_a_url_is_bounded_to_a_database_integer(app: Flask) -> None:
    unbounded = sorted(
        f"{rule.rule} ({name})"
        for rule in app.url_map.iter_rules()
        for name, converter in (rule._converters or {}).items()
        if isinstance(converter, IntegerConverter)
        and (converter.max is None or converter.max > MAX_SQL_INTEGER)
    )
    assert not unbounded, f"use <{{DB_ID}}:name> (mooc_portal.numbers) in {unbounded}"


@pytest.mark.parametrize(
    "path", [f"/certificates/status/{TOO_LARGE}", f"/privacy/v{TOO_LARGE}", "/privacy/v2147483648"]
)
def test_an_id_too_large_for_the_database_is_not_found(client, path: str) -> None:
    assert client.get(path).status_code == 404
