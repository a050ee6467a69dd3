"""Issuing, verifying and revoking certificates; their Open Badges 3.0 form."""

from __future__ import annotations

import base64
import gzip
import hashlib
import secrets
from datetime import datetime
from typing import Any

from flask import Flask, current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from mooc_portal.accounts.models import Account
from mooc_portal.appctx import current_flask_app
from mooc_portal.catalog.models import Course, Credential
from mooc_portal.certificates import issuer, signing
from mooc_portal.certificates.models import STATUS_LIST_LENGTH, Certificate
from mooc_portal.db import session, utcnow
from mooc_portal.enrollment.models import Enrollment, EnrollmentState
from mooc_portal.errors import Conflict, InvalidInput, NotFound, NotPermitted
from mooc_portal.i18n import FALLBACK_LANGUAGE, localized, primary_subtag
from mooc_portal.mail import mail_language, send_mail
from mooc_portal.openbadges import OB_CONTEXT, VC_V2
from mooc_portal.signals import certificate_issued, enrolment_changed
from mooc_portal.urls import external_url


def issue_certificate(enrollment: Enrollment) -> Certificate | None:
    """The certificate of a completed enrolment, issued once; None when the course has none."""
    if enrollment.state != EnrollmentState.COMPLETED:
        raise Conflict(_("Only a completed enrolment earns a certificate."))
    existing = session.scalar(select(Certificate).where(Certificate.enrollment_id == enrollment.id))
    if existing is not None:
        if existing.revoked_at is not None and existing.revoke_reason == COMPLETION_WITHDRAWN:
            # Completed again after the completion was withdrawn: the same certificate holds.
            existing.revoked_at = existing.revoke_reason = None
            existing.revoke_reason_public = False
            session.flush()
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
        institution_name=credential_institution_name(course),
        run_start_at=run.start_at,
        run_end_at=run.end_at,
        completed_at=enrollment.decided_at or utcnow(),
    )
    session.add(certificate)
    session.flush()
    _mail_certificate(certificate)
    certificate_issued.send(current_flask_app(), certificate=certificate)
    return certificate


def _mail_certificate(certificate: Certificate) -> None:
    """Tell the learner, in their language, once per certificate (the outbox dedupes it)."""
    account = certificate.enrollment.account
    with force_locale(mail_language(account)):
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
    # From MOOC_PUBLIC_URL (never a made-up request: in production TRUSTED_HOSTS refuses one
    # for "localhost", and building the link failed with a 500 in the completing request).
    return external_url("portal.certificates.certificate_detail", code=code)


COMPLETION_WITHDRAWN = "The completion was withdrawn by the platform that reported it."
"""The reason of a certificate revoked because its enrolment was reopened (xAPI ``failed``
or voiding); a new completion reinstates it."""


def _on_enrolment_changed(
    sender: Any, enrollment: Enrollment, previous_state: str | None = None, **_kwargs: Any
) -> None:
    if enrollment.state == EnrollmentState.COMPLETED:
        issue_certificate(enrollment)
    elif previous_state == EnrollmentState.COMPLETED:
        withdraw_certificate(enrollment)


def withdraw_certificate(enrollment: Enrollment) -> Certificate | None:
    """Revoke the certificate of an enrolment that is no longer completed (publicly, with
    :data:`COMPLETION_WITHDRAWN`); None when it had none or it is already revoked."""
    certificate = session.scalar(
        select(Certificate).where(Certificate.enrollment_id == enrollment.id)
    )
    if certificate is None or certificate.revoked_at is not None:
        return None
    certificate.revoked_at = utcnow()
    certificate.revoke_reason = COMPLETION_WITHDRAWN
    certificate.revoke_reason_public = True
    session.flush()
    return certificate


def install_certificate_issuing(app: Flask) -> None:
    """Issue the certificate when one of ``app``'s enrolments is completed (``init_app``)."""
    enrolment_changed.connect(_on_enrolment_changed, sender=app)


def get_certificate(code: str) -> Certificate:
    certificate = session.scalar(select(Certificate).where(Certificate.code == code))
    if certificate is None:
        raise NotFound(_("No certificate has this code."))
    return certificate


