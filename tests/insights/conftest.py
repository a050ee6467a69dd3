"""A small world whose figures are counted by hand (see the module docstring of
test_figures.py for the counts)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from mooc_portal.accounts.models import Account
from mooc_portal.catalog.models import Course, CourseRun
from mooc_portal.catalog.outline import Lesson, Module
from mooc_portal.certificates.models import Certificate
from mooc_portal.db import session
from mooc_portal.enrollment.models import Enrollment, EnrollmentTransition
from mooc_portal.insights.refresh import refresh_insights
from mooc_portal.institutions.models import Institution
from mooc_portal.progress.models import LessonCompletion, LessonVisit
from tests.factories import make_account, make_course, make_institution, make_run


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@dataclass
class World:
    seoul: Institution
    berlin: Institution
    asian_course: Course
    european_course: Course
    a1: CourseRun
    b1: CourseRun
    admin: Account
    seoul_manager: Account
    berlin_manager: Account
    seoul_editor: Account


def enrol(
    run: CourseRun,
    account: Account,
    state: str,
    created: str,
    *,
    completed: str | None = None,
    certified: bool = False,
    **fields: Any,
) -> Enrollment:
    enrollment = Enrollment(
        run=run,
        course_id=run.course_id,
        account=account,
        state=state,
        created_at=at(created),
        **fields,
    )
    session.add(enrollment)
    session.flush()
    session.add(EnrollmentTransition(enrollment=enrollment, to_state="enrolled", at=at(created)))
    if completed:
        session.add(
            EnrollmentTransition(
                enrollment=enrollment,
                from_state="enrolled",
                to_state="completed",
                at=at(completed),
            )
        )
    if certified:
        assert completed
        session.add(
            Certificate(
                enrollment=enrollment,
                code=secrets.token_urlsafe(24),
                learner_name=account.display_name,
                course_title="Course",
                institution_name="Partner",
                completed_at=at(completed),
                issued_at=at(completed),
            )
        )
    session.flush()
    return enrollment


@pytest.fixture
def world(app: Any) -> World:
    seoul = make_institution("Seoul Open University", country="KR", slug="seoul-open")
    berlin = make_institution("Berlin Online College", country="DE", slug="berlin-online")
    asian_course = make_course("Data in Asia", institution=seoul, subjects=("0613",))
    european_course = make_course(
        "Economics in Europe", institution=berlin, subjects=("0311", "0312", "0613")
    )
    module = Module(course=asian_course, title="Week 1", position=0)
    lessons = [Lesson(module=module, title=f"Lesson {n}", position=n) for n in range(2)]
    lessons.append(Lesson(module=module, title="Extra", position=2, counts_toward_completion=False))
    session.add(module)
    session.flush()
    a1 = make_run(asian_course, start=at("2026-01-05"), capacity=2)
    b1 = make_run(european_course, start=at("2026-02-01"))
    learner = {
        name: make_account(f"{name}@world.example", country=country)
        for name, country in (
            ("a1", "KR"),
            ("a2", "JP"),
            ("e1", "DE"),
            ("e2", "FR"),
            ("x", "US"),
            ("n", None),
        )
    }
    e1_a1 = enrol(
        a1, learner["e1"], "completed", "2026-01-10", completed="2026-02-15", certified=True
    )
    a2_a1 = enrol(a1, learner["a2"], "enrolled", "2026-01-20")
    enrol(a1, learner["e2"], "waitlisted", "2026-02-01", waitlist_number=1)
    enrol(b1, learner["a1"], "completed", "2026-02-03", completed="2026-03-05")
    a2_b1 = enrol(b1, learner["a2"], "enrolled", "2026-02-04")
    enrol(b1, learner["x"], "enrolled", "2026-03-01")
    enrol(b1, learner["n"], "withdrawn", "2026-03-02")
    session.add(LessonCompletion(enrollment_id=a2_a1.id, lesson_id=lessons[0].id))
    session.add(LessonCompletion(enrollment_id=e1_a1.id, lesson_id=lessons[2].id))
    session.add(LessonVisit(enrollment_id=a2_b1.id, lesson_id=None))
    session.flush()
    world = World(
        seoul=seoul,
        berlin=berlin,
        asian_course=asian_course,
        european_course=european_course,
        a1=a1,
        b1=b1,
        admin=make_account("admin@world.example", is_admin=True),
        seoul_manager=make_account("manager@seoul.example", memberships={seoul: "manager"}),
        berlin_manager=make_account("manager@berlin.example", memberships={berlin: "manager"}),
        seoul_editor=make_account("editor@seoul.example", memberships={seoul: "editor"}),
    )
    refresh_insights(now=at("2026-03-20T12:00:00"))
    return world
