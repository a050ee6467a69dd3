"""Progress through a run's course: opening the course space, marking lessons, the figures.

Progress is always computed from the course's *current* outline: the counted lessons are those
whose "counts toward completion" flag is set now, and completions of lessons removed since are
gone with them (or ignored, should a row survive). When the last counted lesson is marked
complete the enrolment is completed through the enrolment services, which issue the
certificate; marking a lesson "not complete" afterwards changes the progress shown but never
takes the completion or the certificate back.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from mooc_portal.accounts.models import Account, StaffRole
from mooc_portal.appctx import current_flask_app
from mooc_portal.catalog.models import CourseRun, Pace
from mooc_portal.catalog.outline import Lesson, Module
from mooc_portal.certificates.models import Certificate
from mooc_portal.csv_export import write_csv
from mooc_portal.db import session, utcnow
from mooc_portal.enrollment import services as enrolment
from mooc_portal.enrollment.models import Enrollment, EnrollmentState
from mooc_portal.enrollment.sharing import (
    EVERYTHING,
    REQUIRED_ONLY,
    Sharing,
    sharing_for,
    visible_state,
)
from mooc_portal.errors import Conflict, NotFound, NotPermitted
from mooc_portal.progress.models import LessonCompletion, LessonVisit, ReportedProgress
from mooc_portal.signals import course_completed, lesson_completed

S = EnrollmentState
LEARNING_STATES = (S.ENROLLED, S.COMPLETED)
"""States whose learners may open the course space and appear in the progress figures."""

ACTIVE_DAYS = 7


# -- what progress is -------------------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    """Completed counted lessons out of the counted lessons of the current outline."""

    done: int
    total: int

    @property
    def percent(self) -> int:
        """Rounded down, so that 100 means every counted lesson is done."""
        return self.done * 100 // self.total if self.total else 0

    @property
    def finished(self) -> bool:
        return self.total > 0 and self.done >= self.total


@dataclass
class Outline:
    """A course's lessons in outline order, grouped by module."""

    modules: list[tuple[Module, list[Lesson]]]

    @property
    def lessons(self) -> list[Lesson]:
        return [lesson for _module, lessons in self.modules for lesson in lessons]

    @property
    def counted(self) -> list[Lesson]:
        return [lesson for lesson in self.lessons if lesson.counts_toward_completion]

    def progress(self, done_ids: set[int]) -> Progress:
        counted = self.counted
        return Progress(sum(1 for lesson in counted if lesson.id in done_ids), len(counted))

    def next_lesson(self, done_ids: set[int]) -> Lesson | None:
        """The first counted lesson not done yet, else the first lesson not done."""
        lessons = self.lessons
        return next(
            (x for x in lessons if x.counts_toward_completion and x.id not in done_ids),
            next((x for x in lessons if x.id not in done_ids), None),
        )


def outlines(course_ids: Iterable[int]) -> dict[int, Outline]:
    """The current outlines of several courses in one query: course id -> outline."""
    found: dict[int, Outline] = {course_id: Outline([]) for course_id in course_ids}
    if not found:
        return found
    rows = session.execute(
        select(Module, Lesson)
        .join(Lesson, Lesson.module_id == Module.id)
        .where(Module.course_id.in_(found))
        .order_by(Module.course_id, Module.position, Module.id, Lesson.position, Lesson.id)
    )
    for module, lesson in rows:
        modules = found[module.course_id].modules
        if not modules or modules[-1][0] is not module:
            modules.append((module, []))
        modules[-1][1].append(lesson)
        # The lesson holds its module (for its course's original language) once loaded.
        set_committed_value(lesson, "module", module)
    return found


def outline_of(course_id: int) -> Outline:
    """One course's outline, every module with its lessons (modules without lessons too)."""
    modules = session.scalars(
        select(Module).where(Module.course_id == course_id).order_by(Module.position, Module.id)
    ).all()
    return Outline([(m, sorted(m.lessons, key=lambda x: (x.position, x.id))) for m in modules])