def revoke_certificate(
    certificate: Certificate, reason: str, *, actor: Account, reason_public: bool = False
) -> Certificate:
    """Administrators only; the public page and the status list then say it was revoked.

    The reason is public only when ``reason_public``; the learner is told it by mail.
    """
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
    certificate.revoke_reason_public = reason_public
    session.flush()
    _tell_the_learner(certificate)
    return certificate


def _tell_the_learner(certificate: Certificate) -> None:
    account = certificate.enrollment.account
    with force_locale(mail_language(account)):
        subject = _("Your certificate for %(course)s was revoked", course=certificate.course_title)
        body = "\n\n".join(
            [
                _(
                    "Your certificate of completion for %(course)s is no longer valid: anyone "
                    "who checks it now sees that it was revoked.",
                    course=certificate.course_title,
                ),
                _("Reason: %(reason)s", reason=certificate.revoke_reason),
                external_url("portal.certificates.certificate_detail", code=certificate.code),
            ]
        )
    send_mail(account.email, subject, body)


def credential_language(course: Course) -> str:
    """The language a course's credential is written in, whoever looks at it.

    The course's original language (its title and summary are in it) when the portal's
    interface speaks it, else English (the language of the portal's source strings).
    """
    language = primary_subtag(course.original_language)
    return language if language in current_app.config["MOOC_LANGUAGES"] else "en"


def credential_institution_name(course: Course) -> str:
    """The name of the course's institution as a credential states it: English where the
    institution has an English name (read by verifiers and employers anywhere), else in the
    credential's language, else its original name. Copied at issue: a credential already
    issued keeps the name it was signed with."""
    institution = course.institution
    return localized(
        institution.translations, "name", FALLBACK_LANGUAGE, credential_language(course)
    ).text


def recognition_terms(course: Course) -> dict[str, Any]:
    """What the achievement says for its recognition (Open Badges 3.0 ``Achievement`` terms):
    the course code, its ISCED-F field, the ECTS credits, and tags for the workload, the EQF
    and national levels, the form of assessment, the identity check, the quality assurance,
    the prerequisites, stacking and the audience marks. Tags are in English, as the
    vocabulary's values."""
    terms: dict[str, Any] = {"humanCode": course.code}
    if course.subjects:
        terms["fieldOfStudy"] = f"ISCED-F {course.subjects[0].code}"
    if course.credential == Credential.ECTS and course.ects_credits is not None:
        terms["creditsAvailable"] = float(course.ects_credits)
    recognition = course.recognition
    if recognition is None:
        return terms
    tags = [f"assessment:{recognition.assessment}"]
    if recognition.workload_hours is not None:
        tags.append(f"workload-hours:{recognition.workload_hours.normalize():f}")
    if recognition.eqf_level is not None:
        tags.append(f"EQF level {recognition.eqf_level}")
    if recognition.national_framework:
        tags.append(f"national framework: {recognition.national_framework}")
    if recognition.identity_check:
        tags.append("identity-checked")
    if recognition.quality_assurance:
        tags.append(f"quality assured by: {recognition.quality_assurance}")
    if recognition.prerequisites:
        # Open Badges 3.0 has no term for admission requirements: a tag, like the levels.
        tags.append(f"prerequisites: {recognition.prerequisites}")
    if recognition.stackable:
        tags.append("stackable")
    tags.extend(recognition.audiences)
    terms["tag"] = tags
    return terms


