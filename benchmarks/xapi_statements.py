"""10,000 xAPI statements in batches of 100, stored and applied, over real HTTP.

    python -m benchmarks.xapi_statements [--statements 10000] [--batch 100] [--learners 100]
                                         [--backend postgresql|sqlite]

A portal on a scratch database (PostgreSQL: created and dropped here) is served on a loopback
port (werkzeug, threaded, in this process); one run of a certificate course has ``--learners``
enrolled learners. One client posts the statements in batches, as Open edX's event-routing
backends do with batching on: per learner, ``progressed`` statements with a rising cmi5
progress figure, the last one ``completed``. Every statement is validated, stored, indexed and
applied (the learner matched, the reported progress set; the completions complete the
enrolments and issue the certificates). Target (issue 13): at least 1,000 statements/s on
PostgreSQL on the project's machine. Exits non-zero when a batch is refused or the final
state is wrong (every learner completed, with a certificate).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from datetime import timedelta

import httpx
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

POSTGRES_URL = os.environ.get(
    "MOOC_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
PROGRESS = "https://w3id.org/xapi/cmi5/result/extensions/progress"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--statements", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--learners", type=int, default=100)
    parser.add_argument("--backend", choices=("postgresql", "sqlite"), default="postgresql")
    args = parser.parse_args()
    os.environ.setdefault("MOOC_ENV", "testing")

    from mooc_portal.certificates.models import Certificate
    from mooc_portal.db import session, utcnow
    from mooc_portal.enrollment import services as enrolment
    from mooc_portal.enrollment.models import Enrollment
    from mooc_portal.mail import mail_suppressed
    from mooc_portal.xapi.progress import default_activity_id
    from tests.factories import make_account, make_course, make_run
    from tests.xapi.live import live_portal

    name = f"mooc_xapi_bench_{uuid.uuid4().hex[:8]}"
    if args.backend == "postgresql":
        admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    else:
        url = f"sqlite:////tmp/{name}.sqlite3"

    def setup(institution):  # type: ignore[no-untyped-def]
        course = make_course(institution=institution, credential="certificate")
        start = utcnow() - timedelta(days=1)
        run = make_run(course, start=start, enrollment_start_at=start - timedelta(days=3))
        emails = []
        with mail_suppressed():
            for n in range(args.learners):
                learner = make_account(f"bench{n}@example.org")
                enrolment.enroll(run, learner, actor=learner)
                emails.append(learner.email)
        return {"activity": default_activity_id(run), "emails": emails, "run_id": run.id}

    try:
        with live_portal(url, setup=setup) as portal:
            emails, activity = portal.setup["emails"], portal.setup["activity"]
            per_learner = args.statements // len(emails)
            statements = []
            for step in range(per_learner):
                for email in emails:
                    last = step == per_learner - 1
                    statements.append(
                        {
                            "actor": {"objectType": "Agent", "mbox": f"mailto:{email}"},
                            "verb": {
                                "id": "http://adlnet.gov/expapi/verbs/"
                                + ("completed" if last else "progressed")
                            },
                            "object": {"objectType": "Activity", "id": activity},
                            "result": {"completion": True}
                            if last
                            else {"extensions": {PROGRESS: (step + 1) * 100 // per_learner}},
                        }
                    )
            client = httpx.Client(
                base_url=portal.endpoint,
                auth=(portal.key, portal.secret),
                headers={"X-Experience-API-Version": "1.0.3"},
                timeout=120,
            )
            started = time.perf_counter()
            for at in range(0, len(statements), args.batch):
                response = client.post("/statements", json=statements[at : at + args.batch])
                if response.status_code != 200:
                    print(f"batch at {at}: {response.status_code} {response.text[:500]}")
                    return 1
            elapsed = time.perf_counter() - started
            with portal.app.app_context():
                completed = session.scalar(
                    select(func.count())
                    .select_from(Enrollment)
                    .where(Enrollment.run_id == portal.setup["run_id"])
                    .where(Enrollment.state == "completed")
                )
                certificates = session.scalar(select(func.count()).select_from(Certificate))
                session.remove()
            load = os.getloadavg()
            print(
                f"{len(statements)} statements in batches of {args.batch} on {args.backend}: "
                f"{elapsed:.1f} s, {len(statements) / elapsed:.0f} statements/s; "
                f"{completed} of {len(emails)} learners completed, {certificates} certificates; "
                f"load average {load[0]:.1f}"
            )
            return 0 if completed == len(emails) == certificates else 1
    finally:
        if args.backend == "postgresql":
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


if __name__ == "__main__":
    sys.exit(main())
