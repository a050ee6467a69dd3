"""Queue faults measured (issue 17): Redis lost, the mail server down, a worker killed.

    python -m benchmarks.job_faults [--mails 50]

On a fresh PostgreSQL database, a private redis-server and an aiosmtpd server (free loopback
ports), with a real ``flask portal worker`` process. For each fault: the requests that failed
while it lasted, the time from the fault's end until every message was delivered, and messages
lost or sent twice. Target: no failed request, nothing lost, nothing sent twice.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import select

from mooc_portal.db import session
from mooc_portal.jobs.models import OutboxJob
from mooc_portal.migrate import upgrade_database
from tests.conftest import TEST_SECRET, AuthActions, make_test_app
from tests.factories import make_account
from tests.faults.queue_servers import Mailbox, RedisServer, committed_postgres

ROOT = Path(__file__).resolve().parents[1]


def worker(settings: dict[str, Any]) -> subprocess.Popen[bytes]:
    env = {**os.environ, "MOOC_ENV": "testing", "SECRET_KEY": TEST_SECRET}
    env.update({k: str(v) for k, v in settings.items()})
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "portal", "worker"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def ask(app: Any, emails: list[str]) -> int:
    """Reset requests for ``emails`` and a catalog page each; the number of failed answers."""
    client = app.test_client()
    token = AuthActions(client).csrf_token("/account/password/forgot")
    failed = 0
    for email in emails:
        answer = client.post("/account/password/forgot", data={"email": email, "csrf_token": token})
        failed += answer.status_code >= 400
        failed += client.get("/courses").status_code != 200
    return failed


def until_delivered(mailbox: Mailbox, count: int, timeout: float = 120) -> float:
    started = time.monotonic()
    while len(mailbox.messages) < count and time.monotonic() - started < timeout:
        time.sleep(0.05)
    return time.monotonic() - started


def report(name: str, failed: int, recovery: float, mailbox: Mailbox, expected: int) -> None:
    ids = Counter(m["Message-ID"] for m in mailbox.messages)
    twice = sum(n - 1 for n in ids.values())
    print(f"| {name} | {failed} | {recovery:.1f} s | {expected - len(ids)} | {twice} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mails", type=int, default=50)
    n = parser.parse_args().mails
    redis, mailbox = RedisServer(), Mailbox()
    redis.start()
    mailbox.start()
    with committed_postgres() as url:
        settings = {
            "MOOC_DATABASE_URL": url,
            "MOOC_REDIS_URL": redis.url,
            "MOOC_QUEUE_NAME": f"mooc-bench-{uuid.uuid4().hex[:8]}",
            "MOOC_MAIL_SERVER": "127.0.0.1",
            "MOOC_MAIL_PORT": mailbox.port,
            "MOOC_JOB_TIMEOUT": 5,
            "MOOC_JOB_RETRY_DELAY": 1,
            "MOOC_JOB_RETRY_MAX_DELAY": 5,
            "MOOC_JOB_RELAY_INTERVAL": 1,
        }
        app = make_test_app(url, **{k: v for k, v in settings.items() if k != "MOOC_DATABASE_URL"})
        with app.app_context():
            upgrade_database()
            emails = [make_account(f"learner{i}@example.org").email for i in range(3 * n)]
            session.commit()
        print("| fault | failed requests | until all delivered | lost | sent twice |")
        print("|---|---|---|---|---|")

        # Redis lost: requests while it is down; the worker runs throughout.
        process = worker(settings)
        redis.stop()
        failed = ask(app, emails[:n])
        redis.start()
        report("Redis stopped, then started empty", failed, until_delivered(mailbox, n), mailbox, n)

        # Mail server down: requests while it is down, then it returns.
        mailbox.stop()
        failed = ask(app, emails[n : 2 * n])
        time.sleep(3)  # at least one failed attempt each
        mailbox.start()
        report(
            "mail server stopped, then started",
            failed,
            until_delivered(mailbox, 2 * n),
            mailbox,
            2 * n,
        )

        # Worker killed mid-job: the server hangs on the next message; SIGKILL; a new worker.
        mailbox.block = True
        failed = ask(app, emails[2 * n :])
        while not mailbox.blocked:
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        process.wait()
        mailbox.block = False
        started = time.monotonic()
        process = worker(settings)
        until_delivered(mailbox, 3 * n)
        report("worker SIGKILLed mid-job", failed, time.monotonic() - started, mailbox, 3 * n)
        process.terminate()
        process.wait(timeout=20)
        with app.app_context():
            states = Counter(session.scalars(select(OutboxJob.state)))
            print(f"outbox: {dict(states)}")
            app.extensions["sqlalchemy"].engine.dispose()
    redis.stop()
    mailbox.stop()


if __name__ == "__main__":
    main()
