"""Fixtures of the fault suite (``pytest -m faults``; ``make test-faults``).

Every test here is marked ``faults`` and so left out of ``make test`` (``addopts`` deselects
it); CI runs the suite after ``make test``. The servers are private (see ``servers.py``): a
PostgreSQL cluster per session (each test gets its own database on it, or its own clusters when
it stops them), a Redis server and an SMTP server per test that asks.

Without the PostgreSQL server binaries or root (``runuser -u postgres``) the suite skips with
the reason; with ``MOOC_REQUIRE_POSTGRES`` set (CI) it fails instead.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask

from mooc_portal.migrate import upgrade_database
from tests.conftest import make_test_app
from tests.faults.servers import (
    PortalProcess,
    PostgresCluster,
    RedisServer,
    SmtpServer,
    missing_tools,
)

HERE = Path(__file__).resolve().parent


@pytest.hookimpl(tryfirst=True)  # before -m selects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.faults)


def unavailable(reason: str) -> None:
    if os.environ.get("MOOC_REQUIRE_POSTGRES"):
        pytest.fail(f"MOOC_REQUIRE_POSTGRES is set but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def new_cluster() -> Iterator[Callable[[], PostgresCluster]]:
    """``new_cluster()``: a fresh private cluster, removed after the test."""
    reason = missing_tools()
    if reason:
        unavailable(reason)
    made: list[PostgresCluster] = []

    def make(name: str = "primary") -> PostgresCluster:
        cluster = PostgresCluster.create(name)
        made.append(cluster)
        return cluster

    yield make
    for cluster in made:
        cluster.remove()


@pytest.fixture(scope="session")
def shared_cluster() -> Iterator[PostgresCluster]:
    """One private cluster for the tests that do not stop it."""
    reason = missing_tools()
    if reason:
        unavailable(reason)
    cluster = PostgresCluster.create("shared")
    yield cluster
    cluster.remove()


def migrated_database(cluster: PostgresCluster, name: str | None = None) -> str:
    """A new database on ``cluster`` with the portal's tables; its URL."""
    url = cluster.create_database(name or f"portal_{uuid.uuid4().hex[:8]}")
    app = make_test_app(url)
    with app.app_context():
        upgrade_database()
        app.extensions["sqlalchemy"].engine.dispose()
    return url


@pytest.fixture
def portal_app(shared_cluster: PostgresCluster) -> Iterator[Flask]:
    """The portal in this process on its own migrated database of the shared cluster."""
    app = make_test_app(migrated_database(shared_cluster))
    yield app
    with app.app_context():
        app.extensions["sqlalchemy"].engine.dispose()


@pytest.fixture
def serve() -> Iterator[Callable[..., PortalProcess]]:
    """``serve(database_url, **config)``: the portal under gunicorn, stopped after the test."""
    started: list[PortalProcess] = []

    def start(database_url: str, workers: int = 2, **config: str) -> PortalProcess:
        portal = PortalProcess(database_url, workers=workers, config=config).start()
        started.append(portal)
        return portal

    yield start
    for portal in started:
        portal.stop()


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    """A private redis-server for this test (``.url``, ``.stop()``, ``.start()``)."""
    if shutil.which("redis-server") is None:
        if os.environ.get("MOOC_REQUIRE_REDIS"):
            pytest.fail("MOOC_REQUIRE_REDIS is set but redis-server is not installed")
        pytest.skip("redis-server is not installed")
    server = RedisServer()
    yield server
    server.remove()


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A private SMTP server for this test (``.messages``, ``.stop()``, ``.start()``)."""
    server = SmtpServer()
    yield server
    server.remove()
