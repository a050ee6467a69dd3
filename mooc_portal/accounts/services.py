"""Accounts: registration, authentication, passwords, and the acting account of a request."""

from __future__ import annotations

import secrets
import uuid
from functools import cache
from typing import Protocol
from zoneinfo import available_timezones

from flask import current_app, g, has_request_context
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from mooc_portal.accounts import throttle, tokens
from mooc_portal.accounts.models import Account, Membership, StaffRole
from mooc_portal.accounts.tokens import password_reset_token  # noqa: F401 (public API)
from mooc_portal.appctx import current_flask_app
from mooc_portal.db import session, utcnow
from mooc_portal.errors import Conflict, InvalidInput, NotFound, NotPermitted, TooManyAttempts
from mooc_portal.institutions.models import Institution
from mooc_portal.mail import send_mail
from mooc_portal.reference import ASEM_COUNTRIES
from mooc_portal.signals import account_registered
from mooc_portal.urls import external_url

known_timezones = cache(available_timezones)


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def load_account(identity: str) -> Account | None:
    """Flask-Login's user loader for the standalone portal.

    ``identity`` is what :meth:`Account.get_id` stored in the session or remember-me cookie:
    the account's id and its session version. A version the account has since moved past (it
    logged out, changed or reset its password) opens nothing.
    """
    account_uuid, _sep, version = (identity or "").partition(".")
    account = _active_account(account_uuid)
    if account is None or version != str(account.session_version):
        return None
    return account


def _active_account(account_uuid: str) -> Account | None:
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
    user = current_user._get_current_object()
    # Cached per logged-in user object: an app context (and its ``g``) may outlive a request.
    cached: tuple[object, Account | None] | None = g.get("mooc_account")
    if cached is not None and cached[0] is user:
        return cached[1]
    account: Account | None = None
    if user is not None and getattr(user, "is_authenticated", False):
        account = user if isinstance(user, Account) else account_for_host_user(user)
    g.mooc_account = (user, account)
    return account


class HostUser(Protocol):
    """A host application's logged-in user, as Flask-Login knows it."""

    def get_id(self) -> object: ...


def account_for_host_user(user: HostUser) -> Account:
    """The portal account linked to a host application's user, created on first visit."""
    host_id = str(user.get_id())
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
    verified: bool = False,
) -> Account:
    """Create a learner account. Raises Conflict when the e-mail is taken.

    ``verified`` is for accounts made by the operator (``create-admin``, the demo); accounts
    people register stay unverified until they follow the link :func:`request_registration`
    mails them.
    """
    email = normalize_email(email)
    display_name = _checked_name(display_name)
    check_password_strength(password)
    _check_country(country)
    _check_language(preferred_language)
    _check_email_valid(email)
    if find_account_by_email(email) is not None:
        raise Conflict(_("An account with this e-mail address already exists."), field="email")
    account = Account(
        email=email,
        display_name=display_name,
        password_hash=generate_password_hash(password),
        country=country or None,
        preferred_language=preferred_language or None,
        email_verified_at=utcnow() if verified else None,
    )
    session.add(account)
    session.flush()
    account_registered.send(current_flask_app(), account=account)
    return account


def request_registration(
    email: str,
    password: str,
    display_name: str,
    *,
    country: str | None = None,
    preferred_language: str | None = None,
    remote_addr: str | None = None,
) -> Account | None:
    """Register a learner and mail a link that confirms the address; the new account, or None
    when the address already had one (for the caller's own records, never for the answer).

    The answer never tells whether the address already has an account: then nothing is
    created, and the owner is mailed a note with the way to log in or reset the password
    instead. Raises InvalidInput naming the field for bad input (the same for both), and
    TooManyAttempts when this network address has asked for too many mails.
    """
    email = normalize_email(email)
    _checked_name(display_name)
    check_password_strength(password)
    _check_country(country)
    _check_language(preferred_language)
    _check_email_valid(email)
    if not throttle.address_may_request_mail("register", remote_addr):
        raise _too_many_mails()
    existing = find_account_by_email(email)
    if existing is None:
        account = register_account(
            email,
            password,
            display_name,
            country=country,
            preferred_language=preferred_language,
        )
        throttle.take_mail_allowance("register", email, remote_addr)
        send_email_verification(account, email)
        return account
    # As slow as the path that hashes a new password, so timing tells nothing either.
    generate_password_hash(password)
    if not throttle.take_mail_allowance("register", email, remote_addr):
        return None
    site = current_app.config["MOOC_SITE_NAME"]
    body = _(
        "Hello %(name)s,\n\n"
        "someone (hopefully you) tried to register on %(site)s with this e-mail address, "
        "which already has an account. Nothing was changed.\n\n"
        "Log in here:\n%(login)s\n\n"
        "Forgot your password? Choose a new one here:\n%(forgot)s\n\n"
        "If this was not you, you can ignore this message.",
        name=existing.display_name,
        site=site,
        login=external_url("portal.accounts.login"),
        forgot=external_url("portal.accounts.forgot_password"),
    )
    send_mail(existing.email, _("You already have an account"), body)
    return None


