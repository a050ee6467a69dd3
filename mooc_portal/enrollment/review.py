"""The review pages' queries: enrolments an administrator or partner manager may see, as CSV."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import Select, select
from sqlalchemy.orm import contains_eager

from mooc_portal.accounts.models import Account
from mooc_portal.catalog.models import Course, CourseRun
from mooc_portal.csv_export import write_csv
from mooc_portal.db import session
from mooc_portal.enrollment import sharing
from mooc_portal.enrollment.models import Enrollment, EnrollmentState
from mooc_portal.enrollment.services import WITH_COURSE, managed_institution_ids, parse_uuid
from mooc_portal.errors import InvalidInput, NotPermitted


@dataclass
class ReviewFilter:
    """The filters of the review pages; every field optional."""

    course: str | None = None  # course slug
    run: str | None = None  # run uuid
    state: str | None = None
    country: str | None = None  # the learner's country
    since: datetime | None = None
    until: datetime | None = None


def review_query(actor: Account, filters: ReviewFilter, *, scope: str) -> Select[Enrollment]:
    """The enrolments ``actor`` may review, filtered, newest first.

    ``scope`` is ``admin`` (every run; administrators only) or ``partner`` (the runs of the
    institutions the actor manages).
    """
    statement = (
        select(Enrollment)
        .options(WITH_COURSE)
        .join(Enrollment.run)
        .join(Course, Course.id == Enrollment.course_id)
        .join(Account, Account.id == Enrollment.account_id)
    )
    if scope == "admin":
        if not actor.is_admin:
            raise NotPermitted(_("Only administrators may review every enrolment."))
    else:
        institutions = managed_institution_ids(actor)
        if not institutions:
            raise NotPermitted(_("You manage no partner institution."))
        statement = statement.where(Course.institution_id.in_(institutions))
    if filters.course:
        statement = statement.where(Course.slug == filters.course)
    if filters.run:
        key = parse_uuid(filters.run)
        if key is None:
            raise InvalidInput(_("No such course run."), field="run")
        statement = statement.where(CourseRun.uuid == key)
    if filters.state:
        if filters.state not in {s.value for s in EnrollmentState}:
            raise InvalidInput(_("Unknown state."), field="state")
        if scope == "admin":
            statement = statement.where(Enrollment.state == filters.state)
        else:
            # A completion the learner did not share is "enrolled" to the partner.
            statement = statement.where(sharing.partner_state_condition(filters.state))
    if filters.country:
        statement = statement.where(Account.country == filters.country.upper())
        if scope != "admin":
            # Filtering by a country the learner withheld would reveal it.
            statement = statement.where(sharing.shared_condition("country"))
    if filters.since:
        statement = statement.where(Enrollment.created_at >= filters.since)
    if filters.until:
        statement = statement.where(Enrollment.created_at < filters.until)
    return statement.order_by(Enrollment.created_at.desc(), Enrollment.id.desc())


def reviewable_runs(actor: Account, *, scope: str) -> list[CourseRun]:
    """The runs with enrolments or a capacity that ``actor`` manages in ``scope``."""
    # The page names every run by its course's title: courses and their texts come with the
    # runs, not one query per run.
    statement = (
        select(CourseRun)
        .join(CourseRun.course)
        .options(contains_eager(CourseRun.course).selectinload(Course.translations))
    )
    if scope == "admin":
        if not actor.is_admin:
            raise NotPermitted(_("Only administrators may review every enrolment."))
    else:
        statement = statement.where(Course.institution_id.in_(managed_institution_ids(actor)))
    with_enrolments = select(Enrollment.run_id)
    statement = statement.where(CourseRun.id.in_(with_enrolments))
    return list(session.scalars(statement.order_by(CourseRun.start_at, CourseRun.id)))


CSV_COLUMNS = (
    "enrolment",
    "course",
    "run",
    "run_start",
    "learner",
    "email",
    "country",
    "state",
    "reason",
    "enrolled_at",
    "changed_at",
)


def export_csv(enrollments: Iterable[Enrollment], *, scope: str) -> str:
    """The enrolments as CSV with a header row (UTC timestamps in ISO 8601).

    In the ``partner`` scope a field the learner did not agree to share with the institution
    is left empty, and a completion they did not share shows as enrolled.
    """
    enrollments = list(enrollments)
    shared = sharing.sharing_for(enrollments, scope=scope)
    return write_csv(
        CSV_COLUMNS,
        (
            [
                e.uuid,
                e.run.course.code,
                e.run.uuid,
                e.run.start_at.isoformat() if e.run.start_at else "",
                e.account.shown_name,
                e.account.email,
                (e.account.country or "") if shared[e.id].country else "",
                sharing.visible_state(e, shared[e.id]),
                e.reason or "",
                e.created_at.isoformat(),
                e.modified_at.isoformat(),
            ]
            for e in enrollments
        ),
    )
