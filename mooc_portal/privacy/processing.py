"""The records of processing (GDPR Art. 30), built from the same settings the portal applies.

The administrators' page and the generated parts of the privacy notice both read
:func:`processing_activities`, so what the consortium tells a regulator or a learner about
retention and recipients is what the retention command and the partner pages actually do.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import select

from mooc_portal.accounts.models import Account
from mooc_portal.enrollment.sharing import OPTIONAL_FIELDS
from mooc_portal.errors import NotPermitted
from mooc_portal.pagination import Page, PageRequest, paginate
from mooc_portal.privacy.models import PrivacyRequest
from mooc_portal.privacy.sharing import FIELD_LABELS, FIELD_PURPOSES


@dataclass(frozen=True)
class Activity:
    """One processing activity: what, why, on which legal basis, to whom, for how long."""

    name: str
    data: str
    purpose: str
    legal_basis: str
    recipients: str
    retention: str


@dataclass(frozen=True)
class Cookie:
    name: str
    purpose: str
    lifetime: str


def _days(key: str) -> str:
    count = int(current_app.config[key])
    return str(ngettext("%(num)d day", "%(num)d days", count))


def processing_activities() -> list[Activity]:
    """Every processing activity of the portal, with the retention currently configured."""
    return [
        Activity(
            name=str(_l("Learner accounts")),
            data=str(
                _l(
                    "Name, e-mail address, password (as a salted hash), country, interface "
                    "language, time zone, time of the last log-in."
                )
            ),
            purpose=str(_l("To let learners enrol in courses and follow their progress.")),
            legal_basis=str(_l("Contract (GDPR Art. 6(1)(b)).")),
            recipients=str(_l("The portal's administrators.")),
            retention=str(
                _l(
                    "Until the learner deletes the account. Accounts whose e-mail address is "
                    "never verified: %(days)s after registration.",
                    days=_days("MOOC_RETENTION_UNVERIFIED_ACCOUNT_DAYS"),
                )
            ),
        ),
        Activity(
            name=str(_l("Enrolments and progress")),
            data=str(
                _l(
                    "Enrolments with their history, lessons completed, last lesson opened, "
                    "completion."
                )
            ),
            purpose=str(_l("To run the course and to issue certificates of completion.")),
            legal_basis=str(
                _l(
                    "Contract (Art. 6(1)(b)); sharing the optional fields with the institution: "
                    "consent (Art. 6(1)(a))."
                )
            ),
            recipients=str(
                _l(
                    "The partner institution that runs the course: name and e-mail address; "
                    "country, progress and completion only when the learner agreed."
                )
            ),
            retention=str(
                _l(
                    "While the account exists. Withdrawn or rejected enrolments: %(days)s after "
                    "the end of the run, then kept only as anonymous counts.",
                    days=_days("MOOC_RETENTION_CLOSED_ENROLMENT_DAYS"),
                )
            ),
        ),
        Activity(
            name=str(_l("Certificates")),
            data=str(_l("Name printed on the certificate, course, institution, dates.")),
            purpose=str(_l("To let anyone with the certificate's code verify it.")),
            legal_basis=str(_l("Contract (Art. 6(1)(b)).")),
            recipients=str(_l("Whoever the learner gives the verification code to.")),
            retention=str(
                _l(
                    "Until the learner deletes the account; the learner then chooses to keep "
                    "the certificate verifiable under that name or to have it revoked."
                )
            ),
        ),
        Activity(
            name=str(_l("Protection against password guessing")),
            data=str(_l("E-mail address tried, network address, time of failed log-ins.")),
            purpose=str(_l("To slow down attempts to guess passwords.")),
            legal_basis=str(_l("Legitimate interest in security (Art. 6(1)(f)).")),
            recipients=str(_l("None.")),
            retention=_days("MOOC_RETENTION_LOGIN_ATTEMPT_DAYS"),
        ),
        Activity(
            name=str(_l("Audit log")),
            data=str(
                _l(
                    "Who changed a course, run, institution or staff list, and who exported "
                    "learners' personal data (e-mail address of the actor, time, number of "
                    "learners)."
                )
            ),
            purpose=str(_l("Accountability of partner staff and administrators.")),
            legal_basis=str(_l("Legitimate interest and accountability (Art. 5(2), 6(1)(f)).")),
            recipients=str(_l("The portal's administrators.")),
            retention=_days("MOOC_RETENTION_AUDIT_DAYS"),
        ),
        Activity(
            name=str(_l("Data-protection requests")),
            data=str(
                _l("Kind of request (access, erasure), dates; after an erasure only a pseudonym.")
            ),
            purpose=str(_l("To show that requests were answered, and when.")),
            legal_basis=str(_l("Legal obligation (Art. 6(1)(c)).")),
            recipients=str(_l("The portal's administrators; a supervisory authority on request.")),
            retention=str(_l("Kept; it names no one after an erasure.")),
        ),
    ]


def cookies() -> list[Cookie]:
    """The only cookies the portal sets: none for tracking, none from third parties."""
    session_name = current_app.config.get("SESSION_COOKIE_NAME", "session")
    return [
        Cookie(
            session_name,
            str(
                _l(
                    "Keeps you logged in and remembers the interface language you chose; "
                    "protects forms against forgery."
                )
            ),
            str(_l("Until you close the browser.")),
        ),
        Cookie(
            current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token"),
            str(_l('Only when you tick "Remember me" at log-in: keeps you logged in.')),
            str(_l("365 days, or until you log out.")),
        ),
        Cookie(
            "mooc_tz",
            str(_l("Your browser's time zone, so dates are shown in your local time.")),
            str(_l("365 days.")),
        ),
    ]


def handled_requests(actor: Account | None, page: PageRequest) -> Page[PrivacyRequest]:
    """One page of the handled access and erasure requests, newest first (administrators
    only).

    Raises:
        NotPermitted: ``actor`` is not an administrator.
    """
    if actor is None or not actor.is_admin:
        raise NotPermitted(_("Only administrators may read the handled requests."))
    return paginate(
        select(PrivacyRequest).order_by(
            PrivacyRequest.received_at.desc(), PrivacyRequest.id.desc()
        ),
        page,
    )


def shared_fields() -> list[tuple[str, str, bool]]:
    """(field label, purpose, optional) for what a partner institution receives."""
    return [
        (str(FIELD_LABELS[name]), str(FIELD_PURPOSES[name]), name in OPTIONAL_FIELDS)
        for name in FIELD_LABELS
    ]