def completed_lesson_ids(enrollment_ids: Iterable[int]) -> dict[int, set[int]]:
    """Lessons marked complete, per enrolment, in one query."""
    done: dict[int, set[int]] = {enrollment_id: set() for enrollment_id in enrollment_ids}
    if done:
        rows = session.execute(
            select(LessonCompletion.enrollment_id, LessonCompletion.lesson_id).where(
                LessonCompletion.enrollment_id.in_(done)
            )
        )
        for enrollment_id, lesson_id in rows:
            done[enrollment_id].add(lesson_id)
    return done


def progress_of(enrollment: Enrollment) -> Progress:
    outline = outlines([enrollment.course_id])[enrollment.course_id]
    return outline.progress(completed_lesson_ids([enrollment.id])[enrollment.id])


# -- the course space -------------------------------------------------------------------------


def has_started(run: CourseRun, now: datetime | None = None) -> bool:
    """A self-paced course's runs are open at once; others from their start."""
    if run.course.pace == Pace.SELF_PACED:
        return True
    return run.start_at is not None and run.start_at <= (now or utcnow())


class RunCancelled(NotPermitted):
    """The learner's enrolment ended because its run was cancelled (``run``): the course space
    says so and offers the course's other runs."""

    def __init__(self, message: str, *, run: CourseRun) -> None:
        super().__init__(message)
        self.run = run


def learning_enrollment(run: CourseRun, account: Account) -> Enrollment:
    """The learner's enrolment that opens ``run``'s course space, or a clear refusal
    (RunCancelled when the run was cancelled under it, else NotPermitted)."""
    mine = session.scalars(
        select(Enrollment)
        .where(Enrollment.run_id == run.id, Enrollment.account_id == account.id)
        .order_by(Enrollment.id.desc())
    ).all()
    enrollment = next((e for e in mine if e.state in LEARNING_STATES), None)
    if enrollment is None:
        if any(e.state == S.CANCELLED for e in mine):
            raise RunCancelled(
                _(
                    "This run was cancelled, and your enrolment ended with it. The course page "
                    "lists the course's other runs."
                ),
                run=run,
            )
        if any(e.state in (S.PENDING, S.WAITLISTED) for e in mine):
            raise NotPermitted(
                _("Your enrolment in this run is not confirmed yet; the course opens once it is.")
            )
        raise NotPermitted(_("Only learners enrolled in this run can open its course space."))
    if not has_started(run):
        if run.start_at is None:
            raise NotPermitted(_("This run has not started yet; its dates are to be announced."))
        raise NotPermitted(
            _(
                "This run has not started yet; its course space opens on %(date)s.",
                date=format_date(run.start_at, "long"),
            )
        )
    return enrollment


def get_learning_enrollment(run_uuid: uuid.UUID, account: Account) -> Enrollment:
    return learning_enrollment(enrolment.get_run(run_uuid), account)


def get_lesson(enrollment: Enrollment, lesson_uuid: uuid.UUID) -> Lesson:
    """A lesson of the enrolment's course; any other lesson looks as if it did not exist."""
    lesson = session.scalar(
        select(Lesson)
        .join(Module, Module.id == Lesson.module_id)
        .where(Lesson.uuid == lesson_uuid, Module.course_id == enrollment.course_id)
    )
    if lesson is None:
        raise NotFound(_("No such lesson in this course."))
    return lesson


def last_visited(enrollment: Enrollment) -> Lesson | None:
    """Where the learner left off (None before their first lesson, or if it was removed)."""
    visit = session.scalar(select(LessonVisit).where(LessonVisit.enrollment_id == enrollment.id))
    if visit is None or visit.lesson_id is None:
        return None
    return session.get(Lesson, visit.lesson_id)


def record_visit(enrollment: Enrollment, lesson: Lesson, *, actor: Account) -> None:
    """Remember ``lesson`` as where the learner left off."""
    _require_learner(enrollment, actor)
    _require_lesson_of(enrollment, lesson)
    visit = session.scalar(select(LessonVisit).where(LessonVisit.enrollment_id == enrollment.id))
    if visit is None:
        try:
            with session.begin_nested():
                session.add(LessonVisit(enrollment_id=enrollment.id, lesson_id=lesson.id))
                session.flush()
            return
        except IntegrityError:  # a parallel request of the same learner recorded one first
            visit = session.scalars(
                select(LessonVisit)
                .where(LessonVisit.enrollment_id == enrollment.id)
                .execution_options(populate_existing=True)
            ).one()
    visit.lesson_id = lesson.id
    visit.visited_at = utcnow()
    session.flush()


