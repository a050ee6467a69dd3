"""Many hosts (issue 10): a job written by one portal instance is run by a worker in another
process and seen done from a third instance; on the machine's Redis (CI starts it), with a
queue name of this test run's own, and on PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from mooc_portal.db import session
from tests.conftest import TEST_SECRET, AuthActions
from tests.factories import make_account
from tests.faults.queue_servers import Mailbox
from tests.many_hosts import REDIS_URL, two_hosts

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def instances() -> Iterator[tuple[Flask, Flask, dict[str, str]]]:
    mailbox = Mailbox()
    settings = {
        "MOOC_REDIS_URL": REDIS_URL,
        "MOOC_QUEUE_NAME": f"mooc-test-{uuid.uuid4().hex[:10]}",
        "MOOC_MAIL_SERVER": "127.0.0.1",
        "MOOC_MAIL_PORT": str(mailbox.port),
    }
    mailbox.start()
    try:
        with two_hosts(**settings) as (first, second, url):
            first.extensions["test_mailbox"] = mailbox
            yield first, second, {**settings, "MOOC_DATABASE_URL": url}
    finally:
        mailbox.stop()


def run_worker(settings: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    """A worker in a process of its own that runs what is queued, then stops."""
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "portal", "worker", "--burst"],
        cwd=ROOT,
        env={**os.environ, "MOOC_ENV": "testing", "SECRET_KEY": TEST_SECRET, **settings},
        capture_output=True,
        timeout=120,
    )


def test_a_job_queued_by_one_instance_is_run_by_a_worker(instances):
    first, second, settings = instances
    mailbox = first.extensions["test_mailbox"]
    with first.app_context():
        make_account("ana@example.org")
        make_account("admin@example.org", is_admin=True)
        session.commit()

    client = first.test_client()
    token = AuthActions(client).csrf_token("/account/password/forgot")
    client.post("/account/password/forgot", data={"email": "ana@example.org", "csrf_token": token})
    assert mailbox.messages == []  # queued on Redis, not sent by the web instance

    worker = run_worker(settings)
    assert worker.returncode == 0, worker.stderr.decode()[-2000:]
    assert [m["To"] for m in mailbox.messages] == ["ana@example.org"]

    other = second.test_client()
    AuthActions(other).login("admin@example.org")
    page = other.get("/admin/jobs").get_data(as_text=True)
    assert "Done" in page and "Mail" in page
    assert "No mail is waiting." in page


def test_a_learners_data_is_built_by_the_worker_and_downloaded_from_another_host(instances):
    """Issue 15: "my data" of a large account, through the queue and a real worker."""
    first, second, settings = instances
    mailbox = first.extensions["test_mailbox"]
    for app in (first, second):
        app.config["MOOC_DATA_DOWNLOAD_INLINE_ROWS"] = -1  # every account counts as large
    with first.app_context():
        make_account("ana@example.org")
        session.commit()

    client = first.test_client()
    auth = AuthActions(client)
    auth.login("ana@example.org")
    token = auth.csrf_token("/account/my-data")
    assert client.post("/account/my-data/prepare", data={"csrf_token": token}).status_code == 302
    page = client.get("/account/my-data").get_data(as_text=True)
    assert "Your file is being prepared" in page  # queued on Redis, not built by the web host
    assert mailbox.messages == []

    worker = run_worker(settings)
    assert worker.returncode == 0, worker.stderr.decode()[-2000:]
    [message] = mailbox.messages
    assert message["To"] == "ana@example.org"
    assert message["Subject"] == "Your data is ready to download"

    other = second.test_client()
    AuthActions(other).login("ana@example.org")
    page = other.get("/account/my-data").get_data(as_text=True)
    assert "Your file is ready" in page
    [link] = [
        part.split('"')[0] for part in page.split('href="') if part.startswith("/account/my-data/")
    ]
    download = other.get(link)
    assert download.status_code == 200
    assert download.get_json()["account"]["email"] == "ana@example.org"


def test_the_export_snapshot_is_built_by_the_worker_and_served_by_another_host(instances):
    """Issue 10: a large catalog's export is asked for on one host, built by a worker in
    another process, and served (gzip, ETag) by a third instance."""
    import gzip
    import json

    from tests.factories import make_course

    first, second, settings = instances
    for app in (first, second):
        app.config["MOOC_EXPORT_INLINE_COURSES"] = 0  # every catalog counts as large
    with first.app_context():
        make_course("Exported Across Hosts", runs=1)
        session.commit()

    waiting = first.test_client().get("/api/v1/export")
    assert waiting.status_code == 503  # queued on Redis, not built by the web host
    assert second.test_client().get("/api/v1/export").status_code == 503

    worker = run_worker(settings)
    assert worker.returncode == 0, worker.stderr.decode()[-2000:]

    served = second.test_client().get("/api/v1/export", headers={"Accept-Encoding": "gzip"})
    assert served.status_code == 200
    assert served.headers["Content-Encoding"] == "gzip"
    document = json.loads(gzip.decompress(served.data))
    assert [c["title"]["en"] for c in document["courses"]] == ["Exported Across Hosts"]
    again = first.test_client().get(
        "/api/v1/export", headers={"If-None-Match": served.headers["ETag"]}
    )
    assert again.status_code == 304
