"""Deleting an account: personal data erased, or pseudonymised where figures depend on it.

The learner's enrolments (with their history and progress) move to a fresh placeholder account
that names nobody (``erased-<random>@erased.invalid``, "Erased learner"), so that runs keep
their counts, progress figures and completion rates; nothing records which person it replaced.
Every other reference is deleted or cleared following :mod:`mooc_portal.privacy.registry`;
a table that refers to accounts and is not listed there stops the erasure (fail closed).
Certificates stay verifiable under the name printed on them when the learner chooses so, else
they are revoked and the name is removed.
"""

from __future__ import annotations

import secrets
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Text, cast, delete, func, or_, select, update
from werkzeug.security import check_password_hash

from mooc_portal.accounts.models import PLACEHOLDER_DOMAIN, Account, LoginAttempt
from mooc_portal.audit.models import AuditEntry
from mooc_portal.audit.services import record_change
from mooc_portal.certificates.models import Certificate
from mooc_portal.certificates.services import holder_identity_hash
from mooc_portal.db import Base, session, utcnow
from mooc_portal.enrollment import services as enrolment
from mooc_portal.enrollment.models import Enrollment, EnrollmentState
from mooc_portal.enrollment.notifications import forget_mail_to
from mooc_portal.errors import InvalidInput, NotPermitted
from mooc_portal.privacy.models import PrivacyRequest, Pseudonym
from mooc_portal.privacy.registry import ACCOUNT_REFERENCES, ACCOUNT_TABLE
from mooc_portal.xapi.services import erase_learner

KEEP = "keep"
REVOKE = "revoke"
ERASED_NAME = "Erased learner"
EXPIRED_NAME = "Expired records"
REVOKED_ON_ERASURE = "Revoked at the holder's request when they deleted their account."
ERASED_TEXT = "[erased]"


class UnlistedAccountReference(RuntimeError):
    """A table refers to accounts but the privacy registry does not say what erasure does."""


def delete_own_account(
    account: Account, *, password: str, certificates: str, actor: Account
) -> PrivacyRequest:
    """The learner deletes their own account after re-entering the password.

    ``certificates``: ``keep`` (stay verifiable under the name printed on them) or ``revoke``.
    Raises NotPermitted (someone else, or the last administrator), InvalidInput naming
    ``password`` or ``certificates``. Returns the handled request (logged without the name).
    """
    if actor.id != account.id:
        raise NotPermitted(_("You may only delete your own account."))
    if not account.password_hash:
        raise NotPermitted(
            _("Your account belongs to the site you log in with: ask its administrators.")
        )
    if not check_password_hash(account.password_hash, password or ""):
        raise InvalidInput(_("Your password is not correct."), field="password")
    if certificates not in (KEEP, REVOKE):
        raise InvalidInput(_("Choose what happens to your certificates."), field="certificates")
    if account.is_admin:
        others = session.scalar(
            select(func.count(Account.id)).where(
                Account.is_admin.is_(True), Account.active.is_(True), Account.id != account.id
            )
        )
        if not others:
            raise NotPermitted(_("You are the last administrator: appoint another one first."))
    return erase_account(account, keep_certificates=certificates == KEEP, channel="self-service")


def new_placeholder(reason: str) -> Account:
    """A fresh account that names nobody, standing in for erased (or expired) records."""
    placeholder = Account(
        email=f"{reason}-{secrets.token_hex(12)}@{PLACEHOLDER_DOMAIN}",
        display_name=ERASED_NAME if reason == "erasure" else EXPIRED_NAME,
        active=False,
    )
    session.add(placeholder)
    session.flush()
    session.add(Pseudonym(account_id=placeholder.id, reason=reason))
    session.flush()
    return placeholder


def is_placeholder(account_id: int) -> bool:
    return (
        session.scalar(select(Pseudonym.id).where(Pseudonym.account_id == account_id)) is not None
    )


def erase_account(account: Account, *, keep_certificates: bool, channel: str) -> PrivacyRequest:
    """Erase ``account`` everywhere; return the handled erasure request.

    Pending and waitlisted enrolments are withdrawn (their seats go to the next learners);
    enrolled and completed ones stay, held by a placeholder, so partner figures do not change.
    """
    received = utcnow()
    account_id, email, name = account.id, account.email, account.display_name
    for enrollment in session.scalars(
        select(Enrollment).where(
            Enrollment.account_id == account_id,
            Enrollment.state.in_((EnrollmentState.PENDING, EnrollmentState.WAITLISTED)),
        )
    ).all():
        enrolment.withdraw(enrollment, actor=account)
    forget_mail_to(email)
    session.flush()
    placeholder = new_placeholder("erasure")
    _settle_certificates(account_id, email, keep=keep_certificates)
    _scrub_enrolment_texts(account_id, (email, name))
    _scrub_audit(account_id, placeholder, email, name)
    erase_learner(account)
    _move_references(account_id, placeholder.id)
    session.execute(delete(LoginAttempt).where(LoginAttempt.email == email))
    session.expunge(account)
    session.execute(delete(Account).where(Account.id == account_id))
    request = PrivacyRequest(
        kind="erasure",
        account_id=placeholder.id,
        channel=channel,
        received_at=received,
        completed_at=utcnow(),
        note="certificates kept" if keep_certificates else "certificates revoked",
    )
    session.add(request)
    session.flush()
    record_change(
        None, "erase", "account", placeholder.id, summary="An account was erased on request"
    )
    return request