def mark_complete(enrollment: Enrollment, lesson: Lesson, *, actor: Account) -> Progress:
    """Mark ``lesson`` done; the last counted lesson completes the enrolment.

    Completing sends ``lesson_completed``; completing the course goes through
    :func:`mooc_portal.enrollment.services.complete` (which issues the certificate when the
    course offers one) and then sends ``course_completed``.
    """
    _require_learner(enrollment, actor)
    _require_lesson_of(enrollment, lesson)
    enrollment = _lock(enrollment)
    if enrollment.state not in LEARNING_STATES:
        raise Conflict(_("Only an enrolled learner can mark lessons."))
    exists = session.scalar(
        select(LessonCompletion.id).where(
            LessonCompletion.enrollment_id == enrollment.id,
            LessonCompletion.lesson_id == lesson.id,
        )
    )
    if exists is None:
        try:
            with session.begin_nested():
                session.add(LessonCompletion(enrollment_id=enrollment.id, lesson_id=lesson.id))
                session.flush()
        except IntegrityError:
            pass  # marked by a parallel request of the same learner: done all the same
        else:
            lesson_completed.send(
                current_flask_app(), enrollment=enrollment, lesson=lesson, actor=actor
            )
    progress = progress_of(enrollment)
    if progress.finished and enrollment.state == S.ENROLLED:
        enrolment.complete(enrollment, actor=actor)
        course_completed.send(current_flask_app(), enrollment=enrollment, actor=actor)
    return progress


def mark_incomplete(enrollment: Enrollment, lesson: Lesson, *, actor: Account) -> Progress:
    """Take a lesson's mark back. A completed enrolment and its certificate stay as they are."""
    _require_learner(enrollment, actor)
    _require_lesson_of(enrollment, lesson)
    if enrollment.state not in LEARNING_STATES:
        raise Conflict(_("Only an enrolled learner can mark lessons."))
    session.execute(
        delete(LessonCompletion).where(
            LessonCompletion.enrollment_id == enrollment.id,
            LessonCompletion.lesson_id == lesson.id,
        )
    )
    return progress_of(enrollment)


def certificate_of(enrollment: Enrollment) -> Certificate | None:
    """The certificate issued for a completed enrolment (None before, or without one)."""
    if enrollment.state != S.COMPLETED:
        return None
    return session.scalar(select(Certificate).where(Certificate.enrollment_id == enrollment.id))


def _require_learner(enrollment: Enrollment, actor: Account | None) -> None:
    if actor is None or actor.id != enrollment.account_id:
        raise NotFound(_("No such enrolment."))


def _require_lesson_of(enrollment: Enrollment, lesson: Lesson) -> None:
    course_id = session.scalar(select(Module.course_id).where(Module.id == lesson.module_id))
    if course_id != enrollment.course_id:
        raise NotFound(_("No such lesson in this course."))


def _lock(enrollment: Enrollment) -> Enrollment:
    """Serialise one learner's marks (PostgreSQL row lock; SQLite serialises its writers)."""
    return enrolment.lock_enrollment(enrollment)


# -- my learning ------------------------------------------------------------------------------


@dataclass
class LearningItem:
    """One enrolment on "My learning", whatever its state."""

    enrollment: Enrollment
    progress: Progress
    next_lesson: Lesson | None
    last_lesson: Lesson | None
    started: bool
    certificate: Certificate | None = None
    # What the partner's own platform reported through xAPI (percent, source), if anything.
    reported: ReportedProgress | None = None
    # For an enrolment that ended (rejected, withdrawn, run cancelled) while the learner holds
    # no other enrolment in the course: the course's runs they can join instead.
    alternatives: list[CourseRun] = field(default_factory=list)
    # The learner holds another (active) enrolment in this course.
    superseded: bool = False


