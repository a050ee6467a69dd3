"""The database ends the portal's connections (``pg_terminate_backend``): no request fails.

A failover, a restart or a PgBouncer recycle does this. Between requests the pool's pre-ping
replaces the dead connections; a read whose connection dies under it runs again; a write whose
connection dies before its commit answers 503 "try again" with nothing of it stored, and the
same write sent again is stored once.

The fault is injected for real: at a chosen statement (or at the commit) the test terminates
the backend serving the request from another connection, so the statement meets a dead
connection exactly as it would in production.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event

from tests.conftest import AuthActions
from tests.faults.conftest import migrated_database
from tests.faults.load import Load, Seed, seed, stored, write_ops
from tests.faults.servers import PostgresCluster


@pytest.fixture
def portal(shared_cluster: PostgresCluster) -> Iterator[tuple[Flask, str, Seed]]:
    url = migrated_database(shared_cluster)
    data = seed(url, learners=2, runs=2, lessons=2, in_review=1)
    from tests.conftest import make_test_app

    app = make_test_app(url)
    yield app, url, data
    with app.app_context():
        app.extensions["sqlalchemy"].engine.dispose()


@contextmanager
def terminate_backend_at(
    app: Flask, cluster: PostgresCluster, when: Callable[[str], bool], *, at_commit: bool = False
) -> Iterator[list[int]]:
    """Terminate the backend of the connection about to run the first statement matching
    ``when`` (or about to commit), once; yields the list of terminated backend pids."""
    with app.app_context():
        engine = app.extensions["sqlalchemy"].engine
    killed: list[int] = []

    def kill(connection: Any) -> None:
        pid = connection.connection.dbapi_connection.info.backend_pid
        cluster.execute("SELECT pg_terminate_backend(%s)", pid)
        killed.append(pid)
        # The backend is gone once the server has noticed; wait until it has.
        deadline = time.monotonic() + 5
        while cluster.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", pid):
            assert time.monotonic() < deadline, "the backend did not end"
            time.sleep(0.01)

    def before_execute(connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not killed and when(statement):
            kill(connection)

    def before_commit(connection: Any) -> None:
        if not killed:
            kill(connection)

    if at_commit:
        event.listen(engine, "commit", before_commit)
    else:
        event.listen(engine, "before_cursor_execute", before_execute)
    try:
        yield killed
    finally:
        if at_commit:
            event.remove(engine, "commit", before_commit)
        else:
            event.remove(engine, "before_cursor_execute", before_execute)


def test_connections_ended_between_requests_cost_no_request(portal, shared_cluster):
    app, url, data = portal
    client = app.test_client()
    AuthActions(client).login(data.learners[0])
    assert client.get("/courses").status_code == 200  # the pool now holds connections
    database = url.rsplit("/", 1)[1]
    assert shared_cluster.terminate_backends(database) >= 1

    assert client.get("/courses").status_code == 200
    token = AuthActions(client).csrf_token("/my/learning")
    response = client.post(f"/runs/{data.runs[0]}/enrol", data={"csrf_token": token})
    assert response.status_code == 302
    assert (data.learners[0], data.runs[0]) in stored(url)["enrol"]


def test_a_read_whose_connection_dies_runs_again(portal, shared_cluster):
    app, _url, _data = portal
    client = app.test_client()
    with terminate_backend_at(app, shared_cluster, lambda s: "FROM mooc_course" in s) as killed:
        page = client.get("/courses")
    assert killed, "the fault was not injected"
    assert page.status_code == 200
    assert "Open course 0" in page.get_data(as_text=True)


def test_a_write_whose_connection_dies_before_commit_says_try_again_and_stores_nothing(
    portal, shared_cluster
):
    app, url, data = portal
    client = app.test_client()
    auth = AuthActions(client)
    auth.login(data.learners[0])
    token = auth.csrf_token("/my/learning")
    enrol = f"/runs/{data.runs[0]}/enrol"
    with terminate_backend_at(
        app, shared_cluster, lambda s: s.startswith("INSERT INTO mooc_enrollment ")
    ) as killed:
        response = client.post(enrol, data={"csrf_token": token})
    assert killed, "the fault was not injected"
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    body = response.get_data(as_text=True)
    assert "Your change was not saved" in body
    assert "Traceback" not in body
    assert (data.learners[0], data.runs[0]) not in stored(url)["enrol"]

    again = client.post(enrol, data={"csrf_token": token})
    assert again.status_code == 302
    assert (data.learners[0], data.runs[0]) in stored(url)["enrol"]


def test_a_write_whose_connection_dies_at_commit_asks_to_check_and_stores_nothing(
    portal, shared_cluster
):
    app, url, data = portal
    client = app.test_client()
    auth = AuthActions(client)
    auth.login(data.learners[1])
    token = auth.csrf_token("/my/learning")
    with terminate_backend_at(app, shared_cluster, lambda _s: True, at_commit=True) as killed:
        response = client.post(f"/runs/{data.runs[1]}/enrol", data={"csrf_token": token})
    assert killed, "the fault was not injected"
    assert response.status_code == 503
    assert "could not confirm it" in response.get_data(as_text=True)
    assert (data.learners[1], data.runs[1]) not in stored(url)["enrol"]


def test_the_json_api_answers_json_when_its_database_connection_dies_for_good(
    portal, shared_cluster
):
    """Every attempt of the read loses its connection: the API's own JSON 503, no stack."""
    app, _url, _data = portal
    with app.app_context():
        engine = app.extensions["sqlalchemy"].engine
    killed: list[int] = []

    def kill_every_course_query(connection: Any, _c: Any, statement: str, *_a: Any) -> None:
        if "FROM mooc_course" in statement:
            pid = connection.connection.dbapi_connection.info.backend_pid
            shared_cluster.execute("SELECT pg_terminate_backend(%s)", pid)
            killed.append(pid)
            while shared_cluster.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", pid):
                time.sleep(0.01)

    event.listen(engine, "before_cursor_execute", kill_every_course_query)
    try:
        response = app.test_client().get("/api/v1/courses")
    finally:
        event.remove(engine, "before_cursor_execute", kill_every_course_query)
    assert len(killed) == 3  # READ_ATTEMPTS
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.json["status"] == 503
    assert "database" in response.json["message"]


