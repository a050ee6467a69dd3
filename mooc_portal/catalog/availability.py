"""When a run can be joined, computed from its dates, in Python and in SQL alike.

The two implementations below must agree; ``tests/catalog/test_availability.py`` checks them
against each other on the same runs.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import IntEnum
from typing import TYPE_CHECKING, Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, or_

if TYPE_CHECKING:
    from mooc_portal.catalog.models import CourseRun


class Availability(IntEnum):
    """A run's state; the lower the number, the more useful the run is to a learner."""

    OPEN = 1
    UPCOMING = 2
    IN_PROGRESS = 3
    TO_BE_SCHEDULED = 4
    ARCHIVED = 5
    CANCELLED = 6

    @property
    def slug(self) -> str:
        return self.name.lower().replace("_", "-")

    @classmethod
    def from_slug(cls, slug: str) -> Availability:
        return cls[slug.upper().replace("-", "_")]

    @property
    def label(self) -> str:
        return str(LABELS[self])


LABELS = {
    Availability.OPEN: _l("Open for enrolment"),
    Availability.UPCOMING: _l("Starting soon"),
    Availability.IN_PROGRESS: _l("In progress"),
    Availability.TO_BE_SCHEDULED: _l("To be scheduled"),
    Availability.ARCHIVED: _l("Archived"),
    Availability.CANCELLED: _l("Cancelled"),
}

PUBLIC_STATES = tuple(a for a in Availability if a is not Availability.CANCELLED)


def run_availability(run: CourseRun, now: datetime) -> Availability:
    if run.cancelled:
        return Availability.CANCELLED
    if run.start_at is None:
        return Availability.TO_BE_SCHEDULED
    if run.end_at is not None and run.end_at <= now:
        return Availability.ARCHIVED
    window_open = (run.enrollment_start_at is None or run.enrollment_start_at <= now) and (
        run.enrollment_end_at is None or now < run.enrollment_end_at
    )
    if window_open:
        return Availability.OPEN
    if now < run.start_at:
        return Availability.UPCOMING
    return Availability.IN_PROGRESS


def course_availability(runs: Iterable[CourseRun], now: datetime) -> Availability:
    """The state of the most useful run; a course with no live run is to be scheduled."""
    states = [run_availability(run, now) for run in runs]
    live = [s for s in states if s is not Availability.CANCELLED]
    return min(live, default=Availability.TO_BE_SCHEDULED)


def run_availability_sql(run: Any, now: datetime) -> Any:
    """The same rule as :func:`run_availability` as a SQL expression on a ``CourseRun`` entity."""
    window_open = and_(
        or_(run.enrollment_start_at.is_(None), run.enrollment_start_at <= now),
        or_(run.enrollment_end_at.is_(None), run.enrollment_end_at > now),
    )
    return case(
        (run.cancelled.is_(True), int(Availability.CANCELLED)),
        (run.start_at.is_(None), int(Availability.TO_BE_SCHEDULED)),
        (and_(run.end_at.is_not(None), run.end_at <= now), int(Availability.ARCHIVED)),
        (window_open, int(Availability.OPEN)),
        (run.start_at > now, int(Availability.UPCOMING)),
        else_=int(Availability.IN_PROGRESS),
    )
