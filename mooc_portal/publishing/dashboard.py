"""What a partner institution's dashboard lists, each list one page at a time.

Every list is a :class:`~mooc_portal.pagination.Page` with a prefix of its own (``?drafts_page=``,
``?runs_page=``...), so paging one leaves the others where they are; the whole dashboard costs
the same number of queries whatever the institution's size.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import contains_eager

from mooc_portal.catalog.models import Course, CourseRun, CourseStatus
from mooc_portal.db import session, utcnow
from mooc_portal.enrollment import services as enrolment
from mooc_portal.enrollment.models import Enrollment, EnrollmentState
from mooc_portal.institutions.models import Institution
from mooc_portal.pagination import Page, PageRequest, paginate
from mooc_portal.publishing.models import ReviewEvent

# The query-string prefix of each list of courses by status.
STATUS_PREFIXES = {
    CourseStatus.DRAFT.value: "drafts_",
    CourseStatus.IN_REVIEW.value: "in_review_",
    CourseStatus.PUBLISHED.value: "published_",
    CourseStatus.WITHDRAWN.value: "withdrawn_",
}
PENDING_PREFIX = "pending_"
REQUESTS_PREFIX = "requests_"
RUNS_PREFIX = "runs_"


@dataclass(frozen=True)
class Dashboard:
    """The lists of one institution's dashboard.

    ``pending`` pages runs with enrolments awaiting approval (``pending_counts`` maps a run's
    id to how many); ``change_requests`` pages draft courses a reviewer sent back
    (``change_comments`` maps a course's id to the reviewer's last request); ``by_status``
    pages the courses of each status; ``upcoming`` pages the runs not started yet of courses
    still offered.
    """

    pending: Page[CourseRun]
    pending_counts: dict[int, int]
    change_requests: Page[Course]
    change_comments: dict[int, ReviewEvent]
    by_status: dict[str, Page[Course]]
    upcoming: Page[CourseRun]


def _requested_changes(course_id: Any) -> Any:
    return and_(ReviewEvent.course_id == course_id, ReviewEvent.action == "request_changes")


def institution_dashboard(
    institution: Institution, page_for: Callable[[str], PageRequest]
) -> Dashboard:
    """The dashboard's lists for ``institution``; ``page_for(prefix)`` gives the page each list
    shows (the caller has checked that the actor is the institution's staff)."""
    now = utcnow()
    runs = (
        select(CourseRun)
        .join(Course, Course.id == CourseRun.course_id)
        .where(Course.institution_id == institution.id, CourseRun.cancelled.is_(False))
        .options(contains_eager(CourseRun.course))
    )

    # Enrolments waiting for a decision, run by run: what a manager comes to the dashboard for.
    awaiting = exists().where(
        Enrollment.run_id == CourseRun.id, Enrollment.state == EnrollmentState.PENDING
    )
    pending = paginate(
        runs.where(awaiting).order_by(
            CourseRun.start_at.is_(None), CourseRun.start_at, CourseRun.id
        ),
        page_for(PENDING_PREFIX),
    )
    figures = enrolment.run_figures(pending.items)

    # Runs that have not started yet, of courses still offered: a withdrawn course's runs and
    # runs already under way are not "coming up".
    upcoming = paginate(
        runs.where(CourseRun.start_at > now, Course.status != CourseStatus.WITHDRAWN).order_by(
            CourseRun.start_at, CourseRun.id
        ),
        page_for(RUNS_PREFIX),
    )

    courses = select(Course).where(Course.institution_id == institution.id)
    by_status = {
        status: paginate(
            courses.where(Course.status == status).order_by(Course.code, Course.id),
            page_for(prefix),
        )
        for status, prefix in STATUS_PREFIXES.items()
    }

    # Drafts a reviewer sent back, with the reviewer's last request.
    change_requests = paginate(
        courses.where(
            Course.status == CourseStatus.DRAFT, exists().where(_requested_changes(Course.id))
        ).order_by(Course.code, Course.id),
        page_for(REQUESTS_PREFIX),
    )
    comments: dict[int, ReviewEvent] = {}
    if change_requests.items:
        latest = (
            select(func.max(ReviewEvent.id))
            .where(
                ReviewEvent.course_id.in_([course.id for course in change_requests.items]),
                ReviewEvent.action == "request_changes",
            )
            .group_by(ReviewEvent.course_id)
        )
        for event in session.scalars(select(ReviewEvent).where(ReviewEvent.id.in_(latest))):
            comments[event.course_id] = event

    return Dashboard(
        pending=pending,
        pending_counts={
            run.id: figures[run.id].count(EnrollmentState.PENDING) for run in pending.items
        },
        change_requests=change_requests,
        change_comments=comments,
        by_status=by_status,
        upcoming=upcoming,
    )
