"""The snapshot: the whole public catalog in one streamed document, with the feed cursor."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import zlib
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import Select, delete, func, select
from sqlalchemy.orm import Session, defer

from mooc_portal.db import session, utcnow
from mooc_portal.federation.models import ExportSnapshot
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


# The snapshot built in the background ------------------------------------------------------

EXPORT_JOB_TOPIC = "export-snapshot"


def build_snapshot() -> ExportSnapshot:
    """Build the export, compress it (gzip and brotli, as it is written) and keep it as the
    newest snapshot, forgetting older ones; flushes. Memory holds the compressed forms only."""
    import brotli

    sequence = latest_sequence()  # read first: a change during the build makes it due again
    gzipped = io.BytesIO()
    digest = hashlib.sha256()
    compressor = brotli.Compressor(quality=5)
    brotli_parts: list[bytes] = []
    size = 0
    _institutions, courses = count_export()
    with gzip.GzipFile(fileobj=gzipped, mode="wb", compresslevel=6, mtime=0) as gz:
        for piece in export_catalog():
            data = piece.encode()
            size += len(data)
            digest.update(data)
            gz.write(data)
            brotli_parts.append(compressor.process(data))
    brotli_parts.append(compressor.finish())
    snapshot = ExportSnapshot(
        sequence=sequence,
        built_at=utcnow(),
        courses=courses,
        size=size,
        etag=digest.hexdigest()[:32],
        gzip_data=gzipped.getvalue(),
        brotli_data=b"".join(brotli_parts),
    )
    session.add(snapshot)
    session.flush()
    session.execute(
        delete(ExportSnapshot)
        .where(ExportSnapshot.id != snapshot.id)
        .execution_options(synchronize_session=False)
    )
    return snapshot


def build_snapshot_job(_payload: dict[str, Any]) -> None:
    """The ``export_snapshot`` job."""
    build_snapshot()


def current_snapshot() -> ExportSnapshot | None:
    """The newest snapshot, without its data (loaded when served)."""
    return session.scalar(
        select(ExportSnapshot)
        .options(defer(ExportSnapshot.gzip_data), defer(ExportSnapshot.brotli_data))
        .order_by(ExportSnapshot.id.desc())
        .limit(1)
    )


def request_snapshot(*, delay: float = 0) -> bool:
    """Ask the worker for a new snapshot (in ``delay`` seconds) unless one waits or is being
    built already; flushes. True if asked now."""
    from mooc_portal.jobs.services import active_job, enqueue

    if active_job(EXPORT_JOB_TOPIC, "export_snapshot") is not None:
        return False
    now = utcnow()
    enqueue(
        "export_snapshot",
        {},
        dedupe_key=f"export-snapshot:{latest_sequence()}:{now.isoformat()}",
        topic=EXPORT_JOB_TOPIC,
        run_after=now + timedelta(seconds=delay) if delay else None,
    )
    session.flush()
    return True


def schedule_export_snapshot() -> int:
    """The relay's turn: ask for a snapshot when there is none (and the catalog has had public
    courses), when the catalog changed since
    the newest (after ``MOOC_EXPORT_SNAPSHOT_DELAY``: changes in between share the build), or
    when it is older than ``MOOC_EXPORT_SNAPSHOT_MAX_AGE``. Returns how many jobs it wrote."""
    config = current_app.config
    snapshot = current_snapshot()
    latest = latest_sequence()
    if snapshot is None:  # a catalog that never had a public course has nothing to build
        return int(request_snapshot()) if latest > 0 else 0
    age = (utcnow() - snapshot.built_at).total_seconds()
    if latest > snapshot.sequence:
        return int(request_snapshot(delay=float(config["MOOC_EXPORT_SNAPSHOT_DELAY"])))
    if age > float(config["MOOC_EXPORT_SNAPSHOT_MAX_AGE"]):
        return int(request_snapshot())
    return 0


def small_enough_to_export_inline() -> bool:
    """Whether the public catalog is small enough for a request to stream the export itself
    (``MOOC_EXPORT_INLINE_COURSES``)."""
    limit = int(current_app.config["MOOC_EXPORT_INLINE_COURSES"])
    counted = session.scalar(
        select(func.count()).select_from(own_public_courses().limit(limit + 1).subquery())
    )
    return (counted or 0) <= limit


def snapshot_body(snapshot_id: int, encoding: str) -> bytes:
    """The stored snapshot in ``encoding`` (``"gzip"`` or ``"br"``)."""
    column = ExportSnapshot.brotli_data if encoding == "br" else ExportSnapshot.gzip_data
    return session.scalar(select(column).where(ExportSnapshot.id == snapshot_id)) or b""


def snapshot_text(snapshot_id: int) -> Iterator[bytes]:
    """The stored snapshot uncompressed, in pieces (for a client that takes no compression)."""
    data = snapshot_body(snapshot_id, "gzip")
    inflate = zlib.decompressobj(wbits=31)
    for start in range(0, len(data), 64 * 1024):
        piece = inflate.decompress(data[start : start + 64 * 1024])
        if piece:
            yield piece
    rest = inflate.flush()
    if rest:
        yield rest
