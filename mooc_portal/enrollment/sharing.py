"""What a partner institution may see of a learner: the consent given before enrolling.

The institution whose course a learner joins always receives the learner's name and e-mail
address (it runs the course and decides on the enrolment). Country, progress and completion
are optional: the learner agrees to each, or not, before the first enrolment in one of the
institution's courses, and may change the choice later. Administrators of the portal (the
controller's own staff) see every field.

This is the side the staff's reviews read (enrolments, progress); the learner's side (giving
and changing the choice, seeing it) is ``privacy.sharing``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, exists, func, or_, select

from mooc_portal.accounts.models import Account
from mooc_portal.catalog.models import Course, CourseRun
from mooc_portal.db import session
from mooc_portal.enrollment.models import Enrollment, EnrollmentState, SharingConsent

REQUIRED_FIELDS = ("name", "email")
"""Always received by the institution running the course (it needs them to run it)."""

OPTIONAL_FIELDS = ("country", "progress", "completion")
"""Received only when the learner agrees."""


@dataclass(frozen=True)
class Sharing:
    """The fields one institution may see of one learner."""

    country: bool = False
    progress: bool = False
    completion: bool = False

    def shares(self, field: str) -> bool:
        return field in REQUIRED_FIELDS or bool(getattr(self, field, False))

    @property
    def fields(self) -> list[str]:
        return [f for f in (*REQUIRED_FIELDS, *OPTIONAL_FIELDS) if self.shares(f)]


EVERYTHING = Sharing(country=True, progress=True, completion=True)
REQUIRED_ONLY = Sharing()


def _in_force(account_id: int, institution_id: int) -> SharingConsent | None:
    return session.scalar(
        select(SharingConsent)
        .where(
            SharingConsent.account_id == account_id,
            SharingConsent.institution_id == institution_id,
        )
        .order_by(SharingConsent.id.desc())
        .limit(1)
    )


def consent_for(account: Account, institution_id: int) -> SharingConsent | None:
    """The consent in force between a learner and an institution (None: never asked)."""
    return _in_force(account.id, institution_id)


def run_institution_id(run: CourseRun) -> int:
    return session.scalars(select(Course.institution_id).where(Course.id == run.course_id)).one()


def needs_consent(account: Account, run: CourseRun) -> bool:
    """Whether the learner must see what the run's institution receives before enrolling."""
    return consent_for(account, run_institution_id(run)) is None


def sharing_of(consent: SharingConsent | None) -> Sharing:
    if consent is None:
        return REQUIRED_ONLY
    return Sharing(consent.share_country, consent.share_progress, consent.share_completion)


def sharing_for(enrollments: Iterable[Enrollment], *, scope: str) -> dict[int, Sharing]:
    """Enrolment id -> the fields the viewer may see of its learner, in one query.

    ``scope`` ``admin``: everything (the controller's administrators); ``partner``: what the
    learner agreed to share with the institution of the enrolment's course.
    """
    enrollments = list(enrollments)
    if scope == "admin":
        return {e.id: EVERYTHING for e in enrollments}
    if not enrollments:
        return {}
    institution_of = dict(
        session.execute(
            select(Course.id, Course.institution_id).where(
                Course.id.in_({e.course_id for e in enrollments})
            )
        ).all()
    )
    latest = (
        select(func.max(SharingConsent.id))
        .where(SharingConsent.account_id.in_({e.account_id for e in enrollments}))
        .group_by(SharingConsent.account_id, SharingConsent.institution_id)
    )
    consents = {
        (c.account_id, c.institution_id): c
        for c in session.scalars(select(SharingConsent).where(SharingConsent.id.in_(latest)))
    }
    return {
        e.id: sharing_of(consents.get((e.account_id, institution_of[e.course_id])))
        for e in enrollments
    }


def shared_condition(field: str) -> ColumnElement[bool]:
    """SQL: the enrolment's learner agreed to share ``field`` with the course's institution.

    For queries over ``Enrollment`` joined with ``Course`` (partner review filters), so that a
    filter cannot reveal a field the learner withheld.
    """
    column = {
        "country": SharingConsent.share_country,
        "progress": SharingConsent.share_progress,
        "completion": SharingConsent.share_completion,
    }[field]
    newer = SharingConsent.__table__.alias("newer")
    return exists(
        select(SharingConsent.id).where(
            SharingConsent.account_id == Enrollment.account_id,
            SharingConsent.institution_id == Course.institution_id,
            column.is_(True),
            ~exists(
                select(newer.c.id).where(
                    newer.c.account_id == SharingConsent.account_id,
                    newer.c.institution_id == SharingConsent.institution_id,
                    newer.c.id > SharingConsent.id,
                )
            ),
        )
    )


def partner_state_condition(state: str) -> ColumnElement[bool]:
    """SQL for a partner's state filter: a completion the learner did not share is "enrolled"."""
    completed = Enrollment.state == EnrollmentState.COMPLETED
    if state == EnrollmentState.COMPLETED:
        return and_(completed, shared_condition("completion"))
    if state == EnrollmentState.ENROLLED:
        return or_(
            Enrollment.state == EnrollmentState.ENROLLED,
            and_(completed, ~shared_condition("completion")),
        )
    return Enrollment.state == state


def visible_state(enrollment: Enrollment, sharing: Sharing) -> EnrollmentState:
    """The state a viewer with ``sharing`` sees: a withheld completion shows as enrolled."""
    if enrollment.state == EnrollmentState.COMPLETED and not sharing.completion:
        return EnrollmentState.ENROLLED
    return enrollment.state_enum
