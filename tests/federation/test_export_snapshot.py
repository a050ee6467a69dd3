"""The export snapshot (issue 10): built by a background job, kept in the database so every
host serves it, with ETag/Last-Modified/304 and gzip/brotli; a request never builds a large one."""

from __future__ import annotations

import gzip
import json
from datetime import timedelta

import brotli
from sqlalchemy import select

from mooc_portal.db import utcnow
from mooc_portal.federation.models import ExportSnapshot
from mooc_portal.jobs import services as jobs
from mooc_portal.jobs.models import OutboxJob
from tests.factories import make_course


def _titles(document: bytes) -> set[str]:
    return {c["title"]["en"] for c in json.loads(document)["courses"]}


def _snapshot_jobs(db_session) -> list[OutboxJob]:
    return list(
        db_session.scalars(
            select(OutboxJob).where(OutboxJob.kind == "export_snapshot").order_by(OutboxJob.id)
        )
    )


def test_the_worker_builds_the_snapshot_and_every_encoding_serves_it(client, db_session):
    make_course("Snapshot Course", runs=1)
    db_session.commit()
    jobs.relay_once()  # what the worker's relay does: the catalog has no snapshot yet
    [job] = _snapshot_jobs(db_session)
    assert job.state == "done"
    [stored] = db_session.scalars(select(ExportSnapshot)).all()
    assert stored.courses == 1

    plain = client.get("/api/v1/export", headers={"Accept-Encoding": "identity"})
    assert plain.status_code == 200
    assert "Content-Encoding" not in plain.headers
    assert _titles(plain.data) == {"Snapshot Course"}
    assert plain.headers["Cache-Control"] == "public, no-cache"
    etag, modified = plain.headers["ETag"], plain.headers["Last-Modified"]

    zipped = client.get("/api/v1/export", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped.headers["Vary"]
    assert gzip.decompress(zipped.data) == plain.data
    squeezed = client.get("/api/v1/export", headers={"Accept-Encoding": "gzip, br"})
    assert squeezed.headers["Content-Encoding"] == "br"
    assert brotli.decompress(squeezed.data) == plain.data
    assert zipped.headers["ETag"] == squeezed.headers["ETag"] == etag

    assert client.get("/api/v1/export", headers={"If-None-Match": etag}).status_code == 304
    again = client.get("/api/v1/export", headers={"If-Modified-Since": modified})
    assert again.status_code == 304 and again.data == b""


def test_a_catalog_change_is_built_again_once_after_the_delay(client, db_session):
    make_course("First Course")
    db_session.commit()
    jobs.relay_once()
    make_course("Second Course")
    db_session.commit()
    jobs.relay_once()
    jobs.relay_once()  # more turns while the build waits: still one job
    [built, waiting] = _snapshot_jobs(db_session)
    assert built.state == "done"
    assert waiting.state == "pending" and waiting.run_after > utcnow() + timedelta(seconds=30)
    # Until it is built, a small catalog is streamed by the request (the snapshot is behind).
    fresh = client.get("/api/v1/export")
    assert _titles(fresh.get_data()) == {"First Course", "Second Course"}
    assert "ETag" not in fresh.headers

    waiting.run_after = utcnow() - timedelta(seconds=1)
    db_session.commit()
    jobs.relay_once()
    db_session.expire_all()
    assert waiting.state == "done"
    [stored] = db_session.scalars(select(ExportSnapshot)).all()  # the older one is gone
    served = client.get("/api/v1/export", headers={"Accept-Encoding": "gzip"})
    assert served.headers["ETag"] == f'W/"snapshot-{stored.etag}"'
    assert _titles(gzip.decompress(served.data)) == {"First Course", "Second Course"}


def test_a_large_catalog_is_never_built_in_the_request(app, client, db_session, monkeypatch):
    monkeypatch.setitem(app.config, "MOOC_EXPORT_INLINE_COURSES", 0)
    monkeypatch.setitem(app.config, "MOOC_REDIS_URL", "redis://127.0.0.1:1/0")  # Redis down
    make_course("Large Catalog Course")
    db_session.commit()

    waiting = client.get("/api/v1/export")
    assert waiting.status_code == 503
    assert waiting.headers["Retry-After"] == "60"
    assert waiting.get_json()["message"] == "The export is being prepared. Ask again in a minute."
    [job] = _snapshot_jobs(db_session)
    assert job.state == "pending"  # for the worker: the request built nothing
    assert client.get("/api/v1/export").status_code == 503
    assert len(_snapshot_jobs(db_session)) == 1  # asked once

    monkeypatch.setitem(app.config, "MOOC_REDIS_URL", None)
    db_session.commit()
    jobs.relay_once()  # a worker without Redis runs it
    make_course("Added Since")
    db_session.commit()
    served = client.get("/api/v1/export")  # behind the catalog: served, its cursor catches up
    assert served.status_code == 200
    document = json.loads(served.data)
    assert {c["title"]["en"] for c in document["courses"]} == {"Large Catalog Course"}
    feed = client.get("/api/v1/changes", query_string={"after": document["cursor"]}).get_json()
    assert [c["resource"]["title"]["en"] for c in feed["changes"] if c["type"] == "course"] == [
        "Added Since"
    ]
