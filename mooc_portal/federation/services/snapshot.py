"""The snapshot: the whole public catalog in one streamed document, with the feed cursor."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from mooc_portal.db import session, utcnow
from mooc_portal.federation.serialize import PageLinks, course_resource, institution_resource
from mooc_portal.federation.services.cursors import encode_cursor
from mooc_portal.federation.services.feed import latest_sequence
from mooc_portal.federation.services.read_model import (
    CourseRow,
    course_rows,
    own_public_courses,
    own_public_institutions,
)
from mooc_portal.institutions.models import Institution

SNAPSHOT_FORMAT = "asem-mooc-portal/snapshot"
EXPORT_CHUNK = 500


def count_export() -> tuple[int, int]:
    """How many institutions and courses the snapshot holds (for a progress bar)."""
    institutions = session.scalar(
        select(func.count()).select_from(own_public_institutions().subquery())
    )
    courses = session.scalar(select(func.count()).select_from(own_public_courses().subquery()))
    return institutions or 0, courses or 0


def export_catalog(progress: Any = None) -> Iterator[str]:
    """The whole public catalog as one JSON document, in pieces, in constant memory.

    The cursor in it is taken before the data is read, so following the feed from it replays
    whatever changed during the export (changes apply as idempotent upserts).
    ``progress(n)`` is called after every chunk of ``n`` records.
    """
    cursor = encode_cursor("c", latest_sequence())
    links = PageLinks()
    head = {
        "format": SNAPSHOT_FORMAT,
        "version": 1,
        "generated_at": utcnow().isoformat().replace("+00:00", "Z"),
        "cursor": cursor,
    }
    yield json.dumps(head)[:-1] + ', "institutions": ['
    first = True
    for chunk in _chunks(own_public_institutions(), Institution.id):
        for institution in chunk:
            yield ("" if first else ",") + json.dumps(institution_resource(institution, links))
            first = False
        if progress:
            progress(len(chunk))
    yield '], "courses": ['
    first = True
    for chunk in _course_chunks():
        for course in chunk:
            yield ("" if first else ",") + json.dumps(course_resource(course, links))
            first = False
        if progress:
            progress(len(chunk))
    yield "]}\n"


def _chunks(query: Select[Any], key: Any) -> Iterator[list[Any]]:
    # Each chunk is read by a session of its own on the request's connection (so it sees the
    # same transaction) and dropped after: memory stays flat whatever the catalog's size, and
    # no identity map grows.
    connection = session.connection()
    last = 0
    while True:
        with Session(bind=connection) as chunk_session:
            chunk = list(
                chunk_session.scalars(query.where(key > last).order_by(key).limit(EXPORT_CHUNK))
            )
            if not chunk:
                return
            yield chunk
            last = chunk[-1].id


def _course_chunks() -> Iterator[list[CourseRow]]:
    last = 0
    while True:
        chunk = course_rows(own_public_courses(), after=last, limit=EXPORT_CHUNK)
        if not chunk:
            return
        yield chunk
        last = chunk[-1].id
