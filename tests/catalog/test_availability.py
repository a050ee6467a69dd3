"""The SQL availability expression and the Python rule agree, run by run and course by course."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from sqlalchemy import select

from mooc_portal.catalog.availability import (
    Availability,
    RunDates,
    course_availability,
    course_timeline,
    run_availability,
    run_availability_sql,
)
from mooc_portal.catalog.models import Course, CourseRun
from mooc_portal.catalog.search import CatalogFilters, course_availability_sql, search_courses
from mooc_portal.catalog.services import open_courses
from mooc_portal.db import session, utcnow
from tests.factories import make_course, make_run

DAY = timedelta(days=1)


def run_matrix(now):
    """Every combination of past/future/absent dates that the constraints allow."""
    starts = (None, now - 30 * DAY, now + 30 * DAY)
    ends = (None, "past", "future")
    windows = (
        (None, None),
        (now - 40 * DAY, None),
        (now + 5 * DAY, None),
        (None, now - DAY),
        (None, now + DAY),
        (now - 40 * DAY, now + DAY),
        (now - 40 * DAY, now - DAY),
        (now + DAY, now + 10 * DAY),
    )
    for start, end, (opens, closes), cancelled in itertools.product(
        starts, ends, windows, (False, True)
    ):
        end_at = {None: None, "past": now - 2 * DAY, "future": now + 60 * DAY}[end]
        if start is not None and end_at is not None and end_at <= start:
            continue
        if closes is not None and end_at is not None and closes > end_at:
            continue
        yield {
            "start": start,
            "end_at": end_at,
            "enrollment_start_at": opens,
            "enrollment_end_at": closes,
            "cancelled": cancelled,
        }


def test_run_availability_in_sql_agrees_with_python(app):
    now = utcnow()
    course = make_course()
    runs = [make_run(course, **fields) for fields in run_matrix(now)]
    assert len(runs) > 40

    in_sql = dict(
        session.execute(
            select(CourseRun.id, run_availability_sql(CourseRun, now)).where(
                CourseRun.course_id == course.id
            )
        ).all()
    )
    for run in runs:
        assert Availability(in_sql[run.id]) is run_availability(run, now), run
    assert {run_availability(run, now) for run in runs} == set(Availability)


def test_course_availability_in_sql_agrees_with_python(app):
    now = utcnow()
    matrix = list(run_matrix(now))
    courses = [make_course()]  # no runs at all
    for n, first in enumerate(matrix):
        second = matrix[(n * 7 + 3) % len(matrix)]
        course = make_course()
        make_run(course, **first)
        if n % 3:
            make_run(course, **second)
        courses.append(course)
    only_cancelled = make_course()
    make_run(only_cancelled, cancelled=True)
    courses.append(only_cancelled)

    ids = [c.id for c in courses]
    in_sql = dict(
        session.execute(
            select(Course.id, course_availability_sql(now)).where(Course.id.in_(ids))
        ).all()
    )
    for course in courses:
        session.refresh(course)
        expected = course_availability(course.runs, now)
        assert Availability(in_sql[course.id]) is expected, course.runs
    assert Availability(in_sql[courses[0].id]) is Availability.TO_BE_SCHEDULED
    assert Availability(in_sql[only_cancelled.id]) is Availability.TO_BE_SCHEDULED


def test_open_courses_are_chosen_in_sql(app, count_queries):
    now = utcnow()
    late = make_course(slug="late")
    make_run(late, start=now + 30 * DAY)
    soon = make_course(slug="soon")
    make_run(soon, start=now + 3 * DAY, enrollment_start_at=now - DAY)
    closed = make_course(slug="closed")
    make_run(closed, start=now + 3 * DAY, enrollment_start_at=now + DAY)
    make_course(slug="draft", status="draft", runs=1)

    with count_queries() as counter:
        assert [c.slug for c in open_courses(limit=6)] == ["soon", "late"]
    with count_queries() as one:
        assert [c.slug for c in open_courses(limit=1)] == ["soon"]
    assert counter.count == one.count


def test_stored_timeline_agrees_with_the_runs_at_every_boundary(app):
    now = utcnow()
    matrix = list(run_matrix(now))
    for n, first in enumerate(matrix):
        runs = [make_run_dates(first), make_run_dates(matrix[(n * 7 + 3) % len(matrix)])]
        for group in (runs[:1], runs, []):
            timeline = course_timeline(group)
            moments = {now}
            for run in group:
                for value in vars(run).values():
                    if isinstance(value, datetime):
                        moments |= {value - timedelta(microseconds=1), value}
            for moment in moments:
                assert timeline.state(moment) is course_availability(group, moment), group


def make_run_dates(fields):
    start = fields["start"]
    return RunDates(
        start_at=start,
        end_at=fields["end_at"],
        enrollment_start_at=fields["enrollment_start_at"],
        enrollment_end_at=fields["enrollment_end_at"],
        cancelled=fields["cancelled"],
    )


def test_a_course_changes_state_at_the_right_moment_without_any_write(app, count_queries):
    """The clock alone moves a course from facet to facet: nothing is written in between."""
    now = utcnow()
    opens = now + timedelta(hours=1)
    closes, starts, ends = opens + 10 * DAY, opens + 20 * DAY, opens + 60 * DAY
    course = make_course(slug="clocked", title="Clocked course")
    make_run(course, start=starts, end_at=ends, enrollment_start_at=opens, enrollment_end_at=closes)
    session.flush()

    def state_at(moment):
        result = search_courses(CatalogFilters(), language="en", now=moment)
        counts = {o.value: o.count for o in result.facets["availability"]}
        open_now = search_courses(CatalogFilters(availability=("open",)), language="en", now=moment)
        assert counts == {result.availability[course.id].slug: 1}
        assert (open_now.total == 1) is (result.availability[course.id] is Availability.OPEN)
        return result.availability[course.id].slug

    tick = timedelta(microseconds=1)
    with count_queries() as counter:
        assert state_at(opens - tick) == "upcoming"
        assert state_at(opens) == "open"
        assert state_at(closes - tick) == "open"
        assert state_at(closes) == "upcoming"
        assert state_at(starts) == "in-progress"
        assert state_at(ends - tick) == "in-progress"
        assert state_at(ends) == "archived"
    assert counter.count > 0
    words = {word for s in counter.statements for word in s.upper().split()}
    assert not words & {"INSERT", "UPDATE", "DELETE"}
