"""Two portal instances as production runs many hosts: one PostgreSQL database whose writes are
really committed, and the machine's Redis (``MOOC_TEST_REDIS_URL``, shared with other users of
the machine: a test uses a queue name or key prefix of its own and deletes only its keys).
Used by the jobs and the operations two-host tests and the early cache's Redis test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask

from mooc_portal.migrate import upgrade_database
from tests.conftest import make_test_app
from tests.faults.queue_servers import committed_postgres

REDIS_URL = os.environ.get("MOOC_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def require_redis() -> str:
    """The machine's Redis URL; without it the test is skipped (failed under
    ``MOOC_REQUIRE_REDIS``) with the reason."""
    from redis import Redis

    try:
        Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as exc:  # any failure to connect means: skip, with the reason
        reason = f"Redis not reachable at {REDIS_URL}: {exc}"
        if os.environ.get("MOOC_REQUIRE_REDIS"):
            pytest.fail(f"MOOC_REQUIRE_REDIS is set but {reason}")
        pytest.skip(reason)
    return REDIS_URL


def delete_redis_keys(pattern: str) -> None:
    """Delete the keys of the machine's Redis that match ``pattern`` (a test's own prefix)."""
    from redis import Redis

    client = Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=pattern, count=500))
    if keys:
        client.delete(*keys)


@contextmanager
def two_hosts(**config: Any) -> Iterator[tuple[Flask, Flask, str]]:
    """Two portal instances with ``config`` on one fresh, migrated PostgreSQL database:
    (first, second, the database's URL). Skipped without PostgreSQL or Redis, as
    :func:`require_redis` and ``committed_postgres`` say; the database is dropped after."""
    require_redis()
    with committed_postgres() as url:
        first, second = make_test_app(url, **config), make_test_app(url, **config)
        try:
            with first.app_context():
                upgrade_database()
            yield first, second, url
        finally:
            for app in (first, second):
                with app.app_context():
                    app.extensions["sqlalchemy"].engine.dispose()
