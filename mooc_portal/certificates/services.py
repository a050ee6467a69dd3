"""Issuing, verifying and revoking certificates; their Open Badges 3.0 form."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from flask import current_app, has_request_context, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from mooc_portal.accounts.models import Account
from mooc_portal.catalog.models import Course, Credential
from mooc_portal.certificates.models import Certificate
from mooc_portal.db import session, utcnow
from mooc_portal.enrollment.models import Enrollment, EnrollmentState
from mooc_portal.errors import Conflict, InvalidInput, NotFound, NotPermitted
from mooc_portal.i18n import primary_subtag
from mooc_portal.mail import send_mail
from mooc_portal.signals import certificate_issued, enrolment_changed
from mooc_portal.urls import external_url

OB_CONTEXT = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]
"""Open Badges 3.0 (3.0.3) on the Verifiable Credentials Data Model 2.0."""


def issue_certificate(enrollment: Enrollment) -> Certificate | None:
    """The certificate of a completed enrolment, issued once; None when the course has none."""
    if enrollment.state != EnrollmentState.COMPLETED:
        raise Conflict(_("Only a completed enrolment earns a certificate."))
    existing = session.scalar(select(Certificate).where(Certificate.enrollment_id == enrollment.id))
    if existing is not None:
        return existing
    course = session.get_one(Course, enrollment.course_id)
    if course.credential == Credential.NONE:
        return None
    run = enrollment.run
    certificate = Certificate(
        enrollment=enrollment,
        code=secrets.token_urlsafe(24),
        learner_name=enrollment.account.display_name,
        course_title=course.text("title", course.original_language).text,
        institution_name=course.institution.text("name", course.institution.original_language).text,
        run_start_at=run.start_at,
        run_end_at=run.end_at,
        completed_at=enrollment.decided_at or utcnow(),
    )
    session.add(certificate)
    session.flush()
    _mail_certificate(certificate)
    certificate_issued.send(current_app._get_current_object(), certificate=certificate)
    return certificate


def _mail_certificate(certificate: Certificate) -> None:
    """Tell the learner, in their language, once per certificate (the outbox dedupes it)."""
    account = certificate.enrollment.account
    language = account.preferred_language
    if language not in current_app.config["MOOC_LANGUAGES"]:
        language = current_app.config["MOOC_DEFAULT_LANGUAGE"]
    with force_locale(language):
        subject = _("Your certificate for %(course)s", course=certificate.course_title)
        body = _(
            "Hello %(name)s,\n\ncongratulations: you completed %(course)s. Your certificate "
            "and its public verification page:\n\n%(link)s\n",
            name=account.display_name,
            course=certificate.course_title,
            link=_certificate_link(certificate.code),
        )
    send_mail(account.email, subject, body, dedupe_key=f"certificate:{certificate.id}")


def _certificate_link(code: str) -> str:
    base = current_app.config["MOOC_PUBLIC_URL"]
    if base:
        with current_app.test_request_context():
            path = url_for("portal.certificates.certificate_detail", code=code)
        return base.rstrip("/") + path
    if has_request_context():
        return url_for("portal.certificates.certificate_detail", code=code, _external=True)
    with current_app.test_request_context():
        return url_for("portal.certificates.certificate_detail", code=code)


def _on_enrolment_changed(sender: Any, enrollment: Enrollment, **_kwargs: Any) -> None:
    if enrollment.state == EnrollmentState.COMPLETED:
        issue_certificate(enrollment)


enrolment_changed.connect(_on_enrolment_changed)


def get_certificate(code: str) -> Certificate:
    certificate = session.scalar(select(Certificate).where(Certificate.code == code))
    if certificate is None:
        raise NotFound(_("No certificate has this code."))
    return certificate


def revoke_certificate(certificate: Certificate, reason: str, *, actor: Account) -> Certificate:
    """Administrators only; the public page then says it was revoked, and when."""
    if not actor.is_admin:
        raise NotPermitted(_("Only administrators may revoke a certificate."))
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Give the reason for the revocation."), field="reason")
    if certificate.revoked_at is not None:
        raise Conflict(_("This certificate is already revoked."))
    certificate.revoked_at = utcnow()
    certificate.revoke_reason = reason
    certificate.revoked_by_id = actor.id
    session.flush()
    return certificate


def credential_language(course: Course) -> str:
    """The language a course's credential is written in, whoever looks at it.

    The course's original language (its title and summary are in it) when the portal's
    interface speaks it, else English (the language of the portal's source strings).
    """
    language = primary_subtag(course.original_language)
    return language if language in current_app.config["MOOC_LANGUAGES"] else "en"


def open_badge(certificate: Certificate) -> dict[str, Any]:
    """The certificate as an Open Badges 3.0 ``OpenBadgeCredential`` (unsigned).

    VC Data Model 2.0 context; the issue date is given as ``validFrom`` (the 2.0 name) and
    also as ``issuanceDate`` (the 1.1 name, which older verifiers and the portal's issue read).
    The text does not depend on the viewer's interface language: names are those copied at
    issue (the course's original language), the description is the course's summary in that
    language, and the criteria are written in :func:`credential_language`. A revoked
    certificate has no credential (see :func:`revocation_notice`).
    """
    enrollment = certificate.enrollment
    course = session.get_one(Course, enrollment.course_id)
    with force_locale(credential_language(course)):
        narrative = _("Completed every lesson of %(course)s.", course=certificate.course_title)
    summary = course.text("summary", course.original_language).text
    course_url = external_url("portal.catalog.course_detail", slug=course.slug)
    institution_url = external_url(
        "portal.institutions.institution_detail", slug=course.institution.slug
    )
    salt = certificate.uuid.hex
    identity_hash = certificate.holder_identity_hash or holder_identity_hash(
        certificate, enrollment.account.email
    )
    return {
        "@context": OB_CONTEXT,
        "id": external_url("portal.certificates.certificate_badge", code=certificate.code),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {
            "id": institution_url,
            "type": ["Profile"],
            "name": certificate.institution_name,
        },
        "validFrom": _iso(certificate.issued_at),
        "issuanceDate": _iso(certificate.issued_at),
        "name": certificate.course_title,
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityType": "emailAddress",
                    "hashed": True,
                    "identityHash": identity_hash,
                    "salt": salt,
                }
            ],
            "achievement": {
                "id": course_url,
                "type": ["Achievement"],
                "name": certificate.course_title,
                "description": summary or narrative,
                "criteria": {"narrative": narrative},
            },
        },
    }


def holder_identity_hash(certificate: Certificate, email: str) -> str:
    """The Open Badges identity hash of the holder: SHA-256 of the e-mail address salted with
    the certificate's own identifier (kept when the holder's account is erased)."""
    digest = hashlib.sha256((email + certificate.uuid.hex).encode()).hexdigest()
    return f"sha256${digest}"


def revocation_notice(certificate: Certificate) -> dict[str, Any]:
    """What the credential's address answers once the certificate is revoked: when and why."""
    return {
        "status": 410,
        "message": "This certificate was revoked; it is no longer a valid credential.",
        "id": external_url("portal.certificates.certificate_badge", code=certificate.code),
        "revoked": True,
        "revokedAt": _iso(certificate.revoked_at),
        "revocationReason": certificate.revoke_reason,
    }


def _iso(value: Any) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")
