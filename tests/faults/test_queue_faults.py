"""Issue 17's queue faults, on servers the tests start and stop: Redis lost, the mail server
down, a worker killed mid-job. PostgreSQL (committed data, read by worker processes)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from mooc_portal.accounts.models import Account
from mooc_portal.certificates.models import Certificate
from mooc_portal.certificates.services import issue_certificate
from mooc_portal.db import session, utcnow
from mooc_portal.enrollment import services as enrolment
from mooc_portal.enrollment.models import Enrollment
from mooc_portal.jobs import services as jobs
from mooc_portal.jobs.models import OutboxJob
from mooc_portal.jobs.queue import run_worker
from mooc_portal.mail import mail_suppressed
from mooc_portal.migrate import upgrade_database
from mooc_portal.pagination import PageRequest
from tests.conftest import TEST_SECRET, AuthActions, make_test_app
from tests.factories import make_account, make_course, make_run
from tests.faults.queue_servers import Mailbox, RedisServer, committed_postgres, wait_for

pytestmark = pytest.mark.faults

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def redis() -> Iterator[RedisServer]:
    server = RedisServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox()
    box.start()
    yield box
    box.stop()


@pytest.fixture
def settings(redis: RedisServer, mailbox: Mailbox) -> Iterator[dict[str, Any]]:
    with committed_postgres() as url:
        yield {
            "MOOC_DATABASE_URL": url,
            "MOOC_REDIS_URL": redis.url,
            "MOOC_QUEUE_NAME": f"mooc-faults-{uuid.uuid4().hex[:8]}",
            "MOOC_MAIL_SERVER": "127.0.0.1",
            "MOOC_MAIL_PORT": mailbox.port,
            "MOOC_MAIL_TIMEOUT": 30,
            "MOOC_JOB_TIMEOUT": 5,
            "MOOC_JOB_RETRY_DELAY": 0.2,
            "MOOC_JOB_RETRY_MAX_DELAY": 1,
            "MOOC_JOB_RELAY_INTERVAL": 0.3,
        }


@pytest.fixture
def portal(settings: dict[str, Any]) -> Iterator[Flask]:
    app = make_test_app(settings.pop("MOOC_DATABASE_URL"), **settings)
    settings["MOOC_DATABASE_URL"] = app.config["MOOC_DATABASE_URL"]
    with app.app_context():
        upgrade_database()
    yield app
    with app.app_context():
        app.extensions["sqlalchemy"].engine.dispose()


def ask_for_reset(app: Flask, email: str) -> int:
    client = app.test_client()
    token = AuthActions(client).csrf_token("/account/password/forgot")
    response = client.post("/account/password/forgot", data={"email": email, "csrf_token": token})
    return response.status_code


def outbox(app: Flask) -> list[tuple[str, str, int]]:
    with app.app_context():
        return [
            (job.kind, job.state, job.attempts)
            for job in session.scalars(select(OutboxJob).order_by(OutboxJob.id))
        ]


def mail_jobs(app: Flask) -> list[tuple[str, str, int]]:
    """The outbox's mail jobs (a public course also brings an export snapshot job)."""
    return [job for job in outbox(app) if job[0] == "mail"]


def to(mailbox: Mailbox, address: str) -> list[Any]:
    return [m for m in mailbox.messages if m["To"] == address]


def test_redis_lost_pages_answer_and_no_job_is_lost(portal, redis, mailbox):
    with portal.app_context():
        make_account("ana@example.org")
        session.commit()
    redis.stop()

    assert portal.test_client().get("/courses").status_code == 200
    assert ask_for_reset(portal, "ana@example.org") in (200, 302)
    assert outbox(portal) == [("mail", "pending", 0)]  # kept in PostgreSQL, not in Redis

    redis.start()  # back, and empty
    run_worker(portal, burst=True)
    assert [m["Subject"] for m in to(mailbox, "ana@example.org")] == ["Reset your password"]
    assert outbox(portal) == [("mail", "done", 1)]
    run_worker(portal, burst=True)
    assert len(to(mailbox, "ana@example.org")) == 1


def test_mail_server_down_mail_waits_is_retried_and_sent_once(portal, mailbox):
    with portal.app_context():
        make_account("ana@example.org")
        admin_id = make_account("admin@example.org", is_admin=True).id
        session.commit()
    mailbox.stop()

    assert ask_for_reset(portal, "ana@example.org") in (200, 302)
    run_worker(portal, burst=True)
    with portal.app_context():
        [waiting] = jobs.waiting_mail(session.get(Account, admin_id), PageRequest()).items
        assert waiting.state == "pending" and waiting.attempts == 1
        assert waiting.run_after > waiting.finished_at  # backoff before the next attempt
        message_id = waiting.payload["message_id"]

    mailbox.start()

    def delivered() -> bool:
        run_worker(portal, burst=True)
        return bool(to(mailbox, "ana@example.org"))

    wait_for(delivered, timeout=30, message="the mail was not sent once the server returned")
    run_worker(portal, burst=True)
    [message] = to(mailbox, "ana@example.org")
    assert message["Message-ID"] == message_id
    [(kind, state, attempts)] = outbox(portal)
    assert (kind, state) == ("mail", "done") and attempts >= 2


def start_worker(settings: dict[str, Any]) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "MOOC_ENV": "testing",
        "SECRET_KEY": TEST_SECRET,
        **{key: str(value) for key, value in settings.items()},
    }
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "portal", "worker"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_worker_killed_mid_job_the_job_runs_again_once(portal, settings, mailbox):
    with portal.test_request_context():
        course = make_course(credential="certificate", title="Ocean Science")
        run = make_run(course, enrollment_start_at=utcnow() - timedelta(days=1))
        learner = make_account("minji@example.org")
        with mail_suppressed():
            enrollment = enrolment.enroll(run, learner, actor=learner)
            session.commit()
        mailbox.block = True  # the mail server takes the connection and then hangs
        enrolment.complete(enrollment)
        session.commit()  # the certificate and its mail, in one commit
        enrollment_id = enrollment.id

    first = start_worker(settings)
    try:
        wait_for(
            lambda: mailbox.blocked and ("mail", "running", 1) in outbox(portal),
            timeout=60,
            message="the first worker never started the mail job",
        )
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
    mailbox.block = False

    second = start_worker(settings)
    try:
        wait_for(
            lambda: mail_jobs(portal) and mail_jobs(portal)[-1][1] == "done",
            timeout=60,
            message="the job did not run again after its worker was killed",
        )
    finally:
        second.terminate()
        second.wait(timeout=20)

    [message] = to(mailbox, "minji@example.org")
    assert "Your certificate for Ocean Science" in message["Subject"]
    assert mail_jobs(portal) == [("mail", "done", 2)]
    with portal.app_context():
        assert session.scalar(select(func.count(Certificate.id))) == 1
        enrollment = session.get(Enrollment, enrollment_id)
        issue_certificate(enrollment)  # issued again: the same certificate, no second mail
        session.commit()
    assert mail_jobs(portal) == [("mail", "done", 2)]
