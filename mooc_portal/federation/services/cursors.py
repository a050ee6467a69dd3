"""Opaque, signed cursors for the API's pages and the change feed.

A cursor is ``itsdangerous``' URL-safe signed form of ``[kind, position]`` under the
application's ``SECRET_KEY`` (salted, so it signs nothing else): a client cannot build one, nor
turn a page cursor into a feed cursor, nor move a position. Rotating ``SECRET_KEY`` invalidates
the cursors given out before (a peer then answers 400 and resumes from the snapshot).
"""

from __future__ import annotations

from flask import current_app
from itsdangerous import BadData, URLSafeSerializer

from mooc_portal.errors import InvalidInput
from mooc_portal.numbers import MAX_SQL_INTEGER

_SALT = "mooc-portal.federation.cursor"
_MESSAGE = "This cursor is not valid."


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def encode_cursor(kind: str, value: int) -> str:
    """An opaque cursor: clients pass it back unchanged, never build one."""
    return str(_serializer().dumps([kind, value]))


def decode_cursor(cursor: str, kind: str, *, field: str) -> int:
    """The position in ``cursor``; ``InvalidInput`` naming ``field`` when it is not one of ours
    (malformed, signed by another key, tampered with, or of another ``kind``)."""
    try:
        payload = _serializer().loads(cursor)
    except (BadData, UnicodeError, ValueError):
        raise InvalidInput(_MESSAGE, field=field) from None
    if (
        not isinstance(payload, list)
        or len(payload) != 2
        or payload[0] != kind
        or type(payload[1]) is not int
        or not 0 <= payload[1] <= MAX_SQL_INTEGER
    ):
        raise InvalidInput(_MESSAGE, field=field)
    return payload[1]
