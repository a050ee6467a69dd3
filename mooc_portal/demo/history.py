"""Demo step: a year of enrolments by learners of both regions, so the insights say something.

The demo learners of :mod:`mooc_portal.demo.learning` enrol through the services, on today's
clock. The insights need history: this step adds 180 learners from the ASEM countries of Asia
and Europe (a few from elsewhere or without a country), who cannot log in (no password), and
their enrolments of the past twelve months in the published courses, with the history the
services would have written: the transitions, the lessons completed, the completions and the
certificates of courses that offer one. Asian learners take European partners' courses a
little more often than the other way round, and the numbers grow over the year, so the
balance and the curves have something to show. The summaries are rebuilt at the end.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from mooc_portal.accounts.models import Account
from mooc_portal.catalog.models import Course, CourseStatus, Credential
from mooc_portal.catalog.outline import Lesson, Module
from mooc_portal.certificates.models import Certificate
from mooc_portal.db import session
from mooc_portal.enrollment.models import Enrollment, EnrollmentTransition
from mooc_portal.insights.refresh import refresh_insights
from mooc_portal.progress.models import LessonCompletion
from mooc_portal.reference import ASIA_COUNTRIES, EUROPE_COUNTRIES

if TYPE_CHECKING:
    from mooc_portal.demo import DemoContext

LEARNERS = 180
ELSEWHERE = ("US", "BR", "ZA", "CA")
CROSS_REGION = {"asia": 0.45, "europe": 0.3, "other": 0.5}
"""How often a learner of each region takes a course of the other region's partners."""


def add_enrolment_history(context: DemoContext) -> None:
    rng, now = context.rng, context.now
    courses = [
        c
        for c in context.courses
        if c.status == CourseStatus.PUBLISHED and c.runs and c.institution.active
    ]
    by_region = {
        region: [c for c in courses if c.institution.region == region]
        for region in ("asia", "europe")
    }
    lessons = _counted_lessons([c.id for c in courses])
    learners = []
    for n in range(1, LEARNERS + 1):
        if n % 30 == 0:
            country = None
        elif n % 15 == 0:
            country = ELSEWHERE[n % len(ELSEWHERE)]
        elif n % 2:
            country = ASIA_COUNTRIES[n % len(ASIA_COUNTRIES)]
        else:
            country = EUROPE_COUNTRIES[n % len(EUROPE_COUNTRIES)]
        learners.append(
            Account(
                email=f"history.learner{n}@asem-mooc.example",
                display_name=f"Learner {n}",
                country=country,
                email_verified_at=now - timedelta(days=400),
            )
        )
    session.add_all(learners)
    session.flush()
    taken: set[tuple[int, int]] = set()
    for months_ago in range(11, -1, -1):
        for _ in range(18 + 4 * (11 - months_ago)):
            learner = rng.choice(learners)
            region = _region(learner.country)
            home = region if region != "other" else rng.choice(("asia", "europe"))
            away = "europe" if home == "asia" else "asia"
            pool = by_region[away if rng.random() < CROSS_REGION[region] else home]
            course = rng.choice(pool)
            if (course.id, learner.id) in taken:
                continue
            taken.add((course.id, learner.id))
            created = now - timedelta(days=30 * months_ago + rng.uniform(0, 29), hours=1)
            _enrol(context, course, learner, created, lessons.get(course.id, []))
    session.flush()
    refresh_insights(now)


def _region(country: str | None) -> str:
    if country in ASIA_COUNTRIES:
        return "asia"
    if country in EUROPE_COUNTRIES:
        return "europe"
    return "other"


def _counted_lessons(course_ids: list[int]) -> dict[int, list[int]]:
    found: dict[int, list[int]] = {}
    rows = session.execute(
        select(Module.course_id, Lesson.id)
        .join(Lesson, Lesson.module_id == Module.id)
        .where(Module.course_id.in_(course_ids), Lesson.counts_toward_completion.is_(True))
        .order_by(Module.course_id, Module.position, Lesson.position, Lesson.id)
    )
    for course_id, lesson_id in rows:
        found.setdefault(course_id, []).append(lesson_id)
    return found


def _enrol(
    context: DemoContext, course: Course, learner: Account, created: datetime, lessons: list[int]
) -> None:
    rng, now = context.rng, context.now
    run = rng.choice(course.runs)
    age = (now - created).days
    roll = rng.random()
    if age > 60 and roll < 0.45 and lessons:
        state = "completed"
    elif roll > 0.9:
        state = "withdrawn"
    else:
        state = "enrolled"
    enrollment = Enrollment(
        run=run,
        course_id=course.id,
        account=learner,
        state=state,
        created_at=created,
        modified_at=created,
    )
    enrollment.transitions.append(
        EnrollmentTransition(from_state=None, to_state="enrolled", actor_id=learner.id, at=created)
    )
    session.add(enrollment)
    session.flush()
    if state == "completed":
        finished = min(now, created + timedelta(days=rng.randint(20, 60)))
        done = lessons
        enrollment.transitions.append(
            EnrollmentTransition(
                from_state="enrolled", to_state="completed", actor_id=learner.id, at=finished
            )
        )
        if course.credential != Credential.NONE:
            session.add(
                Certificate(
                    enrollment=enrollment,
                    code=secrets.token_urlsafe(24),
                    learner_name=learner.display_name,
                    course_title=str(course.text("title", "en")),
                    institution_name=str(course.institution.text("name", "en")),
                    run_start_at=run.start_at,
                    run_end_at=run.end_at,
                    completed_at=finished,
                    issued_at=finished,
                )
            )
    elif state == "withdrawn":
        done = []
        enrollment.transitions.append(
            EnrollmentTransition(
                from_state="enrolled",
                to_state="withdrawn",
                actor_id=learner.id,
                at=created + timedelta(days=3),
            )
        )
    else:
        done = lessons[: rng.randint(0, max(len(lessons) - 1, 0))]
    for position, lesson_id in enumerate(done):
        session.add(
            LessonCompletion(
                enrollment_id=enrollment.id,
                lesson_id=lesson_id,
                completed_at=min(now, created + timedelta(days=2 + 3 * position)),
            )
        )
