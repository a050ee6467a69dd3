"""10,000 xAPI statements in batches of 100, stored and applied, over real HTTP.

    python -m benchmarks.xapi_statements [--statements 10000] [--batch 100] [--learners 100]
                                         [--clients 2] [--workers 2]
                                         [--backend postgresql|sqlite] [--in-process]

A portal on a scratch database (PostgreSQL: created and dropped here) is served as in
production: gunicorn (``--workers`` sync workers, the benchmarks' bare settings), MOOC_ENV
production, jobs handed to Redis (a queue of this run's own, emptied and deleted at the end:
the certificate mails are queued, not sent, as a worker would send them after). One run of a
certificate course has ``--learners`` enrolled learners. ``--clients`` clients post the
statements in batches, as Open edX's event-routing backends do with batching on (from their
Celery workers, so more than one at a time): per learner, ``progressed`` statements with a
rising cmi5 progress figure, the last one ``completed``. The completions are posted after every
other batch is answered. Every statement is validated, stored, indexed and applied (the learner
matched, the reported progress set; the completions complete the enrolments and issue the
certificates). ``--in-process`` serves the portal from a werkzeug thread in this process
instead (the earlier method; no Redis: the mails are sent in the request).

Target (issue 13): at least 1,000 statements/s on PostgreSQL on the project's machine. Prints
the load average before and after; exits non-zero when a batch is refused or the final state
is wrong (every learner completed at 100 % reported, with a certificate).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, func, select, text

from benchmarks.server import free_port, production_env, start_gunicorn

PROGRESS = "https://w3id.org/xapi/cmi5/result/extensions/progress"
REDIS_URL = os.environ.get("MOOC_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU time the processes used so far (Linux ``/proc``)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / ticks


def worker_pids(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children")
    return [int(pid) for pid in children.read_text().split()] if children.exists() else []


def database_pids(url: str, database: str) -> list[int]:
    """The PostgreSQL server processes serving ``database`` (on this machine)."""
    engine = create_engine(url)
    with engine.connect() as connection:
        pids = connection.execute(
            text(
                "SELECT pid FROM pg_stat_activity WHERE datname = :name AND pid <> pg_backend_pid()"
            ),
            {"name": database},
        ).scalars()
        found = [int(pid) for pid in pids]
    engine.dispose()
    return found


def make_statements(emails: list[str], activity: str, total: int) -> list[dict[str, Any]]:
    per_learner = total // len(emails)
    statements = []
    for step in range(per_learner):
        for email in emails:
            last = step == per_learner - 1
            statements.append(
                {
                    "id": str(uuid.uuid4()),
                    "actor": {"objectType": "Agent", "mbox": f"mailto:{email}"},
                    "verb": {
                        "id": "http://adlnet.gov/expapi/verbs/"
                        + ("completed" if last else "progressed")
                    },
                    "object": {"objectType": "Activity", "id": activity},
                    "result": {"completion": True}
                    if last
                    else {"extensions": {PROGRESS: (step + 1) * 100 // per_learner}},
                    "timestamp": "2026-12-03T12:00:00.000Z",
                }
            )
    return statements


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--statements", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--learners", type=int, default=100)
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--backend", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--in-process", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("MOOC_ENV", "testing")

    from mooc_portal.certificates.models import Certificate
    from mooc_portal.db import session, utcnow
    from mooc_portal.enrollment import services as enrolment
    from mooc_portal.enrollment.models import Enrollment
    from mooc_portal.mail import mail_suppressed
    from mooc_portal.migrate import upgrade_database
    from mooc_portal.progress.models import ReportedProgress
    from mooc_portal.xapi.credentials import create_credential
    from mooc_portal.xapi.progress import default_activity_id
    from tests.conftest import make_test_app
    from tests.factories import make_account, make_course, make_institution, make_run
    from tests.scratch_database import create_database, drop_database

    if args.backend == "postgresql":
        database, url = create_database("mooc_xapi_bench")
    else:
        database, url = "", f"sqlite:////tmp/mooc_xapi_bench_{uuid.uuid4().hex[:8]}.sqlite3"
    port = free_port()
    public_url = f"http://127.0.0.1:{port}"
    queue_name = f"mooc-xapi-bench-{uuid.uuid4().hex[:8]}"
    gunicorn: subprocess.Popen[bytes] | None = None
    try:
        app = make_test_app(url, MOOC_PUBLIC_URL=public_url)
        with app.app_context():
            upgrade_database()
        with app.test_request_context(), mail_suppressed():
            institution = make_institution("xAPI Partner University")
            manager = make_account(is_admin=True)
            credential, secret = create_credential(manager, institution, "Benchmark LRS client")
            course = make_course(institution=institution, credential="certificate")
            start = utcnow() - timedelta(days=1)
            run = make_run(course, start=start, enrollment_start_at=start - timedelta(days=3))
            emails = []
            for n in range(args.learners):
                learner = make_account(f"bench{n}@example.org")
                enrolment.enroll(run, learner, actor=learner)
                emails.append(learner.email)
            activity, run_id, key = default_activity_id(run), run.id, credential.key
            session.commit()

        if args.in_process:
            import threading

            from werkzeug.serving import make_server

            server = make_server("127.0.0.1", port, app, threaded=True)
            threading.Thread(target=server.serve_forever, daemon=True).start()
            how = "werkzeug in-process"
        else:
            env = production_env(port, url, MOOC_REDIS_URL=REDIS_URL, MOOC_QUEUE_NAME=queue_name)
            gunicorn = start_gunicorn("wsgi:app", port, env, workers=args.workers)
            how = f"gunicorn, {args.workers} sync workers"

        statements = make_statements(emails, activity, args.statements)
        batches = [statements[at : at + args.batch] for at in range(0, len(statements), args.batch)]
        final = [b for b in batches if b[-1]["verb"]["id"].endswith("/completed")]
        first = [b for b in batches if b not in final]
        clients = [
            httpx.Client(
                base_url=f"{public_url}/xapi",
                auth=(key, secret),
                headers={"X-Experience-API-Version": "1.0.3"},
                timeout=120,
            )
            for _ in range(args.clients)
        ]
        clients[0].get("/about").raise_for_status()  # every worker has started
        failures: list[str] = []

        def post(numbered: tuple[int, list[dict[str, Any]]]) -> None:
            n, batch = numbered
            response = clients[n % len(clients)].post("/statements", json=batch)
            if response.status_code != 200:
                failures.append(f"batch {n}: {response.status_code} {response.text[:300]}")

        def server_cpu() -> dict[str, float]:
            """CPU seconds the gunicorn workers and this database's PostgreSQL processes used."""
            return {
                "portal": cpu_seconds(worker_pids(gunicorn.pid)) if gunicorn is not None else 0.0,
                "PostgreSQL": cpu_seconds(database_pids(url, database))
                if args.backend == "postgresql"
                else 0.0,
            }

        cpu_before = server_cpu()
        load_before = os.getloadavg()
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=args.clients) as pool:
            list(pool.map(post, enumerate(first)))
            list(pool.map(post, enumerate(final, start=len(first))))
        elapsed = time.perf_counter() - started
        load_after = os.getloadavg()
        cpu = {name: used - cpu_before[name] for name, used in server_cpu().items()}
        for failure in failures[:5]:
            print(failure)

        engine = create_engine(url)
        with engine.connect() as connection:
            completed = connection.scalar(
                select(func.count())
                .select_from(Enrollment)
                .where(Enrollment.run_id == run_id, Enrollment.state == "completed")
            )
            certificates = connection.scalar(select(func.count()).select_from(Certificate))
            at_100 = connection.scalar(
                select(func.count())
                .select_from(ReportedProgress)
                .where(ReportedProgress.percent == 100, ReportedProgress.completed.is_(True))
            )
        engine.dispose()
        ok = not failures and completed == len(emails) == certificates == at_100
        print(
            f"{len(statements)} statements in batches of {args.batch} on {args.backend} "
            f"({how}, {args.clients} clients): {elapsed:.1f} s, "
            f"{len(statements) / elapsed:.0f} statements/s; {completed} of {len(emails)} "
            f"learners completed, {certificates} certificates, {at_100} reported at 100 %; "
            f"load average {load_before[0]:.1f} before, {load_after[0]:.1f} after "
            f"({os.cpu_count()} cores). {'OK' if ok else 'FAILED'}"
        )
        if not args.in_process:
            # What the machine's load cannot inflate: the CPU the server side used.
            used = sum(cpu.values())
            print(
                f"CPU used while timed by the gunicorn workers and the database's PostgreSQL "
                f"processes: {used:.1f} s ({used / len(statements) * 1000:.2f} ms per statement: "
                + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in cpu.items())
                + ")"
            )
        return 0 if ok else 1
    finally:
        if gunicorn is not None:
            gunicorn.terminate()
            gunicorn.wait(timeout=30)
            _delete_queue(queue_name)
        if args.backend == "postgresql":
            drop_database(database)


def _delete_queue(name: str) -> None:
    """The certificate mails this run queued: nobody sends them."""
    from redis import Redis
    from rq import Queue

    redis = Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        Queue(name, connection=redis).delete(delete_jobs=True)
    except Exception as error:  # Redis gone: nothing was queued there either
        print(f"Could not delete the queue {name}: {error}")


if __name__ == "__main__":
    sys.exit(main())