def send_email_verification(account: Account, address: str) -> None:
    """Mail ``address`` the link that confirms it belongs to the account's owner."""
    days = max(1, current_app.config["MOOC_EMAIL_VERIFICATION_MAX_AGE"] // 86400)
    link = external_url(
        "portal.accounts.confirm_email",
        token=tokens.email_verification_token(account, address),
    )
    body = ngettext(
        "Hello %(name)s,\n\n"
        "please confirm that %(address)s is your e-mail address on %(site)s by opening this "
        "link within %(num)d day:\n\n%(link)s\n\n"
        "If you did not ask for this, ignore this message: nothing changes.",
        "Hello %(name)s,\n\n"
        "please confirm that %(address)s is your e-mail address on %(site)s by opening this "
        "link within %(num)d days:\n\n%(link)s\n\n"
        "If you did not ask for this, ignore this message: nothing changes.",
        days,
        name=account.display_name,
        address=address,
        site=current_app.config["MOOC_SITE_NAME"],
        link=link,
    )
    send_mail(address, _("Confirm your e-mail address"), body)


def resend_email_verification(account: Account, *, remote_addr: str | None = None) -> bool:
    """Mail the confirmation link again (the pending new address's, else the account's);
    whether there was one to send. Raises TooManyAttempts past the mail limits."""
    address = account.pending_email or (None if account.email_verified else account.email)
    if address is None:
        return False
    if not throttle.take_mail_allowance("verify", address, remote_addr):
        raise _too_many_mails()
    send_email_verification(account, address)
    return True


def confirm_email(token: str) -> Account:
    """Follow a confirmation link: the address it names becomes the account's, verified.

    Raises InvalidInput when the link is expired, forged or used, or when the new address has
    meanwhile been taken by another account.
    """
    account_uuid, address = tokens.read_email_verification_token(token)
    account = _active_account(account_uuid)
    if account is None:
        raise tokens.used_link()
    if address == account.pending_email:
        if find_account_by_email(address) is not None:
            raise InvalidInput(
                _("Another account uses this address now. Choose another one in your profile.")
            )
        account.email = address
        account.pending_email = None
    elif address != account.email or account.email_verified_at is not None:
        raise tokens.used_link()
    account.email_verified_at = utcnow()
    session.flush()
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
    current_password: str | None = None,
) -> bool:
    """Change an account's name, country, language and time zone, and ask to change its
    e-mail address.

    Only the account itself or an administrator may. A new address needs the acting person's
    current password (when they have one) and takes effect only when the link mailed to it is
    followed; the old address is told. Returns whether a new address awaits confirmation.
    Raises InvalidInput naming the field; nothing is changed then.
    """
    if actor.id != account.id and not actor.is_admin:
        raise NotPermitted(_("You may only change your own profile."))
    email = normalize_email(email)
    display_name = _checked_name(display_name)
    _check_country(country)
    _check_language(preferred_language)
    if timezone and timezone not in known_timezones():
        raise InvalidInput(_("Choose a time zone from the list."), field="timezone")
    new_address = email != account.email
    if new_address:
        _check_email_valid(email)
        if actor.password_hash and not check_password_hash(
            actor.password_hash, current_password or ""
        ):
            raise InvalidInput(
                _("Enter your current password to change your e-mail address."),
                field="current_password",
            )
    account.display_name = display_name
    account.country = country or None
    account.preferred_language = preferred_language or None
    account.timezone = timezone or None
    if new_address:
        _request_email_change(account, email)
    session.flush()
    return new_address


