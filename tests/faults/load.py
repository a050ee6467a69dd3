"""A populated portal and a bounded load of real visitors for the fault tests.

:func:`seed` writes learners, open runs, a started run with lessons and courses awaiting review
into a migrated database. :class:`Load` runs, from a few threads, the writes a portal must not
lose (enrolments, lesson completions, publications) and a loop of page reads, recording every
answer with its time; a write answered 503 is sent again later, as a visitor would.
:func:`stored` reads back, straight from the database, what the writes left.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import psycopg

from mooc_portal.db import session, utcnow
from mooc_portal.enrollment import services as enrolment
from mooc_portal.privacy.sharing import record_consent
from mooc_portal.publishing.outline import LessonData, add_lesson, add_module
from tests.conftest import make_test_app
from tests.factories import PASSWORD, make_account, make_course, make_run
from tests.faults.servers import Visitor


@dataclass
class Seed:
    learners: list[str]
    admin: str
    runs: list[str]
    capacity: int | None
    space_run: str
    lessons: list[str]
    in_review: list[str]


def seed(
    url: str,
    *,
    learners: int = 8,
    runs: int = 4,
    capacity: int | None = None,
    lessons: int = 6,
    in_review: int = 6,
) -> Seed:
    """Write the data the load acts on, committed; the public identifiers back."""
    app = make_test_app(url)
    with app.test_request_context():
        admin = make_account(is_admin=True, email="admin@faults.example")
        accounts = [make_account(f"learner{n:02d}@faults.example") for n in range(learners)]
        now = utcnow()
        open_runs = [
            make_run(
                make_course(f"Open course {n}"),
                enrollment_start_at=now - timedelta(days=1),
                capacity=capacity,
            )
            for n in range(runs)
        ]
        course = make_course("Course space")
        start = now - timedelta(days=1)
        space = make_run(course, start=start, enrollment_start_at=start - timedelta(days=10))
        module = add_module(admin, course, "Module")
        made = [add_lesson(admin, module, LessonData(f"Lesson {n}")) for n in range(lessons)]
        for account in accounts:
            enrolment.enroll(space, account, actor=account)
            # Each learner already agreed what the open runs' institutions receive (issue 15),
            # so the load's enrolment requests enrol rather than ask for that consent first.
            for run in open_runs:
                record_consent(
                    account,
                    run.course.institution_id,
                    country=True,
                    progress=True,
                    completion=True,
                    actor=account,
                )
        review = [make_course(f"Awaiting review {n}", status="in_review") for n in range(in_review)]
        result = Seed(
            learners=[a.email for a in accounts],
            admin=admin.email,
            runs=[str(r.uuid) for r in open_runs],
            capacity=capacity,
            space_run=str(space.uuid),
            lessons=[str(lesson.uuid) for lesson in made],
            in_review=[str(c.uuid) for c in review],
        )
        session.commit()
        session.remove()
        app.extensions["sqlalchemy"].engine.dispose()
    return result


@dataclass
class Op:
    kind: str
    visitor: Visitor
    path: str
    key: tuple[str, ...]
    data: dict[str, str] = field(default_factory=dict)


def write_ops(
    data: Seed,
    base_url: str,
    *,
    enrol: bool = True,
    complete: bool = True,
    publish: bool = True,
) -> list[Op]:
    """Every write of the load, each learner logged in once through the real form."""
    ops: list[Op] = []
    for email in data.learners:
        visitor = Visitor(base_url, email).log_in(PASSWORD)
        if enrol:
            ops += [Op("enrol", visitor, f"/runs/{run}/enrol", (email, run)) for run in data.runs]
        if complete:
            ops += [
                Op(
                    "complete",
                    visitor,
                    f"/learn/{data.space_run}/lessons/{lesson}/complete",
                    (email, lesson),
                )
                for lesson in data.lessons
            ]
    if publish:
        admin = Visitor(base_url, data.admin).log_in(PASSWORD)
        ops += [
            Op(
                "publish",
                admin,
                f"/admin/courses/{course}/transition",
                (course,),
                {"action": "approve", "comment": ""},
            )
            for course in data.in_review
        ]
    return ops


@dataclass
class Answer:
    kind: str
    path: str
    status: int
    retry_after: str | None
    started: float
    ended: float


class Load:
    """Writes from ``writers`` threads (each visitor on one thread) and reads from one."""

    def __init__(
        self,
        ops: list[Op],
        base_url: str,
        *,
        writers: int = 4,
        pace: float = 0.05,
        read_paths: tuple[str, ...] = ("/", "/courses", "/api/v1/courses", "/readyz"),
        deadline: float = 90,
    ) -> None:
        self.answers: list[Answer] = []
        self.acknowledged: dict[str, set[tuple[str, ...]]] = {}
        # Writes answered 503 "could not confirm" whose resend found them done (409).
        self.settled: dict[str, set[tuple[str, ...]]] = {}
        self.unexpected: list[Answer] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._pace = pace
        self._deadline = time.monotonic() + deadline
        self._reader = Visitor(base_url)
        self._read_paths = read_paths
        by_visitor: dict[int, list[Op]] = {}
        for op in ops:
            by_visitor.setdefault(id(op.visitor), []).append(op)
        queues: list[list[Op]] = [[] for _ in range(writers)]
        for n, visitor_ops in enumerate(by_visitor.values()):
            queues[n % writers].extend(visitor_ops)
        self._threads = [
            threading.Thread(target=self._write, args=(queue,), daemon=True)
            for queue in queues
            if queue
        ]
        self._read_thread = threading.Thread(target=self._read, daemon=True)

    def _record(self, kind: str, path: str, response: Any, started: float) -> Answer:
        answer = Answer(
            kind,
            path,
            response.status_code,
            response.headers.get("Retry-After"),
            started,
            time.monotonic(),
        )
        with self._lock:
            self.answers.append(answer)
        return answer

    def _write(self, ops: list[Op]) -> None:
        waiting = deque(ops)
        refused: set[tuple[str, ...]] = set()
        while waiting and time.monotonic() < self._deadline:
            op = waiting.popleft()
            started = time.monotonic()
            response = op.visitor.post(op.path, op.data)
            answer = self._record(op.kind, op.path, response, started)
            location = response.headers.get("Location", "")
            if answer.status == 302 and "/account/login" not in location:
                with self._lock:
                    self.acknowledged.setdefault(op.kind, set()).add(op.key)
            elif answer.status == 503 and answer.retry_after:
                refused.add(op.key)
                waiting.append(op)  # the visitor sends it again later
            elif answer.status == 409 and op.key in refused:
                # A commit that could not be confirmed did happen: nothing to send again.
                with self._lock:
                    self.settled.setdefault(op.kind, set()).add(op.key)
            else:
                with self._lock:
                    self.unexpected.append(answer)
            time.sleep(self._pace)

    def _read(self) -> None:
        while not self._stop.is_set() and time.monotonic() < self._deadline:
            for path in self._read_paths:
                started = time.monotonic()
                response = self._reader.get(path)
                answer = self._record(
                    "ready" if path == "/readyz" else "read", path, response, started
                )
                if answer.status not in (200, 503) or (
                    answer.status == 503 and not answer.retry_after
                ):
                    with self._lock:
                        self.unexpected.append(answer)
                time.sleep(self._pace)

    def start(self) -> Load:
        for thread in self._threads:
            thread.start()
        self._read_thread.start()
        return self

    def finish(self) -> None:
        """Wait for every write to be acknowledged (or the deadline), then stop reading."""
        for thread in self._threads:
            thread.join()
        self._stop.set()
        self._read_thread.join()
        self._reader.close()

    def between(self, start: float, end: float, kinds: tuple[str, ...] = ()) -> list[Answer]:
        """Answers to requests sent in [start, end)."""
        return [
            a for a in self.answers if start <= a.started < end and (not kinds or a.kind in kinds)
        ]

    def summary(self) -> dict[str, Any]:
        counts = Counter(f"{a.kind} {a.status}" for a in self.answers)
        return dict(sorted(counts.items()))


def stored(url: str) -> dict[str, set[tuple[str, ...]]]:
    """What the database holds of the load's writes, keyed as ``Op.key``."""
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as connection:
        enrolled = connection.execute(
            "SELECT a.email, r.uuid::text, e.state FROM mooc_enrollment e "
            "JOIN mooc_account a ON a.id = e.account_id JOIN mooc_course_run r ON r.id = e.run_id"
        ).fetchall()
        completed = connection.execute(
            "SELECT a.email, l.uuid::text FROM mooc_lesson_completion c "
            "JOIN mooc_enrollment e ON e.id = c.enrollment_id "
            "JOIN mooc_account a ON a.id = e.account_id JOIN mooc_lesson l ON l.id = c.lesson_id"
        ).fetchall()
        published = connection.execute(
            "SELECT uuid::text FROM mooc_course WHERE status = 'published'"
        ).fetchall()
    return {
        "enrol": {(email, run) for email, run, _state in enrolled},
        "enrolled": {(email, run) for email, run, state in enrolled if state == "enrolled"},
        "complete": {tuple(row) for row in completed},
        "publish": {tuple(row) for row in published},
    }
