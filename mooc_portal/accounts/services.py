"""Accounts: registration, authentication, passwords, and the acting account of a request."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from datetime import timedelta
from functools import cache
from zoneinfo import available_timezones

from flask import current_app, g, has_request_context
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete, func, select
from werkzeug.security import check_password_hash, generate_password_hash

from mooc_portal.accounts.models import Account, LoginAttempt, Membership, StaffRole
from mooc_portal.db import session, utcnow
from mooc_portal.errors import Conflict, InvalidInput, NotFound, NotPermitted, TooManyAttempts
from mooc_portal.institutions.models import Institution
from mooc_portal.mail import send_mail
from mooc_portal.reference import ASEM_COUNTRIES
from mooc_portal.signals import account_registered

RESET_SALT = "mooc-password-reset"

known_timezones = cache(available_timezones)


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def load_account(account_uuid: str) -> Account | None:
    """Flask-Login's user loader for the standalone portal."""
    try:
        key = uuid.UUID(account_uuid)
    except ValueError:
        return None
    return session.scalar(select(Account).where(Account.uuid == key, Account.active.is_(True)))


def current_account() -> Account | None:
    """The account acting in this request, or None for an anonymous visitor.

    In the standalone portal it is Flask-Login's user. In a host application the host's
    logged-in user is linked to a portal account by its id, created on the first visit.
    """
    if not has_request_context():
        return None
    user = current_user._get_current_object()  # type: ignore[attr-defined]
    # Cached per logged-in user object: an app context (and its ``g``) may outlive a request.
    cached = g.get("mooc_account")
    if cached is not None and cached[0] is user:
        return cached[1]
    account: Account | None = None
    if user is not None and getattr(user, "is_authenticated", False):
        account = user if isinstance(user, Account) else account_for_host_user(user)
    g.mooc_account = (user, account)
    return account


def account_for_host_user(user: object) -> Account:
    """The portal account linked to a host application's user, created on first visit."""
    host_id = str(user.get_id())  # type: ignore[attr-defined]
    account = session.scalar(select(Account).where(Account.host_user_id == host_id))
    if account is None:
        email = normalize_email(getattr(user, "email", "") or f"host-user-{host_id}@host.invalid")
        name = getattr(user, "name", None) or getattr(user, "username", None) or email
        taken = session.scalar(select(Account.id).where(Account.email == email))
        if taken is not None:
            email = f"host-user-{host_id}@host.invalid"
        account = Account(email=email, display_name=str(name)[:120], host_user_id=host_id)
        session.add(account)
        session.flush()
    return account


def register_account(
    email: str,
    password: str,
    display_name: str,
    *,
    country: str | None = None,
    preferred_language: str | None = None,
) -> Account:
    """Create a learner account. Raises Conflict when the e-mail is taken."""
    email = normalize_email(email)
    display_name = _checked_name(display_name)
    check_password_strength(password)
    _check_country(country)
    _check_language(preferred_language)
    _check_email_free(email)
    account = Account(
        email=email,
        display_name=display_name,
        password_hash=generate_password_hash(password),
        country=country or None,
        preferred_language=preferred_language or None,
    )
    session.add(account)
    session.flush()
    account_registered.send(current_app._get_current_object(), account=account)
    return account


def update_profile(
    account: Account,
    *,
    actor: Account,
    display_name: str,
    email: str,
    country: str | None,
    preferred_language: str | None,
    timezone: str | None,
) -> Account:
    """Change an account's name, e-mail address, country, language and time zone.

    Only the account itself or an administrator may. Raises InvalidInput or Conflict naming
    the field; nothing is changed then.
    """
    if actor.id != account.id and not actor.is_admin:
        raise NotPermitted(_("You may only change your own profile."))
    email = normalize_email(email)
    display_name = _checked_name(display_name)
    _check_country(country)
    _check_language(preferred_language)
    if timezone and timezone not in known_timezones():
        raise InvalidInput(_("Choose a time zone from the list."), field="timezone")
    if email != account.email:
        _check_email_free(email)
    account.display_name = display_name
    account.email = email
    account.country = country or None
    account.preferred_language = preferred_language or None
    account.timezone = timezone or None
    session.flush()
    return account


def _checked_name(display_name: str) -> str:
    name = (display_name or "").strip()
    if not name:
        raise InvalidInput(_("Enter your name."), field="display_name")
    return name


def _check_email_free(email: str) -> None:
    if not email or "@" not in email:
        raise InvalidInput(_("Enter a valid e-mail address."), field="email")
    if session.scalar(select(Account.id).where(Account.email == email)) is not None:
        raise Conflict(_("An account with this e-mail address already exists."), field="email")


def _check_country(country: str | None) -> None:
    if country and country not in ASEM_COUNTRIES:
        raise InvalidInput(_("Choose a country from the list."), field="country")


def _check_language(language: str | None) -> None:
    if language and language not in current_app.config["MOOC_LANGUAGES"]:
        raise InvalidInput(_("Choose a language from the list."), field="preferred_language")


def check_password_strength(password: str) -> None:
    minimum = current_app.config["MOOC_PASSWORD_MIN_LENGTH"]
    if len(password or "") < minimum:
        raise InvalidInput(
            ngettext(
                "Use at least %(num)d character.", "Use at least %(num)d characters.", minimum
            ),
            field="password",
        )