def _request_email_change(account: Account, address: str) -> None:
    site = current_app.config["MOOC_SITE_NAME"]
    owner = find_account_by_email(address)
    if owner is not None:
        # The same answer as for a free address; the address's owner learns of the attempt.
        send_mail(
            address,
            _("Your e-mail address on %(site)s", site=site),
            _(
                "Hello %(name)s,\n\n"
                "someone asked to move another account on %(site)s to this e-mail address, "
                "which already has an account (yours). Nothing was changed.",
                name=owner.display_name,
                site=site,
            ),
        )
        return
    account.pending_email = address
    session.flush()
    send_email_verification(account, address)
    send_mail(
        account.email,
        _("Your e-mail address on %(site)s", site=site),
        _(
            "Hello %(name)s,\n\n"
            "someone (hopefully you) asked to change the e-mail address of your account on "
            "%(site)s to %(address)s. It changes when the link we sent there is opened.\n\n"
            "If this was not you, change your password now.",
            name=account.display_name,
            site=site,
            address=address,
        ),
    )


def _checked_name(display_name: str) -> str:
    name = (display_name or "").strip()
    if not name:
        raise InvalidInput(_("Enter your name."), field="display_name")
    return name


def _check_email_valid(email: str) -> None:
    if not email or "@" not in email or len(email) > 254:
        raise InvalidInput(_("Enter a valid e-mail address."), field="email")


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


@cache
def _dummy_hash() -> str:
    return generate_password_hash(secrets.token_hex(16))


def authenticate(email: str, password: str, *, remote_addr: str | None = None) -> Account | None:
    """The account these credentials open, or None. Repeated failures are slowed down.

    Every attempt that is not refused checks a password hash (a dummy one for an unknown
    address), so the time taken does not tell whether an account exists. After too many
    failures for the account or from ``remote_addr`` each attempt must wait a growing delay
    (see :mod:`mooc_portal.accounts.throttle`); an attempt made too early raises
    TooManyAttempts. A success clears the account's failures.
    """
    email = normalize_email(email)
    wait = throttle.login_delay(email, remote_addr)
    if wait > 0:
        raise TooManyAttempts(
            ngettext(
                "Too many failed attempts. Try again in %(num)d second or reset your password.",
                "Too many failed attempts. Try again in %(num)d seconds or reset your password.",
                wait,
            )
        )
    account = find_account_by_email(email)
    stored = account.password_hash if account is not None and account.active else None
    # Check a hash even when there is none to check, so that the time taken is the same.
    matches = check_password_hash(stored or _dummy_hash(), password or "")
    if account is None or stored is None or not matches:
        throttle.record_login_failure(email, remote_addr)
        return None
    throttle.clear_login_failures(email)
    account.last_login_at = utcnow()
    session.flush()
    return account


def end_sessions(account: Account) -> None:
    """Log the account out everywhere: every session and remember-me cookie stops working."""
    account.session_version = (account.session_version or 1) + 1
    session.flush()


def change_password(account: Account, current: str, new: str) -> None:
    """Set a new password; every other session of the account ends. Raises InvalidInput."""
    if not account.password_hash or not check_password_hash(account.password_hash, current):
        raise InvalidInput(_("Your current password is not correct."), field="current_password")
    check_password_strength(new)
    account.password_hash = generate_password_hash(new)
    end_sessions(account)


def account_for_reset_token(token: str) -> Account:
    """The account a password-reset link was made for. Raises InvalidInput if the link is
    expired, used or forged."""
    account_uuid, fingerprint = tokens.read_password_reset_token(token)
    account = _active_account(account_uuid)
    if account is None or tokens.password_fingerprint(account) != fingerprint:
        raise tokens.used_link()
    return account


def reset_password(token: str, new: str) -> Account:
    """Set the password through a reset link. The link came to the address, so the address
    counts as confirmed; every session of the account ends and its failed logins are
    forgotten. Raises InvalidInput."""
    account = account_for_reset_token(token)
    _set_password(account, new)
    return account


def _set_password(account: Account, new: str) -> None:
    check_password_strength(new)
    account.password_hash = generate_password_hash(new)
    if account.email_verified_at is None:
        account.email_verified_at = utcnow()
    throttle.clear_login_failures(account.email)
    end_sessions(account)


