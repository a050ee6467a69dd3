"""The review workflow: a state machine over ``Course.status``.

::

    draft --submit--> in_review --approve--> published --withdraw--> withdrawn
      ^                  |                                              |
      +-request_changes--+   <------------------ resubmit --------------+

``submit`` and ``resubmit`` belong to the course's institution staff (editors and managers);
``approve`` and ``request_changes`` (with a comment the partner sees) to administrators;
``withdraw`` to the institution's managers and to administrators. Any other move, or a move by
another role, raises NotPermitted (role) or Conflict (state).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from mooc_portal.accounts.models import Account, StaffRole
from mooc_portal.appctx import current_flask_app
from mooc_portal.audit.services import record_change
from mooc_portal.catalog.models import Course, CourseStatus, Pace
from mooc_portal.catalog.search import index_course
from mooc_portal.db import session, utcnow
from mooc_portal.errors import Conflict, InvalidInput, NotPermitted
from mooc_portal.pagination import Page, PageRequest, paginate
from mooc_portal.publishing.models import ReviewEvent
from mooc_portal.publishing.permissions import require_account, require_course_editor
from mooc_portal.signals import course_published


def _is_staff(actor: Account, course: Course) -> bool:
    return actor.role_in(course.institution_id) is not None


def _is_manager(actor: Account, course: Course) -> bool:
    return actor.role_in(course.institution_id) == StaffRole.MANAGER


def _is_admin(actor: Account, course: Course) -> bool:
    return actor.is_admin


@dataclass(frozen=True)
class Transition:
    action: str
    source: CourseStatus
    target: CourseStatus
    allowed: Callable[[Account, Course], bool]
    needs_comment: bool = False


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition("submit", CourseStatus.DRAFT, CourseStatus.IN_REVIEW, _is_staff),
        Transition("approve", CourseStatus.IN_REVIEW, CourseStatus.PUBLISHED, _is_admin),
        Transition(
            "request_changes",
            CourseStatus.IN_REVIEW,
            CourseStatus.DRAFT,
            _is_admin,
            needs_comment=True,
        ),
        Transition(
            "withdraw",
            CourseStatus.PUBLISHED,
            CourseStatus.WITHDRAWN,
            lambda actor, course: actor.is_admin or _is_manager(actor, course),
        ),
        Transition("resubmit", CourseStatus.WITHDRAWN, CourseStatus.IN_REVIEW, _is_staff),
    )
}

ACTION_LABELS = {
    "submit": _l("Submit for review"),
    "approve": _l("Approve and publish"),
    "request_changes": _l("Request changes"),
    "withdraw": _l("Withdraw from the catalog"),
    "resubmit": _l("Submit again for review"),
}


def allowed_actions(actor: Account | None, course: Course) -> list[str]:
    """The moves the actor may make on the course now (for showing buttons)."""
    if actor is None:
        return []
    return [
        t.action
        for t in TRANSITIONS.values()
        if t.source == course.status and t.allowed(actor, course)
    ]


def transition_course(
    actor: Account | None, course: Course, action: str, *, comment: str | None = None
) -> Course:
    """Make one move of the workflow; writes the review history and the audit log.

    On publication sets ``published_at`` and sends ``course_published``.
    """
    actor = require_account(actor)
    require_course_editor(actor, course)  # NotFound for other staff; refuses federated courses
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise InvalidInput(_("Unknown action."), field="action")
    if not transition.allowed(actor, course):
        raise NotPermitted(_("You may not do this to this course."))
    if course.status != transition.source:
        raise Conflict(_("This course is not in a state that allows this."))
    comment = (comment or "").strip() or None
    if transition.needs_comment and not comment:
        raise InvalidInput(_("Tell the partner what to change."), field="comment")
    before = course.status
    course.status = transition.target
    if transition.target == CourseStatus.PUBLISHED:
        course.published_at = utcnow()
    session.add(
        ReviewEvent(
            course=course,
            actor_id=actor.id,
            action=action,
            from_status=before,
            to_status=transition.target,
            comment=comment,
        )
    )
    session.flush()
    record_change(
        actor,
        action,
        "course",
        course.id,
        before={"status": str(before)},
        after={"status": str(transition.target), "comment": comment},
        institution_id=course.institution_id,
        summary=course.code,
    )
    index_course(course)
    if transition.target == CourseStatus.PUBLISHED:
        course_published.send(
            current_flask_app(),
            course=course,
            actor=actor,
        )
    return course


def review_history(course: Course) -> list[ReviewEvent]:
    return list(
        session.scalars(
            select(ReviewEvent)
            .where(ReviewEvent.course_id == course.id)
            .order_by(ReviewEvent.at.desc(), ReviewEvent.id.desc())
        )
    )


def latest_change_request(course: Course) -> ReviewEvent | None:
    """The reviewer's last "changes requested" comment, while the course is back in draft."""
    if course.status != CourseStatus.DRAFT:
        return None
    return session.scalar(
        select(ReviewEvent)
        .where(ReviewEvent.course_id == course.id, ReviewEvent.action == "request_changes")
        .order_by(ReviewEvent.at.desc(), ReviewEvent.id.desc())
        .limit(1)
    )


@dataclass(frozen=True)
class Criterion:
    label: str
    met: bool


def quality_checklist(course: Course) -> list[Criterion]:
    """The initiative's quality criteria, checked against what the course states."""
    texts = course.translations
    return [
        Criterion(
            _("Learning outcomes stated"), any((t.learning_outcomes or "").strip() for t in texts)
        ),
        Criterion(_("Teaching language declared"), bool(course.teaching_languages)),
        Criterion(
            _("Effort and length stated"),
            course.effort_hours is not None and course.length_weeks is not None,
        ),
        Criterion(
            _("At least one run, or self-paced"),
            course.pace == Pace.SELF_PACED or any(not r.cancelled for r in course.runs),
        ),
        Criterion(
            _("Accessibility statement for the course materials"),
            bool((course.accessibility_statement or "").strip()),
        ),
    ]


def review_queue(actor: Account | None, page: PageRequest | None = None) -> Page[Course]:
    """A page of the courses waiting for review, oldest submission first (administrators)."""
    actor = require_account(actor)
    if not actor.is_admin:
        raise NotPermitted(_("Only administrators may review courses."))
    statement = (
        select(Course)
        .where(Course.status == CourseStatus.IN_REVIEW)
        .order_by(Course.modified_at, Course.id)
    )
    return paginate(statement, page or PageRequest())