@dataclass
class Learning:
    """Every enrolment of a learner, in three groups: current (pending, enrolled,
    waitlisted), completed, and ended (rejected, withdrawn, run cancelled)."""

    current: list[LearningItem] = field(default_factory=list)
    completed: list[LearningItem] = field(default_factory=list)
    ended: list[LearningItem] = field(default_factory=list)
    positions: dict[int, int] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        return not (self.current or self.completed or self.ended)


ENDED_STATES = (S.REJECTED, S.WITHDRAWN, S.CANCELLED)


def my_learning(account: Account) -> Learning:
    """Every enrolment of the learner with its progress, next step and certificate, in a fixed
    number of queries; an ended one with the course's runs the learner can join instead."""
    enrollments = enrolment.account_enrollments(account)
    held = {e.course_id for e in enrollments if e.is_active}
    ids = [e.id for e in enrollments]
    course_outlines = outlines({e.course_id for e in enrollments})
    done = completed_lesson_ids(ids)
    lessons = {lesson.id: lesson for o in course_outlines.values() for lesson in o.lessons}
    visits: dict[int, int | None] = {}
    certificates: dict[int, Certificate] = {}
    if ids:
        visits = dict(
            session.execute(
                select(LessonVisit.enrollment_id, LessonVisit.lesson_id).where(
                    LessonVisit.enrollment_id.in_(ids)
                )
            ).all()
        )
        certificates = {
            c.enrollment_id: c
            for c in session.scalars(
                select(Certificate).where(Certificate.enrollment_id.in_(ids))
            ).unique()
        }
    reported = reported_progress(ids)
    # The newest ended enrolment of a course the learner no longer holds offers its other runs.
    latest_ended: dict[int, Enrollment] = {}
    for e in enrollments:  # newest first
        if e.state in ENDED_STATES and e.course_id not in held:
            latest_ended.setdefault(e.course_id, e)
    alternatives = enrolment.alternative_runs_of(e.run for e in latest_ended.values())
    learning = Learning(positions=enrolment.waitlist_positions(enrollments))
    now = utcnow()
    for e in enrollments:
        outline = course_outlines[e.course_id]
        last_id = visits.get(e.id)
        item = LearningItem(
            enrollment=e,
            progress=outline.progress(done[e.id]),
            next_lesson=outline.next_lesson(done[e.id]),
            last_lesson=lessons.get(last_id) if last_id is not None else None,
            started=has_started(e.run, now),
            certificate=certificates.get(e.id),
            reported=reported.get(e.id),
            alternatives=alternatives.get(e.run_id, [])
            if latest_ended.get(e.course_id) is e
            else [],
            superseded=e.state in ENDED_STATES and e.course_id in held,
        )
        if e.state == S.COMPLETED:
            learning.completed.append(item)
        elif e.state in ENDED_STATES:
            learning.ended.append(item)
        else:
            learning.current.append(item)
    return learning


# -- figures for partner managers and administrators ------------------------------------------


@dataclass
class LearnerProgress:
    enrollment: Enrollment
    progress: Progress
    last_activity: datetime | None
    reported: ReportedProgress | None = None

    @property
    def percent(self) -> int:
        """The partner platform's reported figure where there is one, else the lessons'."""
        return self.reported.percent if self.reported is not None else self.progress.percent


@dataclass
class RunProgress:
    """A run's progress figures over its enrolled and completed learners."""

    run: CourseRun
    learners: list[LearnerProgress]
    active_since: datetime
    counted_lessons: int
    # Enrolment id -> what the viewer may see of the learner (their consent, for partners).
    shared: dict[int, Sharing] = field(default_factory=dict)

    @property
    def enrolled(self) -> int:
        return len(self.learners)

    @property
    def active(self) -> int:
        return sum(
            1 for x in self.learners if x.last_activity and x.last_activity >= self.active_since
        )

    @property
    def completed(self) -> int:
        """Completions the viewer may see: one the learner did not share counts as enrolled,
        as the list shows it."""
        return sum(
            1
            for x in self.learners
            if visible_state(x.enrollment, self.shared.get(x.enrollment.id, EVERYTHING))
            == S.COMPLETED
        )

    @property
    def average_progress(self) -> int:
        if not self.learners:
            return 0
        return round(sum(x.percent for x in self.learners) / len(self.learners))

    @property
    def completion_rate(self) -> int:
        return round(self.completed * 100 / self.enrolled) if self.learners else 0