def request_password_reset(email: str, *, remote_addr: str | None = None) -> None:
    """Mail a time-limited password-reset link to the account with this address, if any.

    Nothing tells the caller whether the address belongs to an account, so the answer cannot
    be used to probe for one. At most ``MOOC_MAIL_REQUESTS_PER_EMAIL`` links per address are
    sent in the window (further requests are silently dropped); a network address past its
    own limit gets TooManyAttempts whatever the address. Accounts linked to a host
    application's user have no portal password and get no mail.
    """
    email = normalize_email(email)
    if not throttle.address_may_request_mail("reset", remote_addr):
        raise _too_many_mails()
    if not throttle.take_mail_allowance("reset", email, remote_addr):
        return
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
        link=external_url(
            "portal.accounts.reset_password", token=tokens.password_reset_token(account)
        ),
    )
    send_mail(account.email, _("Reset your password"), body)


def _too_many_mails() -> TooManyAttempts:
    return TooManyAttempts(_("Too many requests from your network. Wait an hour, then try again."))


# --- staff invitations -------------------------------------------------------------------


def membership_for_invitation(token: str) -> Membership:
    """The pending membership an invitation link offers. Raises InvalidInput if the link is
    expired, forged, cancelled or already accepted."""
    membership_id, nonce = tokens.read_invitation_token(token)
    membership = session.get(Membership, membership_id)
    if (
        membership is None
        or membership.accepted_at is not None
        or not tokens.same_secret(nonce, membership.invitation_nonce)
        or not membership.account.active
    ):
        raise tokens.used_link()
    return membership


def accept_invitation(
    token: str, *, actor: Account | None, password: str | None = None
) -> Membership:
    """Accept a staff invitation by its link; the membership becomes active.

    The link came to the invited address, so the address counts as confirmed. An invitee
    without a password (a new account) chooses one here; an account that has one must be
    logged in as the invited address (``actor``). Raises InvalidInput, or NotPermitted when
    ``actor`` is someone else.
    """
    membership = membership_for_invitation(token)
    account = membership.account
    if needs_password(account):
        if password is None:
            raise InvalidInput(_("Choose a password."), field="password")
        check_password_strength(password)
        account.password_hash = generate_password_hash(password)
        end_sessions(account)
    else:
        require_invitee(membership, actor)
    if account.email_verified_at is None:
        account.email_verified_at = utcnow()
    membership.accepted_at = utcnow()
    membership.invitation_nonce = None
    session.flush()
    return membership


def require_invitee(membership: Membership, actor: Account | None) -> None:
    """Raise NotPermitted unless ``actor`` is the invited account."""
    if actor is None or actor.id != membership.account_id:
        raise NotPermitted(
            _(
                "This invitation is for %(email)s. Log in with that address to accept it.",
                email=membership.account.email,
            )
        )


def needs_password(account: Account) -> bool:
    """Whether the account has no way to log in yet (invited, never set a password)."""
    return account.password_hash is None and account.host_user_id is None


def new_invitation_nonce() -> str:
    return secrets.token_urlsafe(24)


def find_account_by_email(email: str) -> Account | None:
    return session.scalar(select(Account).where(Account.email == normalize_email(email)))


def make_admin(email: str, password: str, display_name: str) -> Account:
    """Create an administrator, or make an existing account one (``flask portal create-admin``)."""
    account = find_account_by_email(email)
    if account is None:
        account = register_account(email, password, display_name, verified=True)
    account.is_admin = True
    session.flush()
    return account


def add_membership(account: Account, institution: Institution, role: StaffRole) -> Membership:
    """Give the account a role at once, without an invitation (operator tools, the demo)."""
    existing = next((m for m in account.memberships if m.institution_id == institution.id), None)
    if existing is not None:
        existing.role = role
        existing.accepted_at = existing.accepted_at or utcnow()
        existing.invitation_nonce = None
        session.flush()
        return existing
    membership = Membership(
        account=account, institution=institution, role=role, accepted_at=utcnow()
    )
    session.add(membership)
    session.flush()
    return membership


def get_account(account_uuid: str) -> Account:
    account = _active_account(account_uuid)
    if account is None:
        raise NotFound(_("No such account."))
    return account
