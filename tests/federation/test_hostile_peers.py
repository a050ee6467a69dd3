"""Hostile peers end in a failed run or rejected records: never a crash, a hang, or a run left
running, and never a stop for the next peer (issue 10). Each peer is served on 127.0.0.1."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask import Flask, Response, jsonify
from sqlalchemy import func, select

from mooc_portal.db import session
from mooc_portal.federation.models import HarvestRun, Peer, RejectedRecord
from mooc_portal.jobs import services as jobs
from mooc_portal.jobs.models import OutboxJob
from tests.federation.conftest import live_server

CURSOR = "Yzo5"
INSTITUTION = {
    "id": "7b0e7a8e-1111-4c1e-9a55-000000000001",
    "slug": "far-away",
    "name": {"en": "Far Away University"},
    "original_language": "en",
    "country": "JP",
}


@contextmanager
def trickling_peer() -> Iterator[str]:
    """Answers 200 and then one byte every 3 s, forever (until the test ends)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.5)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            with conn:
                conn.recv(65536)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n")
                while not stop.wait(3):
                    try:
                        conn.sendall(b" ")
                    except OSError:
                        break

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=10)
        server.close()


def raw_peer(export_body: bytes) -> Flask:
    peer = Flask("raw")

    @peer.route("/api/v1/export")
    def export() -> Response:
        return Response(export_body, mimetype="application/json")

    @peer.route("/api/v1/changes")
    def changes() -> Response:
        return jsonify({"changes": [], "next": CURSOR, "has_more": False})

    return peer


def good_peer() -> Flask:
    return raw_peer(
        b'{"cursor": "Yzo5", "institutions": [%s], "courses": []}'
        % json.dumps(INSTITUTION).encode()
    )


def run_every_peer(portal: Flask) -> dict[str, HarvestRun]:
    """What the worker does: one harvest job per due peer, each run on its own."""
    with portal.app_context():
        jobs.relay_once()
        jobs_left = session.scalars(select(OutboxJob).where(OutboxJob.state != "done")).all()
        assert jobs_left == []  # every harvest job finished, whatever its peer did
        runs = {
            run.peer.name: run
            for run in session.scalars(select(HarvestRun).join(Peer).order_by(HarvestRun.id))
        }
        for run in runs.values():
            session.expunge(run)
        return runs


def add_peers(portal: Flask, peers: dict[str, str]) -> None:
    with portal.app_context():
        for name, url in peers.items():
            session.add(Peer(name=name, base_url=url))
        session.commit()


def test_a_trickling_peer_fails_its_run_on_time_and_the_next_peer_is_harvested(
    second_portal, monkeypatch
):
    monkeypatch.setitem(second_portal.config, "MOOC_HARVEST_TIMEOUT", 10.0)  # per read
    monkeypatch.setitem(second_portal.config, "MOOC_HARVEST_DEADLINE", 4)
    with trickling_peer() as slow_url, live_server(good_peer()) as good_url:
        add_peers(second_portal, {"A trickling": slow_url, "B good": good_url})
        started = time.monotonic()
        runs = run_every_peer(second_portal)
        elapsed = time.monotonic() - started
    assert runs["A trickling"].status == "failed"
    assert "within the run's time" in runs["A trickling"].error
    assert runs["B good"].status == "succeeded" and runs["B good"].created == 1
    # The deadline (4 s) and one read (4 s): not the 10 s per-read timeout, not forever.
    assert elapsed < 30


def test_deeply_nested_json_fails_the_run_not_the_worker(second_portal):
    nested = b"[" * 100_000 + b"]" * 100_000
    body = b'{"cursor": "Yzo5", "institutions": [{"id": "x", "name": %s}, %s], "courses": []}' % (
        nested,
        json.dumps(INSTITUTION).encode(),
    )
    whole = b"[" * 200_000 + b"]" * 200_000
    with live_server(raw_peer(body)) as url, live_server(raw_peer(whole)) as whole_url:
        add_peers(second_portal, {"Nested": url, "Nested whole": whole_url})
        runs = run_every_peer(second_portal)
    assert runs["Nested"].status == "failed"
    assert "nested more than 64 levels" in runs["Nested"].error
    assert runs["Nested whole"].status == "failed"
    assert "did not answer a JSON object" in runs["Nested whole"].error


