"""The early page cache on Redis, as in production: a page is answered with no database at all,
and a catalog change is seen at the next request."""

from __future__ import annotations

import uuid

import pytest

from mooc_portal.db import session
from tests.conftest import make_test_app, reset_shared_state, rolled_back
from tests.factories import make_course
from tests.many_hosts import REDIS_URL, delete_redis_keys, require_redis
from tests.operations.test_early_cache import TOKEN, early_responses, visitor


@pytest.fixture
def app(databases, backend):
    """The portal with its page cache on Redis, as in production (a key prefix of its own)."""
    require_redis()
    databases.app(backend)  # the database, migrated
    prefix = f"mooc-test-early-{uuid.uuid4().hex[:12]}:"
    app = make_test_app(
        databases.url(backend), MOOC_CACHE_REDIS_URL=REDIS_URL, MOOC_CACHE_KEY_PREFIX=prefix
    )
    with app.app_context():
        reset_shared_state(app)
    with rolled_back(app):
        yield app
    delete_redis_keys(f"{prefix}*")
    with app.app_context():
        app.extensions["sqlalchemy"].engine.dispose()


def test_with_redis_a_page_is_answered_early_until_the_catalog_changes(app, count_queries):
    make_course("Redis Early Course", slug="redis-early")
    session.commit()
    first = visitor(app).get("/courses")
    assert "Redis Early Course" in first.get_data(as_text=True)
    before = early_responses()
    with count_queries() as counter:
        served = visitor(app).get("/courses")
    assert early_responses() == before + 1
    assert counter.count == 0  # the version is read from Redis: no database at all
    assert TOKEN.sub("", served.get_data(as_text=True)) == TOKEN.sub(
        "", first.get_data(as_text=True)
    )
    make_course("Second Redis Early Course")
    session.commit()
    assert "Second Redis Early Course" in visitor(app).get("/courses").get_data(as_text=True)


def test_a_hit_asks_redis_nothing_and_a_change_on_another_instance_is_pushed_at_once(
    app, databases, backend
):
    """Issue 10: the catalog's version is pushed to every process (Redis pub/sub): a hit costs
    no Redis round trip, and a change written by another instance misses at the next request."""
    from mooc_portal.caching import bump_generation

    make_course("Pushed Course", slug="pushed")
    session.commit()
    visitor(app).get("/courses")  # made and cached by Flask
    visitor(app).get("/courses")  # an early hit: the watch subscribes and reads the version
    backend_cache = app.wsgi_app.backend()  # the early cache's own Redis backend
    reads = []
    original_get = backend_cache.get
    backend_cache.get = lambda key: reads.append(key) or original_get(key)
    try:
        before = early_responses()
        visitor(app).get("/courses")
        assert early_responses() == before + 1
        assert reads == []  # the version came from the subscription, not a Redis read

        other = make_test_app(
            databases.url(backend),
            MOOC_CACHE_REDIS_URL=REDIS_URL,
            MOOC_CACHE_KEY_PREFIX=app.config["MOOC_CACHE_KEY_PREFIX"],
        )
        with other.app_context():
            bump_generation()  # a catalog change committed on another host
        before = early_responses()
        visitor(app).get("/courses")
        assert early_responses() == before  # not served from the old version: Flask made it
    finally:
        backend_cache.get = original_get