def require_progress_viewer(run: CourseRun, actor: Account | None, *, scope: str) -> None:
    """``admin``: administrators only; ``partner``: managers of the run's institution."""
    if actor is None:
        raise NotPermitted(_("Log in to see the progress of a run."))
    if scope == "admin":
        allowed = actor.is_admin
    else:
        allowed = actor.may_act_for(run.course.institution_id, StaffRole.MANAGER)
    if not allowed:
        raise NotPermitted(_("You may not see the progress of this run."))


def run_progress(run: CourseRun, *, actor: Account | None, scope: str) -> RunProgress:
    """Enrolled, active in the last 7 days, average progress, completion rate, per learner."""
    require_progress_viewer(run, actor, scope=scope)
    enrollments = session.scalars(
        select(Enrollment)
        .where(Enrollment.run_id == run.id, Enrollment.state.in_(LEARNING_STATES))
        .order_by(Enrollment.created_at, Enrollment.id)
    ).all()
    ids = [e.id for e in enrollments]
    outline = outlines([run.course_id])[run.course_id]
    done = completed_lesson_ids(ids)
    activity: dict[int, datetime] = {}
    if ids:
        latest_mark = select(
            LessonCompletion.enrollment_id, func.max(LessonCompletion.completed_at)
        ).where(LessonCompletion.enrollment_id.in_(ids))
        visited = select(LessonVisit.enrollment_id, LessonVisit.visited_at).where(
            LessonVisit.enrollment_id.in_(ids)
        )
        for enrollment_id, at in [
            *session.execute(latest_mark.group_by(LessonCompletion.enrollment_id)),
            *session.execute(visited),
        ]:
            if at is not None and (enrollment_id not in activity or at > activity[enrollment_id]):
                activity[enrollment_id] = at
    reported = reported_progress(ids)
    for enrollment_id, report in reported.items():
        if enrollment_id not in activity or report.updated_at > activity[enrollment_id]:
            activity[enrollment_id] = report.updated_at
    return RunProgress(
        run=run,
        learners=[
            LearnerProgress(e, outline.progress(done[e.id]), activity.get(e.id), reported.get(e.id))
            for e in enrollments
        ],
        active_since=utcnow() - timedelta(days=ACTIVE_DAYS),
        counted_lessons=len(outline.counted),
        shared=sharing_for(enrollments, scope=scope),
    )


CSV_COLUMNS = (
    "enrolment",
    "learner",
    "email",
    "country",
    "state",
    "lessons_done",
    "lessons_counted",
    "progress_percent",
    "last_activity",
)


def export_csv(report: RunProgress) -> str:
    """Per-learner progress as CSV with a header row (UTC timestamps in ISO 8601).

    Fields the learner did not agree to share with the viewer's institution are left empty
    (a completion not shared shows as enrolled).
    """
    return write_csv(CSV_COLUMNS, (_csv_row(row, report) for row in report.learners))


def _csv_row(row: LearnerProgress, report: RunProgress) -> list[object]:
    e = row.enrollment
    allowed = report.shared.get(e.id, REQUIRED_ONLY)
    progress: list[object] = ["", "", "", ""]
    if allowed.progress:
        progress = [
            row.progress.done,
            row.progress.total,
            row.percent,
            row.last_activity.isoformat() if row.last_activity else "",
        ]
    return [
        e.uuid,
        e.account.shown_name,
        e.account.email,
        (e.account.country or "") if allowed.country else "",
        visible_state(e, allowed),
        *progress,
    ]


def reported_progress(enrollment_ids: list[int]) -> dict[int, ReportedProgress]:
    """The progress partner platforms reported, by enrolment (one query)."""
    if not enrollment_ids:
        return {}
    return {
        r.enrollment_id: r
        for r in session.scalars(
            select(ReportedProgress).where(ReportedProgress.enrollment_id.in_(enrollment_ids))
        )
    }