def test_under_load_with_connections_ended_every_half_second_nothing_fails(shared_cluster, serve):
    url = migrated_database(shared_cluster)
    database = url.rsplit("/", 1)[1]
    data = seed(url, learners=6, runs=4, lessons=4, in_review=4)
    portal = serve(url)
    load = Load(write_ops(data, portal.url), portal.url, pace=0.05).start()
    ended: list[int] = []
    done = threading.Event()

    def terminate_repeatedly() -> None:
        while not done.is_set():
            ended.append(shared_cluster.terminate_backends(database))
            done.wait(0.5)

    killer = threading.Thread(target=terminate_repeatedly, daemon=True)
    killer.start()
    load.finish()
    done.set()
    killer.join()

    print(f"\ndropped connections: {sum(ended)} backends ended in {len(ended)} rounds")
    print("answers:", load.summary())
    assert sum(ended) > 0
    assert load.unexpected == [], load.unexpected[:5]
    reads = [a for a in load.answers if a.kind in ("read", "ready")]
    assert reads and all(a.status == 200 for a in reads), [
        (a.path, a.status) for a in reads if a.status != 200
    ]
    writes = [a for a in load.answers if a.kind not in ("read", "ready")]
    # A write is acknowledged (302), or refused with Retry-After (503) and sent again; a 409 only
    # answers the resend of a write whose commit could not be confirmed and did happen (the
    # load counts it as settled, and reports any other 409 as unexpected, checked above).
    assert all(a.status in (302, 409) or (a.status == 503 and a.retry_after) for a in writes)
    kept = stored(url)
    for kind, count in (("enrol", 24), ("complete", 24), ("publish", 4)):
        acknowledged = load.acknowledged.get(kind, set())
        settled = load.settled.get(kind, set())  # "could not confirm", then found done
        assert len(acknowledged | settled) == count, (kind, len(acknowledged), len(settled))
        assert acknowledged | settled <= kept[kind], (kind, (acknowledged | settled) - kept[kind])
