"""Backup and restore drill: ``pg_dump`` a populated portal, restore it into a new database.

The restored portal serves the same export snapshot (``/api/v1/export``, but for the time it was
generated) and the same change-feed head as the original, and a learner of the original logs in
to it.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from flask import Flask

from mooc_portal.demo import load_demo_data
from mooc_portal.mail import mail_suppressed
from tests.conftest import AuthActions, make_test_app
from tests.faults.conftest import migrated_database
from tests.faults.servers import PostgresCluster

DEMO_PASSWORD = "asem-mooc-demo"


def snapshot(app: Flask) -> dict[str, Any]:
    response = app.test_client().get("/api/v1/export")
    assert response.status_code == 200
    document = json.loads(response.get_data(as_text=True))
    document.pop("generated_at")
    return document


def feed_head(app: Flask) -> tuple[Any, ...]:
    """The change feed's latest entry as a peer sees it: cursor, count and the last change."""
    client = app.test_client()
    changes: list[Any] = []
    cursor = None
    while True:
        page = client.get("/api/v1/changes", query_string={"after": cursor} if cursor else {})
        assert page.status_code == 200
        body = page.json
        changes += body["changes"]
        cursor = body["next"]
        if not body["has_more"]:
            break
    return cursor, len(changes), json.dumps(changes[-1], sort_keys=True) if changes else None


def test_a_dump_restored_into_a_new_database_serves_the_same_catalog(
    shared_cluster: PostgresCluster, tmp_path: Path
):
    url = migrated_database(shared_cluster, "drill_original")
    original = make_test_app(url, MOOC_PUBLIC_URL="https://mooc.example.org")
    with original.test_request_context(), mail_suppressed():
        load_demo_data()
        original.extensions["sqlalchemy"].session.commit()

    dump = tmp_path / "portal.dump"
    started = time.monotonic()
    shared_cluster.pg_tool("pg_dump", "--format=custom", "--file", str(dump), "drill_original")
    dumped = time.monotonic()
    shared_cluster.execute('CREATE DATABASE "drill_restored"')
    shared_cluster.pg_tool(
        "pg_restore", "--exit-on-error", "--no-owner", "--dbname", "drill_restored", str(dump)
    )
    print(
        f"\nbackup drill: pg_dump {dumped - started:.2f} s ({dump.stat().st_size} bytes), "
        f"pg_restore {time.monotonic() - dumped:.2f} s"
    )
    restored = make_test_app(
        shared_cluster.url("drill_restored"), MOOC_PUBLIC_URL="https://mooc.example.org"
    )

    before, after = snapshot(original), snapshot(restored)
    assert len(before["courses"]) > 100
    assert after == before
    assert feed_head(restored) == feed_head(original)
    client = restored.test_client()
    assert (
        AuthActions(client).login("learner.seoul@asem-mooc.example", DEMO_PASSWORD).status_code
        == 302
    )
    assert client.get("/my/learning").status_code == 200
    for app in (original, restored):
        with app.app_context():
            app.extensions["sqlalchemy"].engine.dispose()
