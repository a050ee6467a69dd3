"""Concurrent enrolments into the last seats never overbook a run.

These tests need committed data seen by several connections at once, so they run on a fresh
database of their own (not the rolled-back fixture) which is removed afterwards.
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from mooc_portal.accounts.models import Account
from mooc_portal.catalog.models import CourseRun
from mooc_portal.db import session, utcnow
from mooc_portal.enrollment import services
from mooc_portal.enrollment.models import Enrollment
from mooc_portal.migrate import upgrade_database
from tests.conftest import make_test_app
from tests.factories import make_account, make_course, make_run
from tests.scratch_database import create_database, drop_database, postgres_unavailable_reason

THREADS = 12
SEATS = 5


@pytest.fixture
def committed_app(backend, tmp_path):
    """An app on a fresh, migrated database whose writes are really committed."""
    pg_database = None
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'concurrency.sqlite3'}"
    else:
        reason = postgres_unavailable_reason()
        if reason:
            pytest.skip(reason)
        pg_database, url = create_database("mooc_concurrency")
    app = make_test_app(url)
    try:
        with app.app_context():
            upgrade_database()
        yield app
    finally:
        with app.app_context():
            app.extensions["sqlalchemy"].engine.dispose()
        if pg_database:
            drop_database(pg_database)


def test_concurrent_enrolments_never_overbook(committed_app):
    app = committed_app
    with app.app_context():
        run = make_run(
            make_course(), capacity=SEATS, enrollment_start_at=utcnow() - timedelta(days=1)
        )
        learners = [make_account().id for _ in range(THREADS)]
        run_id = run.id
        session.commit()

    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def enrol(account_id: int) -> None:
        try:
            with app.test_request_context():
                account = session.get_one(Account, account_id)
                target = session.get_one(CourseRun, run_id)
                barrier.wait()
                services.enroll(target, account, actor=account)
                session.commit()
        except BaseException as exc:  # reported below; a thread must not die silently
            errors.append(exc)

    threads = [threading.Thread(target=enrol, args=(a,)) for a in learners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    with app.app_context():
        enrollments = session.scalars(select(Enrollment).where(Enrollment.run_id == run_id)).all()
        states = Counter(e.state for e in enrollments)
        numbers = sorted(e.waitlist_number for e in enrollments if e.state == "waitlisted")
    assert states == {"enrolled": SEATS, "waitlisted": THREADS - SEATS}
    assert numbers == list(range(1, THREADS - SEATS + 1))
