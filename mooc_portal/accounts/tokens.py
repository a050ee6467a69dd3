"""Signed, time-limited, single-use links: password reset, address confirmation, invitation.

Each kind has its own salt, so a link made for one purpose is refused by the others' pages, and
each is bound to state its use changes, so it works once:

- a reset link carries a fingerprint of the password hash (setting a password changes it);
- a confirmation link carries the address it confirms, valid only while that address is the
  account's unconfirmed address or its pending new one;
- an invitation link carries a random nonce stored on the pending membership (cleared when the
  invitation is accepted or cancelled).
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from mooc_portal.accounts.models import Account, Membership
from mooc_portal.errors import InvalidInput

RESET_SALT = "mooc-password-reset"
VERIFY_SALT = "mooc-email-verification"
INVITATION_SALT = "mooc-staff-invitation"


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def _loads(salt: str, token: str, max_age: int) -> Any:
    try:
        return _serializer(salt).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise InvalidInput(_("This link has expired. Ask for a new one.")) from exc
    except (BadSignature, ValueError, TypeError, UnicodeError) as exc:
        raise InvalidInput(_("This link is not valid. Ask for a new one.")) from exc


def used_link() -> InvalidInput:
    return InvalidInput(_("This link has already been used. Ask for a new one."))


def password_fingerprint(account: Account) -> str:
    # Changes with the password, so a used link stops working.
    return hashlib.sha256((account.password_hash or "").encode()).hexdigest()[:16]


def password_reset_token(account: Account) -> str:
    return _serializer(RESET_SALT).dumps([str(account.uuid), password_fingerprint(account)])


def read_password_reset_token(token: str) -> tuple[str, str]:
    """The account id and password fingerprint of a reset link. Raises InvalidInput."""
    payload = _loads(RESET_SALT, token, current_app.config["MOOC_PASSWORD_RESET_MAX_AGE"])
    if not (isinstance(payload, list) and len(payload) == 2):
        raise InvalidInput(_("This link is not valid. Ask for a new one."))
    return str(payload[0]), str(payload[1])


def email_verification_token(account: Account, address: str) -> str:
    return _serializer(VERIFY_SALT).dumps([str(account.uuid), address])


def read_email_verification_token(token: str) -> tuple[str, str]:
    """The account id and the address a confirmation link confirms. Raises InvalidInput."""
    payload = _loads(VERIFY_SALT, token, current_app.config["MOOC_EMAIL_VERIFICATION_MAX_AGE"])
    if not (isinstance(payload, list) and len(payload) == 2):
        raise InvalidInput(_("This link is not valid. Ask for a new one."))
    return str(payload[0]), str(payload[1])


def invitation_token(membership: Membership) -> str:
    assert membership.invitation_nonce, "only a pending invitation has a link"
    return _serializer(INVITATION_SALT).dumps([membership.id, membership.invitation_nonce])


def read_invitation_token(token: str) -> tuple[int, str]:
    """The membership id and nonce of an invitation link. Raises InvalidInput."""
    payload = _loads(INVITATION_SALT, token, current_app.config["MOOC_INVITATION_MAX_AGE"])
    if not (isinstance(payload, list) and len(payload) == 2 and isinstance(payload[0], int)):
        raise InvalidInput(_("This link is not valid. Ask for a new one."))
    return payload[0], str(payload[1])


def same_secret(given: str, stored: str | None) -> bool:
    return stored is not None and hmac.compare_digest(given.encode(), stored.encode())
