"""Who may open a view: the portal's only access decorators, and the checks services share.

Every route that needs an account says so with one of the two decorators, named for what
they check:

- :func:`login_required`: a logged-in account (anonymous visitors go to the log-in page);
- :func:`admin_required`: a logged-in administrator (others get 403).

What depends on the object (staff of *this* institution, the learner of *this* enrolment) is
decided by the services from the acting account, never by a decorator.

They work in the standalone portal and in a host application: "logged in" means that
:func:`~mooc_portal.accounts.services.current_account` has an account, and an anonymous visitor
is sent to whichever login page the application's Flask-Login ``LoginManager`` names (the
portal's own, or the host's ``login_manager.login_view``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import current_app
from flask_babel import gettext as _

from mooc_portal.accounts.models import Account
from mooc_portal.accounts.services import current_account
from mooc_portal.errors import NotPermitted

F = TypeVar("F", bound=Callable[..., Any])


def to_login_page() -> Any:
    """The answer that sends an anonymous visitor to the log-in page (and back here after)."""
    # Flask-Login (untyped) sets app.login_manager, which Flask's type does not declare.
    return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]


def login_required(view: F) -> F:
    """Send an anonymous visitor to the login page (with ``next``), else run the view."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current_account() is None:
            return to_login_page()
        return view(*args, **kwargs)

    return cast(F, wrapper)


def admin_required(view: F) -> F:
    """Like :func:`login_required`, and answer 403 to an account that is no administrator."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        account = current_account()
        if account is None:
            return to_login_page()
        require_admin(account)
        return view(*args, **kwargs)

    return cast(F, wrapper)


def logged_in_account() -> Account:
    """The acting account of a view behind :func:`login_required` or :func:`admin_required`
    (which run the view only when there is one), or of what such a view calls."""
    account = current_account()
    if account is None:
        raise NotPermitted(_("Log in to continue."))
    return account


def require_admin(account: Account | None) -> Account:
    """``account`` when it is an administrator; else raise NotPermitted (403).

    For services that only administrators may call (the views say ``@admin_required``).
    """
    if account is None or not account.is_admin:
        raise NotPermitted(_("This page is for administrators."))
    return account
