"""What a partner institution may see of a learner: the consent given before enrolling.

The learner's side: giving and changing the choice, and seeing it. What the staff's reviews
read of it (``Sharing``, ``sharing_for``...) is ``enrollment.sharing``.

The institution whose course a learner joins always receives the learner's name and e-mail
address (it runs the course and decides on the enrolment). Country, progress and completion
are optional: the learner agrees to each, or not, before the first enrolment in one of the
institution's courses, and may change the choice later. Administrators of the portal (the
controller's own staff) see every field.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from mooc_portal.accounts.models import Account
from mooc_portal.catalog.models import CourseRun
from mooc_portal.db import session
from mooc_portal.enrollment import services as enrolment
from mooc_portal.enrollment.models import Enrollment, SharingConsent
from mooc_portal.enrollment.sharing import run_institution_id
from mooc_portal.institutions.models import Institution

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