def open_badge(certificate: Certificate) -> dict[str, Any]:
    """The certificate as an Open Badges 3.0 ``OpenBadgeCredential``, unsigned.

    VC Data Model 2.0 context; the issue date is ``validFrom`` (``issuanceDate`` is not a 2.0
    term). The issuer is the portal (its ``did:web``, which signs); the course's institution
    is the achievement's creator. ``credentialStatus`` points at the certificate's bit in a
    revocation status list. Every URL is built on ``MOOC_PUBLIC_URL``.
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
        "issuer": issuer_profile(),
        "validFrom": _iso(certificate.issued_at),
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
                "creator": {
                    "id": institution_url,
                    "type": ["Profile"],
                    "name": certificate.institution_name,
                },
                **recognition_terms(course),
            },
        },
        "credentialStatus": status_entry(certificate),
    }


def holder_identity_hash(certificate: Certificate, email: str) -> str:
    """The Open Badges identity hash of the holder: SHA-256 of the e-mail address salted with
    the certificate's own identifier (kept when the holder's account is erased)."""
    digest = hashlib.sha256((email + certificate.uuid.hex).encode()).hexdigest()
    return f"sha256${digest}"


def signed_open_badge(certificate: Certificate) -> dict[str, Any]:
    """:func:`open_badge` with its ``eddsa-rdfc-2022`` proof, dated at issue (deterministic)."""
    return signing.add_proof(
        open_badge(certificate), issuer.signer(), created=_iso(certificate.issued_at)
    )


def issuer_profile() -> dict[str, Any]:
    """The portal as an Open Badges issuer ``Profile``: its DID, name and address."""
    return {
        "id": issuer.did(),
        "type": ["Profile"],
        "name": current_app.config["MOOC_SITE_NAME"],
        "url": external_url("portal.web.home"),
    }


def status_entry(certificate: Certificate) -> dict[str, Any]:
    list_url = external_url(
        "portal.certificates.status_list", number=certificate.status_list_number
    )
    index = certificate.status_list_index
    return {
        "id": f"{list_url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": str(index),
        "statusListCredential": list_url,
    }


def status_list_credential(number: int) -> dict[str, Any]:
    """The signed ``BitstringStatusListCredential`` of list ``number``: revoked bits set.

    Read from the database on each request, so it changes with the revocation's commit.
    The bitstring is GZIP-compressed and base64url-encoded with the multibase ``u`` prefix.
    """
    if number < 1:
        raise NotFound(_("No such status list."))
    first_id = (number - 1) * STATUS_LIST_LENGTH + 1
    revoked = session.scalars(
        select(Certificate.id).where(
            Certificate.revoked_at.is_not(None),
            Certificate.id >= first_id,
            Certificate.id < first_id + STATUS_LIST_LENGTH,
        )
    ).all()
    bits = bytearray(STATUS_LIST_LENGTH // 8)
    for certificate_id in revoked:
        index = certificate_id - first_id
        bits[index // 8] |= 0x80 >> (index % 8)
    encoded = base64.urlsafe_b64encode(gzip.compress(bytes(bits), mtime=0)).rstrip(b"=")
    list_url = external_url("portal.certificates.status_list", number=number)
    credential = {
        "@context": [VC_V2],
        "id": list_url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer.did(),
        "validFrom": _iso(utcnow()),
        "credentialSubject": {
            "id": f"{list_url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": "u" + encoded.decode("ascii"),
        },
    }
    return signing.add_proof(credential, issuer.signer(), created=_iso(utcnow()))


def verify_credential(credential: dict[str, Any]) -> bool:
    """Whether a credential's proof was made by one of the portal's keys (current or retired)
    or by the ``did:key`` it names; raises :class:`signing.ProofError` when it cannot tell."""
    proof = credential.get("proof")
    method = proof.get("verificationMethod", "") if isinstance(proof, dict) else ""
    key = issuer.public_key_for(method)
    if key is None:
        key = signing.did_key_public_key(method)
    return signing.verify_proof(credential, key)


def revocation_notice(certificate: Certificate) -> dict[str, Any]:
    """What the credential's address answers once the certificate is revoked: when, and why
    when the administrator made the reason public."""
    if certificate.revoked_at is None:
        raise ValueError("The certificate is not revoked.")
    notice = {
        "status": 410,
        "message": "This certificate was revoked; it is no longer a valid credential.",
        "id": external_url("portal.certificates.certificate_badge", code=certificate.code),
        "revoked": True,
        "revokedAt": _iso(certificate.revoked_at),
    }
    if certificate.revoke_reason_public:
        notice["revocationReason"] = certificate.revoke_reason
    return notice


def _iso(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def linkedin_url(certificate: Certificate) -> str:
    """LinkedIn's "add a licence or certification" address, filled in from the certificate."""
    from urllib.parse import urlencode

    issued = certificate.issued_at
    query = {
        "startTask": "CERTIFICATION_NAME",
        "name": certificate.course_title,
        "organizationName": certificate.institution_name,
        "issueYear": issued.year,
        "issueMonth": issued.month,
        "certUrl": external_url("portal.certificates.certificate_detail", code=certificate.code),
        "certId": certificate.code,
    }
    return "https://www.linkedin.com/profile/add?" + urlencode(query)
