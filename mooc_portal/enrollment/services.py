"""Enrolment: the one place where the rules of joining, leaving and reviewing a run live.

Every change that depends on a run's seats first locks the run (:func:`lock_run`), so that
concurrent requests are serialised per run and a run is never overbooked, on PostgreSQL (a row
lock) and on SQLite (the database's write lock, taken before anything is counted).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import joinedload

from mooc_portal.accounts.models import Account, StaffRole
from mooc_portal.catalog.availability import Availability
from mooc_portal.catalog.models import Course, CourseOrigin, CourseRun
from mooc_portal.db import session, utcnow
from mooc_portal.enrollment.models import (
    ACTIVE_STATES,
    CANCELLABLE_STATES,
    SEAT_STATES,
    Enrollment,
    EnrollmentState,
    EnrollmentTransition,
)
from mooc_portal.enrollment.notifications import notify
from mooc_portal.enrollment.sharing import shared_condition
from mooc_portal.errors import Conflict, InvalidInput, NotFound, NotPermitted

S = EnrollmentState


class EnrollmentClosed(Conflict):
    """The run does not take enrolments now (outside its window, or cancelled)."""


class AlreadyEnrolled(Conflict):
    """The learner already holds an active enrolment in this course."""


# -- locking ----------------------------------------------------------------------------------

_SQLITE_LOCK_ATTEMPTS = 20


def lock_run(run: CourseRun) -> CourseRun:
    """Serialise seat-changing work on ``run`` until the transaction ends; return it fresh.

    PostgreSQL: ``SELECT ... FOR UPDATE`` on the run's row. SQLite has no row locks: a no-op
    ``UPDATE`` of the run takes the database's write lock. In WAL mode a transaction that has
    already read an older snapshot cannot take the write lock (``SQLITE_BUSY_SNAPSHOT``); such a
    transaction has written nothing yet (else it would hold the lock already), so it is rolled
    back and the lock taken again as the first statement of a new transaction.
    """
    run_id = run.id
    if session.get_bind().dialect.name == "sqlite":
        for attempt in range(_SQLITE_LOCK_ATTEMPTS):
            try:
                session.execute(
                    text("UPDATE mooc_course_run SET id = id WHERE id = :id"), {"id": run_id}
                )
                break
            except OperationalError as exc:
                if "locked" not in str(exc) or attempt == _SQLITE_LOCK_ATTEMPTS - 1:
                    raise
                session.rollback()
                time.sleep(0.005 * (attempt + 1))
        statement = select(CourseRun).where(CourseRun.id == run_id)
    else:
        statement = select(CourseRun).where(CourseRun.id == run_id).with_for_update()
    locked = session.scalars(statement.execution_options(populate_existing=True)).one()
    return locked


# -- authorisation ----------------------------------------------------------------------------


def lock_enrollment(enrollment: Enrollment) -> Enrollment:
    """Serialise the changes of one enrolment (PostgreSQL row lock; SQLite serialises its
    writers) and reload it."""
    session.execute(select(Enrollment.id).where(Enrollment.id == enrollment.id).with_for_update())
    session.refresh(enrollment)
    return enrollment


def lock_enrollments(ids: Iterable[int]) -> list[Enrollment]:
    """:func:`lock_enrollment` for several enrolments in one query: locked in id order (so two
    writers locking overlapping sets cannot deadlock) and reloaded."""
    wanted = sorted(set(ids))
    if not wanted:
        return []
    return list(
        session.scalars(
            select(Enrollment)
            .where(Enrollment.id.in_(wanted))
            .order_by(Enrollment.id)
            .with_for_update(of=Enrollment)
            .execution_options(populate_existing=True)
        ).unique()
    )


def can_manage_run(actor: Account | None, run: CourseRun) -> bool:
    """Administrators manage every run; partner managers the runs of their institution."""
    return actor is not None and actor.may_act_for(run.course.institution_id, StaffRole.MANAGER)


def require_run_manager(actor: Account | None, run: CourseRun) -> None:
    if not can_manage_run(actor, run):
        raise NotPermitted(_("You may not manage the enrolments of this run."))


def managed_institution_ids(actor: Account) -> list[int]:
    return [m.institution_id for m in actor.active_memberships if m.role == StaffRole.MANAGER]


WITH_COURSE = joinedload(Enrollment.run).joinedload(CourseRun.course)

# -- reading ----------------------------------------------------------------------------------


def get_run(run_uuid: uuid.UUID) -> CourseRun:
    """The run with this public id, else NotFound."""
    run = session.scalar(select(CourseRun).where(CourseRun.uuid == run_uuid))
    if run is None:
        raise NotFound(_("No such course run."))
    return run


def get_enrollment(enrollment_uuid: uuid.UUID | str) -> Enrollment:
    """The enrolment with this public id (a string from a form too), else NotFound."""
    key = parse_uuid(enrollment_uuid)
    found = session.scalar(select(Enrollment).where(Enrollment.uuid == key)) if key else None
    if found is None:
        raise NotFound(_("No such enrolment."))
    return found


def get_own_enrollment(enrollment_uuid: uuid.UUID, account: Account) -> Enrollment:
    """The learner's own enrolment; another learner's looks as if it did not exist."""
    found = get_enrollment(enrollment_uuid)
    if found.account_id != account.id:
        raise NotFound(_("No such enrolment."))
    return found


def parse_uuid(value: uuid.UUID | str) -> uuid.UUID | None:
    """A public id typed into a form or a filter (URLs use Werkzeug's ``uuid`` converter)."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def account_enrollments(account: Account) -> list[Enrollment]:
    """Every enrolment of a learner, newest first, with runs and courses loaded."""
    return list(
        session.scalars(
            select(Enrollment)
            .options(WITH_COURSE)
            .where(Enrollment.account_id == account.id)
            .order_by(Enrollment.created_at.desc(), Enrollment.id.desc())
        ).unique()
    )


def waitlist_position(enrollment: Enrollment) -> int | None:
    """1 for the next learner to be promoted; None when not waitlisted."""
    if enrollment.state != S.WAITLISTED:
        return None
    ahead = session.scalar(
        select(func.count(Enrollment.id)).where(
            Enrollment.run_id == enrollment.run_id,
            Enrollment.state == S.WAITLISTED,
            Enrollment.waitlist_number < enrollment.waitlist_number,
        )
    )
    return int(ahead or 0) + 1


def waitlist_positions(enrollments: Iterable[Enrollment]) -> dict[int, int]:
    """Waitlist positions of many enrolments in one query: enrolment id -> position."""
    waiting = [e for e in enrollments if e.state == S.WAITLISTED]
    if not waiting:
        return {}
    other = select(Enrollment.run_id, Enrollment.waitlist_number).where(
        Enrollment.state == S.WAITLISTED, Enrollment.run_id.in_({e.run_id for e in waiting})
    )
    numbers: dict[int, list[int]] = {}
    for run_id, number in session.execute(other):
        if number is not None:  # never: a waitlisted enrolment has a number (a constraint)
            numbers.setdefault(run_id, []).append(number)
    return {
        e.id: 1 + sum(1 for n in numbers.get(e.run_id, []) if n < own)
        for e in waiting
        if (own := e.waitlist_number) is not None
    }


@dataclass
class RunFigures:
    """A run's enrolments counted by state, with its seats left and waitlist length."""

    run: CourseRun
    counts: dict[str, int] = field(default_factory=dict)
    # Completions the viewer may not see (the learner did not share them with the partner):
    # :meth:`count` shows them as enrolled, as the enrolment list and its state filter do.
    withheld: int = 0

    @property
    def taken(self) -> int:
        return sum(self.counts.get(state, 0) for state in SEAT_STATES)

    @property
    def seats_left(self) -> int | None:
        if self.run.capacity is None:
            return None
        return max(0, self.run.capacity - self.taken)

    @property
    def waitlist_length(self) -> int:
        return self.counts.get(S.WAITLISTED, 0)

    def count(self, state: str) -> int:
        """The enrolments in ``state`` as the viewer sees them (:func:`sharing.visible_state`)."""
        shown = self.counts.get(state, 0)
        if state == S.COMPLETED:
            return shown - self.withheld
        if state == S.ENROLLED:
            return shown + self.withheld
        return shown


def run_figures(runs: Sequence[CourseRun], *, scope: str | None = None) -> dict[int, RunFigures]:
    """Counts by state for several runs: run id -> figures.

    ``scope`` ``partner``: counted as the institution's staff see the enrolments, a completion
    the learner did not share being "enrolled" (as in the list and its state filter);
    ``admin`` or None: as stored.
    """
    figures = {run.id: RunFigures(run) for run in runs}
    if figures:
        rows = session.execute(
            select(Enrollment.run_id, Enrollment.state, func.count(Enrollment.id))
            .where(Enrollment.run_id.in_(figures))
            .group_by(Enrollment.run_id, Enrollment.state)
        )
        for run_id, state, count in rows:
            figures[run_id].counts[state] = count
    if figures and scope == "partner":
        withheld = session.execute(
            select(Enrollment.run_id, func.count(Enrollment.id))
            .join(Course, Course.id == Enrollment.course_id)
            .where(
                Enrollment.run_id.in_(figures),
                Enrollment.state == S.COMPLETED,
                ~shared_condition("completion"),
            )
            .group_by(Enrollment.run_id)
        )
        for run_id, count in withheld:
            figures[run_id].withheld = count
    return figures


@dataclass
class RunAction:
    """What the course page shows for one run: the visitor's enrolment and the seats left."""

    enrollment: Enrollment | None
    other_run_enrollment: Enrollment | None
    figures: RunFigures
    position: int | None
    # A course harvested from a peer portal: the learner enrols there (``origin.url``).
    origin: CourseOrigin | None = None


def run_action(
    course: Course,
    run: CourseRun,
    account: Account | None,
    memo: dict[tuple[int, int | None], Any] | None = None,
) -> RunAction:
    """The enrolment state of ``run`` for the course page, with a fixed number of queries.

    The first call for a course loads the figures of all its runs and the visitor's enrolments
    in the course; later calls given the same ``memo`` (a dict the caller keeps for one page)
    reuse them.
    """
    cache = memo if memo is not None else {}
    key = (course.id, account.id if account is not None else None)
    if key not in cache:
        figures = run_figures(course.runs)
        mine: list[Enrollment] = []
        if account is not None:
            mine = list(
                session.scalars(
                    select(Enrollment).where(
                        Enrollment.course_id == course.id, Enrollment.account_id == account.id
                    )
                ).unique()
            )
        cache[key] = (figures, mine, waitlist_positions(mine), course.origin)
    figures, mine, positions, origin = cache[key]
    in_run = [e for e in mine if e.run_id == run.id]
    current = next((e for e in in_run if e.is_active), in_run[-1] if in_run else None)
    elsewhere = next((e for e in mine if e.is_active and e.run_id != run.id), None)
    return RunAction(
        enrollment=current,
        other_run_enrollment=elsewhere,
        figures=figures.get(run.id) or RunFigures(run),
        position=positions.get(current.id) if current else None,
        origin=origin,
    )


# -- changing ---------------------------------------------------------------------------------


def enroll(run: CourseRun, account: Account, *, actor: Account | None) -> Enrollment:
    """Enrol ``account`` in ``run``: enrolled, pending (approval needed) or waitlisted (full).

    Refused when the run is cancelled or outside its enrolment window (EnrollmentClosed), when
    the learner already holds an active enrolment in the course (AlreadyEnrolled), or when
    someone else than the learner asks without managing the run (NotPermitted).
    """
    if actor is None or (actor.id != account.id and not can_manage_run(actor, run)):
        raise NotPermitted(_("You may only enrol yourself."))
    account_id, actor_id = account.id, actor.id
    run = lock_run(run)
    account = session.get_one(Account, account_id)
    actor = session.get_one(Account, actor_id)
    check_enrollable(run, account)
    seated = S.PENDING if run.requires_approval else S.ENROLLED
    state = seated if _has_seat(run) else S.WAITLISTED
    enrollment = Enrollment(run=run, course_id=run.course_id, account=account, state=state)
    if state == S.WAITLISTED:
        enrollment.waitlist_number = _next_waitlist_number(run)
    enrollment.transitions.append(
        EnrollmentTransition(from_state=None, to_state=state, actor=actor)
    )
    try:
        with session.begin_nested():
            session.add(enrollment)
            session.flush()
    except IntegrityError as exc:
        # Another run of the same course, locked separately, won the race.
        raise AlreadyEnrolled(_("You are already enrolled in this course.")) from exc
    notify(enrollment, None, actor)
    return enrollment


def check_enrollable(run: CourseRun, account: Account) -> None:
    """Raise what :func:`enroll` would refuse ``account`` in ``run`` for, without enrolling
    (so that a page can refuse before asking anything more of the learner)."""
    availability = run.availability()
    if not _course_is_public(run.course_id):
        raise NotFound(_("No such course run."))
    origin = run.course.origin
    if origin is not None:
        raise EnrollmentClosed(
            _("This course comes from %(peer)s: enrol there.", peer=origin.peer_name)
        )
    if availability is Availability.CANCELLED:
        raise EnrollmentClosed(_("This run has been cancelled."))
    if availability is not Availability.OPEN:
        raise EnrollmentClosed(_("Enrolment in this run is not open."))
    existing = session.scalar(
        select(Enrollment).where(
            Enrollment.course_id == run.course_id,
            Enrollment.account_id == account.id,
            Enrollment.state.in_(ACTIVE_STATES),
        )
    )
    if existing is not None:
        raise AlreadyEnrolled(_("You are already enrolled in this course."))


def withdraw(enrollment: Enrollment, *, actor: Account) -> Enrollment:
    """The learner leaves the run; a freed seat goes to the first learner on the waitlist."""
    if actor.id != enrollment.account_id:
        raise NotFound(_("No such enrolment."))
    run = lock_run(enrollment.run)
    session.refresh(enrollment)
    if enrollment.state not in (S.PENDING, S.ENROLLED, S.WAITLISTED):
        raise Conflict(_("This enrolment cannot be withdrawn any more."))
    _change(enrollment, S.WITHDRAWN, actor)
    fill_seats(run, actor=None)
    return enrollment


def approve(enrollment: Enrollment, *, actor: Account) -> Enrollment:
    """A manager accepts a pending enrolment."""
    require_run_manager(actor, enrollment.run)
    lock_run(enrollment.run)
    session.refresh(enrollment)
    if enrollment.state != S.PENDING:
        raise Conflict(_("Only a pending enrolment can be approved."))
    if enrollment.run.cancelled:
        raise EnrollmentClosed(_("This run has been cancelled."))
    _change(enrollment, S.ENROLLED, actor)
    return enrollment


def reject(enrollment: Enrollment, reason: str, *, actor: Account) -> Enrollment:
    """A manager turns down a pending or waitlisted enrolment, giving the reason."""
    require_run_manager(actor, enrollment.run)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Give the reason for the rejection."), field="reason")
    run = lock_run(enrollment.run)
    session.refresh(enrollment)
    if enrollment.state not in (S.PENDING, S.WAITLISTED):
        raise Conflict(_("Only a pending or waitlisted enrolment can be rejected."))
    _change(enrollment, S.REJECTED, actor, reason=reason)
    fill_seats(run, actor=None)
    return enrollment


def promote_from_waitlist(enrollment: Enrollment, *, actor: Account) -> Enrollment:
    """A manager takes a learner off the waitlist by hand, ahead of the queue if need be.

    The learner is enrolled (the manager's decision stands for an approval); a free seat is
    still needed: raise the run's capacity first when it is full.
    """
    require_run_manager(actor, enrollment.run)
    run = lock_run(enrollment.run)
    session.refresh(enrollment)
    if enrollment.state != S.WAITLISTED:
        raise Conflict(_("Only a waitlisted learner can be promoted."))
    if not _has_seat(run):
        raise Conflict(_("The run is full. Raise its capacity first."))
    _change(enrollment, S.ENROLLED, actor)
    return enrollment


def set_capacity(run: CourseRun, capacity: int | None, *, actor: Account) -> list[Enrollment]:
    """Change a run's capacity (None: unlimited); newly free seats go to the waitlist.

    The one path for a capacity change (the enrolment review page, the partner run form and
    the partner API all come here): only the run's institution's managers and administrators
    change it; raising it promotes the waitlist in order before any newcomer gets a seat.
    Returns the enrolments promoted.

    Raises NotPermitted (``field="capacity"``) for anyone else, InvalidInput for a negative
    capacity and Conflict for one below the seats already taken.
    """
    if not can_manage_run(actor, run):
        raise NotPermitted(
            _("Only the institution's managers change a run's capacity."), field="capacity"
        )
    if capacity is not None and capacity < 0:
        raise InvalidInput(_("The capacity cannot be negative."), field="capacity")
    run = lock_run(run)
    taken = _seats_taken(run)
    if capacity is not None and capacity < taken:
        raise Conflict(
            _(
                "%(taken)d seats are taken; the capacity cannot be lower.",
                taken=taken,
            ),
            field="capacity",
        )
    run.capacity = capacity
    session.flush()
    return fill_seats(run, actor=None)


def end_enrollments_of_cancelled_run(run: CourseRun, *, actor: Account | None) -> list[Enrollment]:
    """What cancelling ``run`` does to its enrolments; the caller has marked it cancelled.

    Pending, enrolled and waitlisted learners move to ``cancelled`` (the waitlist is emptied)
    and each is told by mail, with the course's other runs they can join instead; their
    enrolment no longer counts as active, so they may enrol in another run at once. A
    completed enrolment stays completed with its certificate; rejected and withdrawn ones stay
    as they are. Lesson marks stay recorded with the enrolment. Returns the enrolments ended.
    """
    run = lock_run(run)
    if not run.cancelled:
        raise Conflict(_("Only a cancelled run's enrolments end with it."))
    ended = list(
        session.scalars(
            select(Enrollment)
            .where(Enrollment.run_id == run.id, Enrollment.state.in_(CANCELLABLE_STATES))
            .order_by(Enrollment.id)
        )
    )
    for enrollment in ended:
        _change(enrollment, S.CANCELLED, actor)
    return ended


def alternative_runs(run: CourseRun) -> list[CourseRun]:
    """The other runs of ``run``'s course that a learner can still join or wait for: open for
    enrolment or upcoming, not cancelled; soonest first."""
    wanted = (Availability.OPEN, Availability.UPCOMING)
    others = session.scalars(
        select(CourseRun).where(
            CourseRun.course_id == run.course_id,
            CourseRun.id != run.id,
            CourseRun.cancelled.is_(False),
        )
    ).all()
    now = utcnow()
    found = [r for r in others if r.availability(now) in wanted]
    return sorted(found, key=lambda r: (r.start_at is None, r.start_at or now, r.id))


def alternative_runs_of(runs: Iterable[CourseRun]) -> dict[int, list[CourseRun]]:
    """``alternative_runs`` for many runs in one query: run id -> the other runs of its course
    that a learner can still join or wait for, soonest first."""
    runs = list(runs)
    if not runs:
        return {}
    wanted = (Availability.OPEN, Availability.UPCOMING)
    candidates = session.scalars(
        select(CourseRun).where(
            CourseRun.course_id.in_({r.course_id for r in runs}),
            CourseRun.cancelled.is_(False),
        )
    ).all()
    now = utcnow()
    open_runs = sorted(
        (r for r in candidates if r.availability(now) in wanted),
        key=lambda r: (r.start_at is None, r.start_at or now, r.id),
    )
    return {
        run.id: [r for r in open_runs if r.course_id == run.course_id and r.id != run.id]
        for run in runs
    }


def complete(enrollment: Enrollment, *, actor: Account | None = None) -> Enrollment:
    """Mark an enrolled learner's run as completed (called by progress tracking)."""
    if enrollment.state != S.ENROLLED:
        raise Conflict(_("Only an enrolled learner can complete a run."))
    _change(enrollment, S.COMPLETED, actor)
    return enrollment


def reopen(enrollment: Enrollment, *, actor: Account | None = None, reason: str) -> Enrollment:
    """Take a completion back: the platform that reported it withdrew it (a ``failed`` or a
    voiding xAPI statement). The learner is enrolled again; the certificate service revokes
    the certificate (``enrolment_changed``). Raises Conflict unless the run is completed."""
    if enrollment.state != S.COMPLETED:
        raise Conflict(_("Only a completed run can be reopened."))
    _change(enrollment, S.ENROLLED, actor, reason=reason)
    return enrollment


def fill_seats(run: CourseRun, *, actor: Account | None) -> list[Enrollment]:
    """Give free seats to the waitlist in order; the run must be locked by the caller.

    A promoted learner is enrolled at once, or pending when the run needs approval.
    """
    promoted: list[Enrollment] = []
    if run.cancelled:
        return promoted
    while _has_seat(run):
        first = session.scalar(
            select(Enrollment)
            .where(Enrollment.run_id == run.id, Enrollment.state == S.WAITLISTED)
            .order_by(Enrollment.waitlist_number)
            .limit(1)
        )
        if first is None:
            break
        _change(first, S.PENDING if run.requires_approval else S.ENROLLED, actor)
        promoted.append(first)
    return promoted


def decide_many(
    enrollment_uuids: Iterable[str],
    decision: str,
    *,
    actor: Account,
    reason: str = "",
) -> list[Enrollment]:
    """Approve or reject several enrolments at once; all or nothing (the caller's transaction)."""
    actions = {"approve": approve, "reject": None}
    if decision not in actions:
        raise InvalidInput(_("Choose approve or reject."), field="decision")
    chosen = [get_enrollment(value) for value in dict.fromkeys(enrollment_uuids)]
    if not chosen:
        raise InvalidInput(_("Select at least one enrolment."), field="enrollments")
    for enrollment in chosen:
        require_run_manager(actor, enrollment.run)
    for enrollment in chosen:
        if decision == "approve":
            approve(enrollment, actor=actor)
        else:
            reject(enrollment, reason, actor=actor)
    return chosen


def _course_is_public(course_id: int) -> bool:
    return (
        session.scalar(select(Course.id).where(Course.id == course_id, Course.is_public))
        is not None
    )


def _seats_taken(run: CourseRun) -> int:
    return int(
        session.scalar(
            select(func.count(Enrollment.id)).where(
                Enrollment.run_id == run.id, Enrollment.state.in_(SEAT_STATES)
            )
        )
        or 0
    )


def _has_seat(run: CourseRun) -> bool:
    session.flush()
    return run.capacity is None or _seats_taken(run) < run.capacity


def _next_waitlist_number(run: CourseRun) -> int:
    highest = session.scalar(
        select(func.max(Enrollment.waitlist_number)).where(Enrollment.run_id == run.id)
    )
    return int(highest or 0) + 1


def _change(
    enrollment: Enrollment, state: EnrollmentState, actor: Account | None, *, reason: str = ""
) -> None:
    previous = enrollment.state
    enrollment.state = state
    enrollment.reason = reason or None
    enrollment.decided_at = utcnow()
    if state != S.WAITLISTED:
        enrollment.waitlist_number = None
    enrollment.transitions.append(
        EnrollmentTransition(
            from_state=previous, to_state=state, actor=actor, reason=reason or None
        )
    )
    session.flush()
    notify(enrollment, previous, actor)


def course_slug(run: CourseRun) -> str:
    """The slug of a run's course, without loading the course."""
    return str(session.scalar(select(Course.slug).where(Course.id == run.course_id)))
