"""Helpers for progress tests: a started run with an outline, and an enrolled learner."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest

from mooc_portal.catalog.outline import Lesson, Module
from mooc_portal.db import session, utcnow
from mooc_portal.enrollment import services as enrolment
from mooc_portal.enrollment.models import Enrollment
from mooc_portal.publishing.outline import LessonData, add_lesson, add_module
from tests.factories import make_account, make_course, make_run


@dataclass
class Space:
    """A started run of a course with two modules; ``lessons`` in outline order."""

    course: object
    run: object
    editor: object
    modules: list[Module]
    lessons: list[Lesson]


def build_space(*, credential: str = "certificate", start_days_ago: int = 1, **course) -> Space:
    editor = make_account(is_admin=True)
    course.setdefault("title", "Ocean Science")
    course = make_course(credential=credential, **course)
    start = utcnow() - timedelta(days=start_days_ago)
    run = make_run(course, start=start, enrollment_start_at=start - timedelta(days=10))
    first = add_module(editor, course, "Waves")
    second = add_module(editor, course, "Tides")
    lessons = [
        add_lesson(
            editor,
            first,
            LessonData(
                "What is a wave",
                kind="reading",
                minutes=12,
                content="# Waves\n\nWater *moves*.<script>alert(1)</script>",
            ),
        ),
        add_lesson(editor, first, LessonData("Wave video", kind="video", minutes=8)),
        add_lesson(
            editor,
            second,
            LessonData(
                "Tide tables",
                kind="external",
                minutes=20,
                external_url="https://tides.example.org/tables",
            ),
        ),
        add_lesson(
            editor,
            second,
            LessonData("Further reading", kind="reading", counts_toward_completion=False),
        ),
    ]
    return Space(course, run, editor, [first, second], lessons)


def enrol(run, learner=None) -> Enrollment:
    learner = learner or make_account()
    return enrolment.enroll(run, learner, actor=learner)


@pytest.fixture
def space(app) -> Space:
    return build_space()


@pytest.fixture
def learner_in(space):
    enrollment = enrol(space.run)
    session.flush()
    return enrollment
