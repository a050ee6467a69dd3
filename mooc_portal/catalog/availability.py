"""When a run can be joined, computed from its dates, in Python and in SQL alike.

The two implementations below must agree; ``tests/catalog/test_availability.py`` checks them
against each other on the same runs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import IntEnum
from typing import Any, Protocol

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, and_, case, or_


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

# What the SQL forms compare with: a time, or a bind parameter that will hold one (a search
# statement built once and run at any moment).
Moment = datetime | ColumnElement[datetime]

PUBLIC_STATES = tuple(a for a in Availability if a is not Availability.CANCELLED)


class RunSchedule(Protocol):
    """What a run's availability is decided from: a ``CourseRun``, or a row of one read with
    plain SQL (federation's read model)."""

    @property
    def cancelled(self) -> bool: ...
    @property
    def start_at(self) -> datetime | None: ...
    @property
    def end_at(self) -> datetime | None: ...
    @property
    def enrollment_start_at(self) -> datetime | None: ...
    @property
    def enrollment_end_at(self) -> datetime | None: ...


def run_availability(run: RunSchedule, now: datetime) -> Availability:
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


def course_availability(runs: Iterable[RunSchedule], now: datetime) -> Availability:
    """The state of the most useful run; a course with no live run is to be scheduled."""
    states = [run_availability(run, now) for run in runs]
    live = [s for s in states if s is not Availability.CANCELLED]
    return min(live, default=Availability.TO_BE_SCHEDULED)


def run_availability_sql(run: Any, now: Moment) -> Any:
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


# Far past and far future: the ends of a window that has no start or no end, and the empty
# window. Stored as timestamps so that every comparison with ``now`` stays a plain comparison.
NEVER = datetime(1, 1, 1, tzinfo=UTC)
FOREVER = datetime(9999, 12, 31, tzinfo=UTC)
# Open-enrolment windows stored with a course; more than this and the course's availability
# is read from its runs instead (rare: the windows of most courses' runs do not touch).
TIMELINE_WINDOWS = 3


@dataclass(frozen=True)
class Timeline:
    """A course's availability at every moment, as boundaries to compare ``now`` with.

    The course takes the most useful state of its live runs (``course_availability``), so:
    open while ``now`` is inside one of the runs' merged enrolment windows; else starting soon
    before the last start; else in progress before the last end; else to be scheduled when a
    live run has no start (or there is no live run); else archived.
    """

    windows: tuple[tuple[datetime, datetime], ...]
    upcoming_until: datetime
    running_until: datetime
    unscheduled: bool

    @property
    def overflow(self) -> bool:
        return len(self.windows) > TIMELINE_WINDOWS

    def state(self, now: datetime) -> Availability:
        if any(start <= now < end for start, end in self.windows):
            return Availability.OPEN
        if now < self.upcoming_until:
            return Availability.UPCOMING
        if now < self.running_until:
            return Availability.IN_PROGRESS
        return Availability.TO_BE_SCHEDULED if self.unscheduled else Availability.ARCHIVED


@dataclass(frozen=True)
class RunDates:
    """What a run's availability depends on (a ``CourseRun`` or a plain row alike)."""

    start_at: datetime | None
    end_at: datetime | None
    enrollment_start_at: datetime | None
    enrollment_end_at: datetime | None
    cancelled: bool


def course_timeline(runs: Iterable[RunSchedule]) -> Timeline:
    """The :class:`Timeline` of a course with ``runs`` (objects with a run's date attributes)."""
    live = [run for run in runs if not run.cancelled]
    scheduled = [run for run in live if run.start_at is not None]
    windows: list[tuple[datetime, datetime]] = []
    for run in scheduled:
        start = run.enrollment_start_at or NEVER
        end = min(run.enrollment_end_at or FOREVER, run.end_at or FOREVER)
        if start < end:
            windows.append((start, end))
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(windows):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return Timeline(
        windows=tuple(merged),
        upcoming_until=max(
            (begin for run in scheduled if (begin := run.start_at) is not None), default=NEVER
        ),
        running_until=max((run.end_at or FOREVER for run in scheduled), default=NEVER),
        unscheduled=len(scheduled) < len(live) or not live,
    )


def timeline_availability_sql(
    entry: Any, now: Moment, overflow: ColumnElement[int]
) -> ColumnElement[int]:
    """A course's availability from its stored :class:`Timeline` columns (``entry``: the
    ``CatalogEntry`` entity or a selectable with its columns); ``overflow`` is the expression
    used for a course with more windows than are stored (its runs, read as before)."""
    window_open = or_(
        *(
            and_(getattr(entry, f"open_from_{n}") <= now, getattr(entry, f"open_until_{n}") > now)
            for n in range(1, TIMELINE_WINDOWS + 1)
        )
    )
    return case(
        (entry.overflow.is_(True), overflow),
        (window_open, int(Availability.OPEN)),
        (entry.upcoming_until > now, int(Availability.UPCOMING)),
        (entry.running_until > now, int(Availability.IN_PROGRESS)),
        (entry.unscheduled.is_(True), int(Availability.TO_BE_SCHEDULED)),
        else_=int(Availability.ARCHIVED),
    )
