"""Slowing down password guessing and mail flooding, in the database so every host agrees.

Failed logins slow down further attempts for the account and for the network address they came
from: after ``MOOC_LOGIN_MAX_FAILURES`` failures for one account (or
``MOOC_LOGIN_ADDRESS_MAX_FAILURES`` from one address) within ``MOOC_LOGIN_FAILURE_WINDOW``
seconds, the next attempt must wait 1 second after the last failure, then 2, 4, 8, … up to
``MOOC_LOGIN_MAX_DELAY``. A refused attempt is not counted, so the owner of an attacked account
waits at most that long between tries, never for a whole window (a hard lock would let anyone
lock anyone out); a password reset clears the account's failures.

Mails an anonymous visitor can cause (password resets, registration notices) are limited per
e-mail address and per network address (``MOOC_MAIL_REQUESTS_PER_*`` within
``MOOC_MAIL_REQUEST_WINDOW``).

Written by hand rather than with a rate-limiting library: the counts must be per account and
survive across hosts, so they live in the portal's own tables; coarse per-IP request limits are
a separate layer.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import ColumnElement, delete, func, select

from mooc_portal.accounts.models import LoginAttempt, MailRequest
from mooc_portal.db import session, utcnow


def login_delay(email: str, remote_addr: str | None) -> int:
    """Seconds to wait before another login attempt for ``email`` from ``remote_addr`` (0: go)."""
    config = current_app.config
    since = utcnow() - timedelta(seconds=config["MOOC_LOGIN_FAILURE_WINDOW"])
    waits = [_backoff(LoginAttempt.email == email, since, config["MOOC_LOGIN_MAX_FAILURES"])]
    if remote_addr:
        waits.append(
            _backoff(
                LoginAttempt.remote_addr == remote_addr,
                since,
                config["MOOC_LOGIN_ADDRESS_MAX_FAILURES"],
            )
        )
    return max(waits)


def _backoff(condition: ColumnElement[bool], since: datetime, free: int) -> int:
    count, last = session.execute(
        select(func.count(LoginAttempt.id), func.max(LoginAttempt.at)).where(
            condition,
            LoginAttempt.at >= since,
        )
    ).one()
    if count < free or last is None:
        return 0
    if last.tzinfo is None:  # an aggregate skips the column type's conversion on SQLite
        last = last.replace(tzinfo=utcnow().tzinfo)
    wait = min(current_app.config["MOOC_LOGIN_MAX_DELAY"], 2 ** (count - free))
    remaining = (last + timedelta(seconds=wait) - utcnow()).total_seconds()
    return max(0, math.ceil(remaining))


def record_login_failure(email: str, remote_addr: str | None) -> None:
    # Failures older than the window count for nothing: forget them, so the table stays small.
    since = utcnow() - timedelta(seconds=current_app.config["MOOC_LOGIN_FAILURE_WINDOW"])
    session.execute(delete(LoginAttempt).where(LoginAttempt.at < since))
    session.add(LoginAttempt(email=email, remote_addr=remote_addr))
    session.flush()


def clear_login_failures(email: str) -> None:
    session.execute(delete(LoginAttempt).where(LoginAttempt.email == email))


def address_may_request_mail(kind: str, remote_addr: str | None) -> bool:
    """Whether ``remote_addr`` is still under its limit of ``kind`` mails in the window."""
    if not remote_addr:
        return True
    return _mail_requests(kind, MailRequest.remote_addr == remote_addr) < int(
        current_app.config["MOOC_MAIL_REQUESTS_PER_ADDRESS"]
    )


def take_mail_allowance(kind: str, email: str, remote_addr: str | None) -> bool:
    """Record a request for a ``kind`` mail to ``email``; whether it may be sent (the address
    and the network address are both under their limits)."""
    allowed = address_may_request_mail(kind, remote_addr) and _mail_requests(
        kind, MailRequest.email == email
    ) < int(current_app.config["MOOC_MAIL_REQUESTS_PER_EMAIL"])
    if allowed:
        since = utcnow() - timedelta(seconds=current_app.config["MOOC_MAIL_REQUEST_WINDOW"])
        session.execute(delete(MailRequest).where(MailRequest.at < since))
        session.add(MailRequest(kind=kind, email=email, remote_addr=remote_addr))
        session.flush()
    return allowed


def _mail_requests(kind: str, condition: ColumnElement[bool]) -> int:
    since = utcnow() - timedelta(seconds=current_app.config["MOOC_MAIL_REQUEST_WINDOW"])
    return (
        session.scalar(
            select(func.count(MailRequest.id)).where(
                MailRequest.kind == kind,
                condition,
                MailRequest.at >= since,
            )
        )
        or 0
    )
