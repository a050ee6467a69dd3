"""Rebuilding the insights summaries from the enrolments, in a few set-based statements.

The summaries are rebuilt as a whole (delete, then ``INSERT ... SELECT``), in the caller's
transaction: a reader sees the old figures or the new ones, never half of each. On PostgreSQL
an advisory lock lets one rebuild run at a time; SQLite serialises writers anyway. A rebuild
reads every enrolment once, so it runs in a background job (``insights`` kind) or from
``flask portal insights-refresh``, never for each page: a page only asks for one when the
figures are older than ``MOOC_INSIGHTS_MAX_AGE`` seconds.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    union_all,
)

from mooc_portal.accounts.models import Account
from mooc_portal.catalog.models import Course, CourseRun, CourseSubject
from mooc_portal.catalog.outline import Lesson, Module
from mooc_portal.certificates.models import Certificate
from mooc_portal.db import session, utcnow
from mooc_portal.enrollment.models import Enrollment, EnrollmentState, EnrollmentTransition
from mooc_portal.insights.models import (
    ALL_FIELDS,
    InsightActivity,
    InsightRun,
    InsightSnapshot,
    InsightTotal,
)
from mooc_portal.institutions.models import Institution
from mooc_portal.progress.models import LessonCompletion, LessonVisit
from mooc_portal.reference import ASIA_COUNTRIES, EUROPE_COUNTRIES

S = EnrollmentState
LEARNING = (S.ENROLLED.value, S.COMPLETED.value)
"""Enrolments that count: the learner holds a place, or held it to the end."""
_LOCK_KEY = 0x1A5E_0014  # pg_advisory_xact_lock key of the rebuild (issue 14)


def month_of(column: Any) -> ColumnElement[str]:
    """``YYYY-MM`` of a UTC timestamp column, on PostgreSQL and SQLite."""
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM")
    return func.strftime("%Y-%m", column)


def region_of_country(country: Any) -> ColumnElement[str]:
    """``asia``, ``europe`` or ``other`` for a country column (the ASEM regions)."""
    return case(
        (country.in_(EUROPE_COUNTRIES), "europe"),
        (country.in_(ASIA_COUNTRIES), "asia"),
        else_="other",
    )


def refresh_insights(now: datetime | None = None) -> InsightSnapshot:
    """Rebuild every insights summary from the current enrolments; flushes, does not commit.

    Returns the snapshot row with the new time and the distinct-learner figures.
    """
    now = now or utcnow()
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
    session.execute(delete(InsightActivity))
    session.execute(delete(InsightTotal))
    session.execute(delete(InsightRun))
    _build_activity()
    _build_totals()
    _build_runs()
    snapshot = _build_snapshot(now)
    session.flush()
    return snapshot


def _course_fields() -> Any:
    """(course, field): each course once with the empty field, and once per broad field."""
    broad = func.substr(CourseSubject.code, 1, 2)
    return union_all(
        select(Course.id.label("course_id"), literal(ALL_FIELDS).label("field")),
        select(CourseSubject.course_id.label("course_id"), broad.label("field")).distinct(),
    ).subquery("course_fields")


def _build_activity() -> None:
    completed_at = (
        select(
            EnrollmentTransition.enrollment_id.label("enrollment_id"),
            func.min(EnrollmentTransition.at).label("at"),
        )
        .where(EnrollmentTransition.to_state == S.COMPLETED.value)
        .group_by(EnrollmentTransition.enrollment_id)
        .subquery("completed_at")
    )
    enrolments = select(
        month_of(Enrollment.created_at).label("month"),
        Enrollment.course_id.label("course_id"),
        Enrollment.account_id.label("account_id"),
        literal(1).label("enrolled"),
        literal(0).label("completed"),
        literal(0).label("certified"),
    ).where(Enrollment.state.in_(LEARNING))
    completions = (
        select(
            month_of(completed_at.c.at),
            Enrollment.course_id,
            Enrollment.account_id,
            literal(0),
            literal(1),
            literal(0),
        )
        .join(completed_at, completed_at.c.enrollment_id == Enrollment.id)
        .where(Enrollment.state == S.COMPLETED.value)
    )
    certificates = (
        select(
            month_of(Certificate.issued_at),
            Enrollment.course_id,
            Enrollment.account_id,
            literal(0),
            literal(0),
            literal(1),
        )
        .join(Enrollment, Enrollment.id == Certificate.enrollment_id)
        .where(Certificate.revoked_at.is_(None))
    )
    events = union_all(enrolments, completions, certificates).subquery("events")
    fields = _course_fields()
    country = func.coalesce(Account.country, "")
    query = (
        select(
            events.c.month,
            Course.institution_id,
            fields.c.field,
            country,
            region_of_country(country),
            Institution.region,
            func.sum(events.c.enrolled),
            func.sum(events.c.completed),
            func.sum(events.c.certified),
        )
        .select_from(events)
        .join(Course, Course.id == events.c.course_id)
        .join(Institution, Institution.id == Course.institution_id)
        .join(fields, fields.c.course_id == events.c.course_id)
        .join(Account, Account.id == events.c.account_id)
        .group_by(
            events.c.month, Course.institution_id, fields.c.field, country, Institution.region
        )
    )
    session.execute(
        insert(InsightActivity).from_select(
            [
                "month",
                "institution_id",
                "field",
                "learner_country",
                "learner_region",
                "offering_region",
                "enrolled",
                "completed",
                "certified",
            ],
            query,
        )
    )


def _build_totals() -> None:
    """The cube summed over the partners (read by the figures of every partner)."""
    a = InsightActivity
    keys = (a.month, a.field, a.learner_country, a.offering_region, a.learner_region)
    session.execute(
        insert(InsightTotal).from_select(
            [
                "month",
                "field",
                "learner_country",
                "offering_region",
                "learner_region",
                "enrolled",
                "completed",
                "certified",
            ],
            select(
                *keys, func.sum(a.enrolled), func.sum(a.completed), func.sum(a.certified)
            ).group_by(*keys),
        )
    )


def _count_if(condition: Any) -> ColumnElement[int]:
    return func.sum(case((condition, 1), else_=0))


def _build_runs() -> None:
    totals = (
        select(Module.course_id.label("course_id"), func.count(Lesson.id).label("total"))
        .join(Lesson, Lesson.module_id == Module.id)
        .where(Lesson.counts_toward_completion.is_(True))
        .group_by(Module.course_id)
        .subquery("totals")
    )
    done = (
        select(
            LessonCompletion.enrollment_id.label("enrollment_id"),
            func.count().label("any"),
            func.sum(case((Lesson.counts_toward_completion.is_(True), 1), else_=0)).label("done"),
        )
        .join(Lesson, Lesson.id == LessonCompletion.lesson_id)
        .group_by(LessonCompletion.enrollment_id)
        .subquery("done")
    )
    valid = (
        select(Certificate.enrollment_id.label("enrollment_id"))
        .where(Certificate.revoked_at.is_(None))
        .subquery("valid")
    )
    learning = Enrollment.state.in_(LEARNING)
    completed = Enrollment.state == S.COMPLETED.value
    per_run = (
        select(
            Enrollment.run_id.label("run_id"),
            _count_if(learning).label("enrolled"),
            _count_if(
                and_(
                    learning,
                    or_(completed, done.c.enrollment_id.is_not(None), LessonVisit.id.is_not(None)),
                )
            ).label("started"),
            _count_if(
                and_(
                    learning,
                    or_(completed, and_(totals.c.total > 0, done.c.done * 2 >= totals.c.total)),
                )
            ).label("halfway"),
            _count_if(completed).label("completed"),
            _count_if(and_(completed, valid.c.enrollment_id.is_not(None))).label("certified"),
            _count_if(Enrollment.state.in_((S.PENDING.value, S.ENROLLED.value))).label("seats"),
            _count_if(Enrollment.state == S.WAITLISTED.value).label("waiting"),
        )
        .outerjoin(done, done.c.enrollment_id == Enrollment.id)
        .outerjoin(LessonVisit, LessonVisit.enrollment_id == Enrollment.id)
        .outerjoin(totals, totals.c.course_id == Enrollment.course_id)
        .outerjoin(valid, valid.c.enrollment_id == Enrollment.id)
        .group_by(Enrollment.run_id)
        .subquery("per_run")
    )
    zero = 0
    query = (
        select(
            CourseRun.id,
            CourseRun.course_id,
            Course.institution_id,
            month_of(CourseRun.start_at),
            CourseRun.capacity,
            *(
                func.coalesce(per_run.c[name], zero)
                for name in (
                    "enrolled",
                    "started",
                    "halfway",
                    "completed",
                    "certified",
                    "seats",
                    "waiting",
                )
            ),
        )
        .join(Course, Course.id == CourseRun.course_id)
        .outerjoin(per_run, per_run.c.run_id == CourseRun.id)
    )
    session.execute(
        insert(InsightRun).from_select(
            [
                "run_id",
                "course_id",
                "institution_id",
                "start_month",
                "capacity",
                "enrolled",
                "started",
                "halfway",
                "completed",
                "certified",
                "seats_taken",
                "waiting",
            ],
            query,
        )
    )


def _build_snapshot(now: datetime) -> InsightSnapshot:
    region = region_of_country(Account.country)
    row = session.execute(
        select(
            func.count(func.distinct(Enrollment.account_id)),
            func.count(func.distinct(case((region == "asia", Enrollment.account_id)))),
            func.count(func.distinct(case((region == "europe", Enrollment.account_id)))),
            func.count(func.distinct(Account.country)),
        )
        .join(Account, Account.id == Enrollment.account_id)
        .where(Enrollment.state.in_(LEARNING))
    ).one()
    snapshot = session.get(InsightSnapshot, 1)
    if snapshot is None:
        snapshot = InsightSnapshot(id=1, refreshed_at=now)
        session.add(snapshot)
    snapshot.refreshed_at = now
    snapshot.learners, snapshot.asia_learners, snapshot.europe_learners = row[0], row[1], row[2]
    snapshot.learner_countries = row[3]
    return snapshot


def snapshot() -> InsightSnapshot | None:
    """The last rebuild's snapshot, or None before the first."""
    return session.get(InsightSnapshot, 1)


def ensure_fresh(now: datetime | None = None) -> InsightSnapshot:
    """The snapshot, rebuilt here when there is none yet; when it is older than
    ``MOOC_INSIGHTS_MAX_AGE`` seconds a background rebuild is asked for (once per period) and
    the figures at hand are used meanwhile."""
    from mooc_portal.jobs.services import enqueue

    now = now or utcnow()
    current = snapshot()
    if current is None:
        return refresh_insights(now)
    max_age = float(current_app.config["MOOC_INSIGHTS_MAX_AGE"])
    if now - current.refreshed_at > timedelta(seconds=max_age):
        period = int(now.timestamp() // max(max_age, 1))
        enqueue("insights", {}, dedupe_key=f"insights-refresh:{period}", topic="insights")
    return current


def refresh_job(_payload: dict[str, Any]) -> None:
    """The ``insights`` job: rebuild the summaries (committed with the job's row)."""
    refresh_insights()