def authenticate(email: str, password: str, *, remote_addr: str | None = None) -> Account | None:
    """The account these credentials open, or None. Repeated failures are throttled.

    After ``MOOC_LOGIN_MAX_FAILURES`` failures for one e-mail address within
    ``MOOC_LOGIN_FAILURE_WINDOW`` seconds every attempt is refused with TooManyAttempts until
    the oldest failure leaves the window; a success clears the failures.
    """
    email = normalize_email(email)
    config = current_app.config
    window_start = utcnow() - timedelta(seconds=config["MOOC_LOGIN_FAILURE_WINDOW"])
    failures = session.scalar(
        select(func.count(LoginAttempt.id)).where(
            LoginAttempt.email == email, LoginAttempt.at >= window_start
        )
    )
    if failures >= config["MOOC_LOGIN_MAX_FAILURES"]:
        minutes = max(1, config["MOOC_LOGIN_FAILURE_WINDOW"] // 60)
        raise TooManyAttempts(
            _(
                "Too many failed attempts. Try again in %(minutes)d minutes or reset your "
                "password.",
                minutes=minutes,
            )
        )
    account = session.scalar(select(Account).where(Account.email == email))
    if (
        account is None
        or not account.active
        or not account.password_hash
        or not check_password_hash(account.password_hash, password or "")
    ):
        session.add(LoginAttempt(email=email, remote_addr=remote_addr))
        session.flush()
        return None
    session.execute(delete(LoginAttempt).where(LoginAttempt.email == email))
    account.last_login_at = utcnow()
    session.flush()
    return account


def change_password(account: Account, current: str, new: str) -> None:
    if not account.password_hash or not check_password_hash(account.password_hash, current):
        raise InvalidInput(_("Your current password is not correct."), field="current_password")
    check_password_strength(new)
    account.password_hash = generate_password_hash(new)
    session.flush()


def _reset_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=RESET_SALT)


def _password_fingerprint(account: Account) -> str:
    # Changes with the password, so a used link stops working.
    return hashlib.sha256((account.password_hash or "").encode()).hexdigest()[:16]


def password_reset_token(account: Account) -> str:
    return _reset_serializer().dumps([str(account.uuid), _password_fingerprint(account)])


def account_for_reset_token(token: str, *, max_age: int | None = None) -> Account:
    """The account a reset (or invitation) link was made for, if no older than ``max_age``
    seconds (default ``MOOC_PASSWORD_RESET_MAX_AGE``). Raises InvalidInput if expired, used
    or forged."""
    max_age = max_age or current_app.config["MOOC_PASSWORD_RESET_MAX_AGE"]
    try:
        account_uuid, fingerprint = _reset_serializer().loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise InvalidInput(_("This link has expired. Ask for a new one.")) from exc
    except (BadSignature, ValueError, TypeError) as exc:
        raise InvalidInput(_("This link is not valid. Ask for a new one.")) from exc
    account = load_account(account_uuid)
    if account is None or _password_fingerprint(account) != fingerprint:
        raise InvalidInput(_("This link has already been used. Ask for a new one."))
    return account


def reset_password(token: str, new: str, *, max_age: int | None = None) -> Account:
    account = account_for_reset_token(token, max_age=max_age)
    check_password_strength(new)
    account.password_hash = generate_password_hash(new)
    session.execute(delete(LoginAttempt).where(LoginAttempt.email == account.email))
    session.flush()
    return account


def request_password_reset(email: str, link_for: Callable[[str], str]) -> None:
    """Mail a time-limited password-reset link to the account with this address, if any.

    ``link_for(token)`` builds the absolute URL of the reset page. Nothing tells the caller
    whether the address belongs to an account, so the answer cannot be used to probe for one.
    Accounts linked to a host application's user have no portal password and get no mail.
    """
    account = find_account_by_email(email)
    if account is None or not account.active or account.host_user_id is not None:
        return
    hours = max(1, current_app.config["MOOC_PASSWORD_RESET_MAX_AGE"] // 3600)
    body = ngettext(
        "Hello %(name)s,\n\n"
        "someone (hopefully you) asked to reset the password of your account on "
        "%(site)s. Open this link within %(num)d hour to choose a new password:\n\n"
        "%(link)s\n\n"
        "If you did not ask for this, ignore this message: your password stays as it is.",
        "Hello %(name)s,\n\n"
        "someone (hopefully you) asked to reset the password of your account on "
        "%(site)s. Open this link within %(num)d hours to choose a new password:\n\n"
        "%(link)s\n\n"
        "If you did not ask for this, ignore this message: your password stays as it is.",
        hours,
        name=account.display_name,
        site=current_app.config["MOOC_SITE_NAME"],
        link=link_for(password_reset_token(account)),
    )
    send_mail(account.email, _("Reset your password"), body)


def find_account_by_email(email: str) -> Account | None:
    return session.scalar(select(Account).where(Account.email == normalize_email(email)))


def make_admin(email: str, password: str, display_name: str) -> Account:
    """Create an administrator, or make an existing account one (``flask portal create-admin``)."""
    account = find_account_by_email(email)
    if account is None:
        account = register_account(email, password, display_name)
    account.is_admin = True
    session.flush()
    return account


def add_membership(account: Account, institution: Institution, role: StaffRole) -> Membership:
    existing = next((m for m in account.memberships if m.institution_id == institution.id), None)
    if existing is not None:
        existing.role = role
        session.flush()
        return existing
    membership = Membership(account=account, institution=institution, role=role)
    session.add(membership)
    session.flush()
    return membership


def get_account(account_uuid: str) -> Account:
    account = load_account(account_uuid)
    if account is None:
        raise NotFound(_("No such account."))
    return account