def test_a_nul_character_rejects_its_record_alone(second_portal):
    body = (
        b'{"cursor": "Yzo5", "institutions": [{"id": "7b0e7a8e-1111-4c1e-9a55-000000000009",'
        b' "slug": "nul", "name": {"en": "Bad\\u0000Name"}, "original_language": "en",'
        b' "country": "JP"}, %s], "courses": []}' % json.dumps(INSTITUTION).encode()
    )
    with live_server(raw_peer(body)) as url:
        add_peers(second_portal, {"NUL": url})
        runs = run_every_peer(portal := second_portal)
    run = runs["NUL"]
    assert run.status == "succeeded"
    assert (run.created, run.rejected) == (1, 1)
    with portal.app_context():
        reason = session.scalar(
            select(RejectedRecord.reason).where(RejectedRecord.run_id == run.id)
        )
    assert "NUL" in reason


def test_fifteen_megabytes_of_empty_objects_stop_at_the_reject_cap(second_portal, monkeypatch):
    monkeypatch.setitem(second_portal.config, "MOOC_HARVEST_MAX_REJECTS", 500)
    body = b'{"cursor": "Yzo5", "institutions": [' + b"{}," * 5_000_000 + b'{}], "courses": []}'
    assert len(body) > 15_000_000
    with live_server(raw_peer(body)) as url, live_server(good_peer()) as good_url:
        add_peers(second_portal, {"A flood": url, "B good": good_url})
        runs = run_every_peer(second_portal)
    assert runs["A flood"].status == "failed"
    assert "More than 500 records were rejected" in runs["A flood"].error
    assert runs["B good"].status == "succeeded"
    with second_portal.app_context():
        stored = session.scalar(
            select(func.count(RejectedRecord.id)).where(RejectedRecord.run_id == runs["A flood"].id)
        )
    assert 0 < stored <= 500  # the rejects of the committed batches, never the flood


def test_a_response_beyond_the_size_cap_fails_the_run(second_portal, monkeypatch):
    monkeypatch.setitem(second_portal.config, "MOOC_HARVEST_MAX_BYTES", 1_000_000)
    body = b'{"cursor": "Yzo5", "institutions": [' + b"{}," * 1_000_000 + b'{}], "courses": []}'
    with live_server(raw_peer(body)) as url:
        add_peers(second_portal, {"Big": url})
        runs = run_every_peer(second_portal)
    assert runs["Big"].status == "failed" and "more than 1000000 bytes" in runs["Big"].error


def test_a_feed_whose_cursor_never_advances_stops(second_portal):
    peer = Flask("stuck")

    @peer.route("/api/v1/export")
    def export() -> Response:
        return jsonify({"cursor": CURSOR, "institutions": [INSTITUTION], "courses": []})

    @peer.route("/api/v1/changes")
    def changes() -> Response:
        change = {"type": "institution", "kind": "updated", "id": INSTITUTION["id"]}
        return jsonify(
            {"changes": [{**change, "resource": INSTITUTION}], "next": CURSOR, "has_more": True}
        )

    with live_server(peer) as url:
        add_peers(second_portal, {"Stuck": url})
        runs = run_every_peer(second_portal)
    assert runs["Stuck"].status == "failed" and "did not advance" in runs["Stuck"].error


@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_nul_character_on_postgresql_rejects_its_record_alone(
    app, db_session, backend, monkeypatch
):
    """The same NUL on PostgreSQL (the second portal of the other tests is SQLite)."""
    monkeypatch.setitem(app.config, "MOOC_ALLOW_PRIVATE_PEERS", True)  # the peer is local
    body = (
        b'{"cursor": "Yzo5", "institutions": [{"id": "7b0e7a8e-1111-4c1e-9a55-000000000009",'
        b' "slug": "nul", "name": {"en": "Bad\\u0000Name"}, "original_language": "en",'
        b' "country": "JP"}, %s], "courses": []}' % json.dumps(INSTITUTION).encode()
    )
    with live_server(raw_peer(body)) as url:
        add_peers(app, {"NUL": url})
        runs = run_every_peer(portal := app)
    run = runs["NUL"]
    assert run.status == "succeeded"
    assert (run.created, run.rejected) == (1, 1)
    with portal.app_context():
        reason = session.scalar(
            select(RejectedRecord.reason).where(RejectedRecord.run_id == run.id)
        )
    assert "NUL" in reason
