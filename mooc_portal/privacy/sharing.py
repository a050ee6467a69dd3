"""What a partner institution may see of a learner: the consent given before enrolling.

The institution whose course a learner joins always receives the learner's name and e-mail
address (it runs the course and decides on the enrolment). Country, progress and completion
are optional: the learner agrees to each, or not, before the first enrolment in one of the
institution's courses, and may change the choice later. Administrators of the portal (the
controller's own staff) see every field.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, and_, exists, func, or_, select

from mooc_portal.accounts.models import Account
from mooc_portal.catalog.models import Course, CourseRun
from mooc_portal.db import session
from mooc_portal.enrollment import services as enrolment
from mooc_portal.enrollment.models import Enrollment, EnrollmentState
from mooc_portal.institutions.models import Institution
from mooc_portal.privacy.models import SharingConsent

REQUIRED_FIELDS = ("name", "email")
"""Always received by the institution running the course (it needs them to run it)."""

OPTIONAL_FIELDS = ("country", "progress", "completion")
"""Received only when the learner agrees."""

FIELD_LABELS = {
    "name": _l("Your name"),
    "email": _l("Your e-mail address"),
    "country": _l("Your country"),
    "progress": _l("Your progress (lessons completed, last activity)"),
    "completion": _l("Whether you completed the course"),
}

FIELD_PURPOSES = {
    "name": _l("to know who takes part and to decide on enrolments that need approval"),
    "email": _l("to contact you about the course"),
    "country": _l("for the institution's statistics and reports to its funders"),
    "progress": _l("to support learners and improve the course"),
    "completion": _l("to recognise your completion in its own records"),
}


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


def record_consent(
    account: Account,
    institution_id: int,
    *,
    country: bool,
    progress: bool,
    completion: bool,
    actor: Account,
    enrollment: Enrollment | None = None,
) -> SharingConsent:
    """Record the learner's choice for one institution (a new row; older rows are history)."""
    from mooc_portal.errors import NotPermitted
    from mooc_portal.privacy.notices import current_version

    if actor.id != account.id:
        raise NotPermitted(_("Only the learner decides what is shared about them."))
    consent = SharingConsent(
        account_id=account.id,
        institution_id=institution_id,
        enrollment_id=enrollment.id if enrollment is not None else None,
        share_country=country,
        share_progress=progress,
        share_completion=completion,
        notice_version=current_version(),
    )
    session.add(consent)
    session.flush()
    return consent


def enrol_with_consent(
    run: CourseRun, account: Account, *, country: bool, progress: bool, completion: bool
) -> Enrollment:
    """Enrol after the learner saw what the institution receives; the enrolment keeps the record.

    Raises what :func:`mooc_portal.enrollment.services.enroll` raises; nothing is stored then.
    """
    institution_id = run_institution_id(run)
    enrollment = enrolment.enroll(run, account, actor=account)
    record_consent(
        account,
        institution_id,
        country=country,
        progress=progress,
        completion=completion,
        actor=account,
        enrollment=enrollment,
    )
    return enrollment


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


@dataclass
class InstitutionSharing:
    """One institution a learner shares data with, and the choice in force."""

    institution: Institution
    consent: SharingConsent


def my_sharing(account: Account) -> list[InstitutionSharing]:
    """Every institution the learner has given a choice to, with the choice in force."""
    latest = (
        select(func.max(SharingConsent.id))
        .where(SharingConsent.account_id == account.id)
        .group_by(SharingConsent.institution_id)
    )
    rows = session.execute(
        select(SharingConsent, Institution)
        .join(Institution, Institution.id == SharingConsent.institution_id)
        .where(SharingConsent.id.in_(latest))
        .order_by(Institution.slug)
    )
    return [InstitutionSharing(institution, consent) for consent, institution in rows]


def consent_history(account: Account) -> list[SharingConsent]:
    return list(
        session.scalars(
            select(SharingConsent)
            .where(SharingConsent.account_id == account.id)
            .order_by(SharingConsent.id)
        )
    )


def record_export(
    actor: Account, *, what: str, learners: int, scope: str, institution_id: int | None = None
) -> None:
    """Write an export of learners' personal data to the audit log: who, when, how many."""
    from mooc_portal.audit.services import record_change

    record_change(
        actor,
        "export",
        what,
        None,
        institution_id=institution_id,
        after={"learners": learners, "format": "csv", "scope": scope},
        summary=f"CSV export of {learners} learners' personal data ({what})",
    )