def _settle_certificates(account_id: int, email: str, *, keep: bool) -> None:
    certificates = session.scalars(
        select(Certificate)
        .join(Enrollment, Enrollment.id == Certificate.enrollment_id)
        .where(Enrollment.account_id == account_id)
    ).all()
    now = utcnow()
    for certificate in certificates:
        if certificate.revoked_by_id == account_id:
            certificate.revoked_by_id = None
        if keep and certificate.revoked_at is None:
            certificate.holder_identity_hash = holder_identity_hash(certificate, email)
            continue
        if certificate.revoked_at is None:
            certificate.revoked_at = now
            certificate.revoke_reason = REVOKED_ON_ERASURE
        certificate.learner_name = ""
    session.flush()


def _replace(text: str | None, secrets_: tuple[str, ...]) -> str | None:
    if not text:
        return text
    for secret in secrets_:
        if secret:
            text = text.replace(secret, ERASED_TEXT)
    return text


def _scrub_enrolment_texts(account_id: int, secrets_: tuple[str, ...]) -> None:
    """Reasons staff wrote about the learner may name them: the name and address go."""
    enrollments = session.scalars(
        select(Enrollment).where(Enrollment.account_id == account_id)
    ).all()
    for enrollment in enrollments:
        enrollment.reason = _replace(enrollment.reason, secrets_)
        for transition in enrollment.transitions:
            transition.reason = _replace(transition.reason, secrets_)
    session.flush()


def _move_references(account_id: int, placeholder_id: int) -> None:
    """Apply the registry to every column that refers to an account (fail closed)."""
    listed = {(r.table, r.column): r for r in ACCOUNT_REFERENCES}
    for table in Base.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table.name != ACCOUNT_TABLE or table.name == ACCOUNT_TABLE:
                continue
            ref = listed.get((table.name, fk.parent.name))
            if ref is None:
                raise UnlistedAccountReference(
                    f"{table.name}.{fk.parent.name} refers to accounts; say in "
                    "mooc_portal/privacy/registry.py what erasure does with it"
                )
            column = table.c[fk.parent.name]
            if ref.on_erasure == "reassign":
                session.execute(
                    update(table).where(column == account_id).values({column: placeholder_id})
                )
            elif ref.on_erasure == "delete":
                session.execute(delete(table).where(column == account_id))
            elif ref.on_erasure == "null":
                session.execute(update(table).where(column == account_id).values({column: None}))
    session.expire_all()


def _scrub_json(value: Any, secrets_: tuple[str, ...]) -> Any:
    if isinstance(value, str):
        return _replace(value, secrets_)
    if isinstance(value, list):
        return [_scrub_json(v, secrets_) for v in value]
    if isinstance(value, dict):
        return {k: _scrub_json(v, secrets_) for k, v in value.items()}
    return value


def _scrub_audit(account_id: int, placeholder: Account, email: str, name: str) -> None:
    """Entries by or about the account lose its address and name; the changes they record
    stay (who did something becomes "an erased account")."""
    about = or_(
        AuditEntry.actor_id == account_id,
        AuditEntry.actor_email == email,
        (AuditEntry.entity == "account") & (AuditEntry.entity_id == account_id),
        AuditEntry.summary.contains(email),
        cast(AuditEntry.before, Text).contains(email),
        cast(AuditEntry.after, Text).contains(email),
    )
    secrets_ = (email, name)
    for entry in session.scalars(select(AuditEntry).where(about)).all():
        if entry.actor_id == account_id or entry.actor_email == email:
            entry.actor_email = None
        if entry.entity == "account" and entry.entity_id == account_id:
            entry.entity_id = placeholder.id
        entry.summary = _replace(entry.summary, secrets_) or ""
        entry.before = _scrub_json(entry.before, secrets_)
        entry.after = _scrub_json(entry.after, secrets_)
    session.flush()


__all__ = [
    "KEEP",
    "REVOKE",
    "UnlistedAccountReference",
    "delete_own_account",
    "erase_account",
    "is_placeholder",
    "new_placeholder",
]
