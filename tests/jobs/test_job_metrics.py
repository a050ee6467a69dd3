"""What an operator reads at /metrics about background work: jobs enqueued, done, retried and
failed by kind, and each peer's harvest runs with the records they stored and rejected."""

from __future__ import annotations

import socket

import pytest
from prometheus_client.parser import text_string_to_metric_families

from mooc_portal.db import session
from mooc_portal.federation.harvest import harvest_peers
from mooc_portal.federation.models import Peer
from mooc_portal.mail import send_mail
from tests.conftest import make_test_app, reset_shared_state, rolled_back
from tests.federation.conftest import live_server
from tests.federation.peer_snapshots import (
    hostile_peer,
    peer_course,
    peer_institution,
    peer_snapshot,
)


@pytest.fixture
def app(databases, backend):
    """The portal with /metrics, its peers on 127.0.0.1 (the test serves them)."""
    databases.app(backend)  # the database, migrated
    app = make_test_app(databases.url(backend), MOOC_METRICS=True, MOOC_ALLOW_PRIVATE_PEERS=True)
    with app.app_context():
        reset_shared_state(app)
    with rolled_back(app):
        yield app
    with app.app_context():
        app.extensions["sqlalchemy"].engine.dispose()


def figures(app) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = app.test_client().get("/metrics").get_data(as_text=True)
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def change(before, after, name, **labels) -> float:
    key = (name, tuple(sorted(labels.items())))
    return after.get(key, 0.0) - before.get(key, 0.0)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_jobs_are_counted_by_kind_and_outcome(app, monkeypatch):
    before = figures(app)
    send_mail("ana@example.org", "Hello", "body")
    session.commit()
    after = figures(app)
    assert change(before, after, "mooc_jobs_total", job="mail", outcome="enqueued") == 1
    assert change(before, after, "mooc_jobs_total", job="mail", outcome="done") == 1
    assert change(before, after, "mooc_job_duration_seconds_count", job="mail") == 1

    monkeypatch.setitem(app.config, "MOOC_MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MOOC_MAIL_PORT", _closed_port())
    send_mail("ana@example.org", "Again", "body")
    session.commit()  # the server is down: another attempt follows
    monkeypatch.setitem(app.config, "MOOC_JOB_MAX_ATTEMPTS", 1)
    send_mail("ana@example.org", "Last", "body")
    session.commit()  # no attempt left
    last = figures(app)
    assert change(after, last, "mooc_jobs_total", job="mail", outcome="enqueued") == 2
    assert change(after, last, "mooc_jobs_total", job="mail", outcome="retried") == 1
    assert change(after, last, "mooc_jobs_total", job="mail", outcome="failed") == 1
    assert change(after, last, "mooc_jobs_total", job="mail", outcome="done") == 0


def test_nothing_is_counted_for_work_rolled_back(app):
    before = figures(app)
    send_mail("ana@example.org", "Never", "body")
    session.rollback()
    after = figures(app)
    assert change(before, after, "mooc_jobs_total", job="mail", outcome="enqueued") == 0


def test_harvest_runs_and_their_records_are_counted_per_peer(app):
    institution = "7b0e7a8e-1111-4c1e-9a55-0000000000aa"
    course = peer_course(
        "7b0e7a8e-2222-4c1e-9a55-0000000000aa",
        institution,
        "M1",
        "metric-course",
        "A counted course",
    )
    snapshot = peer_snapshot(
        [peer_institution(institution, "counted-university", "Counted University")],
        [course, {**course, "id": "not-a-uuid"}],
    )
    before = figures(app)
    with live_server(hostile_peer(snapshot)) as url:
        session.add(Peer(name="Counted peer", base_url=url))
        session.add(Peer(name="Gone peer", base_url="http://127.0.0.1:9"))
        session.commit()
        harvest_peers()
    after = figures(app)
    assert (
        change(before, after, "mooc_harvest_runs_total", peer="Counted peer", outcome="succeeded")
        == 1
    )
    assert (
        change(before, after, "mooc_harvested_records_total", peer="Counted peer", outcome="stored")
        == 2
    )  # the institution and the course
    assert (
        change(
            before, after, "mooc_harvested_records_total", peer="Counted peer", outcome="rejected"
        )
        == 1
    )
    assert change(before, after, "mooc_harvest_runs_total", peer="Gone peer", outcome="failed") == 1
