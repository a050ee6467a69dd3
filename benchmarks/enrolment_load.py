"""500 learners enrol at the same moment, through HTTP, into a run with 100 seats.

    python -m benchmarks.enrolment_load [--learners 500] [--seats 100] [--workers 4]

Target (issue 4): gunicorn with 4 workers on a PostgreSQL scratch database; exactly ``seats``
learners enrolled and the rest waitlisted, and no error response. The time from the first
request fired to the last answer received, and the requests per second, are reported.

Outside the timed part: a scratch database is created on ``--postgres-url`` (default
127.0.0.1:5432, user postgres) and migrated, the course, the run and the learners are written,
gunicorn is started, and every learner logs in through the real login form (which gives its
session cookie) and fetches a page for its CSRF token. The timed part fires one enrolment POST
per learner from as many threads, released together by a barrier. The database is dropped
after.
"""

from __future__ import annotations

import argparse
import http.client
import re
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from http.cookies import SimpleCookie
from urllib.parse import urlencode

from sqlalchemy import create_engine, func, select
from werkzeug.security import generate_password_hash

from benchmarks.server import free_port, production_env, start_gunicorn
from mooc_portal import create_app
from mooc_portal.accounts.models import Account
from mooc_portal.catalog.models import Course, CourseRun, CourseTranslation
from mooc_portal.db import session, utcnow
from mooc_portal.enrollment.models import Enrollment
from mooc_portal.institutions.models import Institution, InstitutionTranslation
from mooc_portal.migrate import upgrade_database
from mooc_portal.privacy.sharing import record_consent
from tests.scratch_database import POSTGRES_URL, create_database, drop_database

PASSWORD = "benchmark password 1"
CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


class Learner:
    """One learner's HTTP session: its cookies and CSRF token."""

    def __init__(self, email: str) -> None:
        self.email = email
        self.cookies: dict[str, str] = {}
        self.csrf = ""

    def request(
        self, port: int, method: str, path: str, form: dict[str, str] | None = None
    ) -> tuple[int, str]:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        headers = {"User-Agent": "enrolment-load"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            for header in response.headers.get_all("Set-Cookie") or []:
                cookie = SimpleCookie(header)
                for key, morsel in cookie.items():
                    self.cookies[key] = morsel.value
            return response.status, response.read().decode("utf-8", "replace")
        finally:
            connection.close()

    def log_in(self, port: int) -> None:
        status, page = self.request(port, "GET", "/account/login")
        token = CSRF.search(page)
        assert status == 200 and token, f"login page: {status}"
        status, _ = self.request(
            port,
            "POST",
            "/account/login",
            {"email": self.email, "password": PASSWORD, "csrf_token": token.group(1)},
        )
        assert status == 302, f"login of {self.email} answered {status}"
        status, page = self.request(port, "GET", "/my/learning")
        token = CSRF.search(page)
        assert status == 200 and token, f"my learning: {status}"
        self.csrf = token.group(1)


def prepare(url: str, learners: int, seats: int) -> tuple[str, list[str]]:
    """Migrate the scratch database and write the run and the learners; the run's uuid back."""
    app = create_app({"MOOC_ENV": "testing", "SECRET_KEY": "x", "MOOC_DATABASE_URL": url})
    with app.app_context():
        upgrade_database()
        institution = Institution(slug="bench", country="KR", region="asia")
        institution.translations.append(InstitutionTranslation(language="en", name="Bench U"))
        course = Course(
            institution=institution,
            code="LOAD1",
            slug="load-test",
            original_language="en",
            status="published",
        )
        course.translations.append(CourseTranslation(language="en", title="Load test"))
        now = utcnow()
        run = CourseRun(
            course=course,
            start_at=now + timedelta(days=10),
            end_at=now + timedelta(days=50),
            enrollment_start_at=now - timedelta(days=1),
            capacity=seats,
        )
        session.add_all([institution, course, run])
        hashed = generate_password_hash(PASSWORD)
        emails = [f"learner{n:04d}@load.example" for n in range(learners)]
        accounts = [
            Account(email=e, display_name=e.split("@")[0], password_hash=hashed) for e in emails
        ]
        session.add_all(accounts)
        session.flush()
        for account in accounts:
            # What the institution receives was chosen before (a first enrolment with it asks
            # first): the timed POST enrols.
            record_consent(
                account,
                institution.id,
                country=False,
                progress=False,
                completion=False,
                actor=account,
            )
        session.commit()
        run_uuid = str(run.uuid)
        app.extensions["sqlalchemy"].engine.dispose()
    return run_uuid, emails


def count_states(url: str, run_uuid: str) -> Counter[str]:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            select(Enrollment.state, func.count())
            .join(CourseRun, CourseRun.id == Enrollment.run_id)
            .where(CourseRun.uuid == uuid.UUID(run_uuid))
            .group_by(Enrollment.state)
        )
        counts = Counter({row[0]: row[1] for row in rows})
    engine.dispose()
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--learners", type=int, default=500)
    parser.add_argument("--seats", type=int, default=100)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument(
        "--postgres-url",
        default=POSTGRES_URL,
    )
    args = parser.parse_args()

    database, url = create_database("mooc_bench_enrol", args.postgres_url)
    gunicorn = None
    try:
        run_uuid, emails = prepare(url, args.learners, args.seats)
        port = free_port()
        # Room in the listen queue for every learner's connection at once.
        gunicorn = start_gunicorn(
            "wsgi:app",
            port,
            production_env(port, url),
            workers=args.workers,
            options=["--backlog", "2048"],
        )

        learners = [Learner(email) for email in emails]
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=16) as pool:
            list(pool.map(lambda learner: learner.log_in(port), learners))
        print(f"{len(learners)} learners logged in in {time.perf_counter() - started:.1f} s")

        barrier = threading.Barrier(len(learners) + 1)
        statuses: list[int] = [0] * len(learners)
        path = f"/runs/{run_uuid}/enrol"

        def enrol(index: int) -> None:
            learner = learners[index]
            barrier.wait()
            statuses[index], _ = learner.request(port, "POST", path, {"csrf_token": learner.csrf})

        threads = [threading.Thread(target=enrol, args=(i,)) for i in range(len(learners))]
        for thread in threads:
            thread.start()
        barrier.wait()
        started = time.perf_counter()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started

        answers = Counter(statuses)
        states = count_states(url, run_uuid)
        print(f"responses: {dict(answers)}")
        print(f"enrolments: {dict(states)}")
        print(
            f"{len(learners)} requests in {elapsed:.2f} s: "
            f"{len(learners) / elapsed:.0f} requests/s ({args.workers} gunicorn workers)"
        )
        ok = (
            answers == Counter({302: len(learners)})
            and states["enrolled"] == args.seats
            and states["waitlisted"] == len(learners) - args.seats
            and sum(states.values()) == len(learners)
        )
        print("RESULT:", "pass" if ok else "FAIL")
        return 0 if ok else 1
    finally:
        if gunicorn is not None:
            gunicorn.terminate()
            gunicorn.wait(timeout=30)
        drop_database(database, args.postgres_url)


if __name__ == "__main__":
    raise SystemExit(main())
