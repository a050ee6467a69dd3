"""Who may see a view: decorators and checks for every domain's views.

They work in the standalone portal and in a host application: "logged in" means that
:func:`~mooc_portal.accounts.services.current_account` has an account, and an anonymous visitor
is sent to whichever login page the application's Flask-Login ``LoginManager`` names (the
portal's own, or the host's ``login_manager.login_view``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import current_app
from flask_babel import gettext as _

from mooc_portal.accounts.models import Account, StaffRole
from mooc_portal.accounts.services import current_account
from mooc_portal.errors import NotPermitted

F = TypeVar("F", bound=Callable[..., Any])


def login_required(view: F) -> F:
    """Send an anonymous visitor to the login page (with ``next``), else run the view."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current_account() is None:
            return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def admin_required(view: F) -> F:
    """Like :func:`login_required`, and answer 403 to an account that is no administrator."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        account = current_account()
        if account is None:
            return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
        require_admin(account)
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def staff_required(view: F) -> F:
    """Like :func:`login_required`, and answer 403 unless the account is partner staff (of
    any institution) or an administrator. Checks on one institution belong in its services."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        account = current_account()
        if account is None:
            return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
        if not (account.is_admin or account.is_staff):
            raise NotPermitted(_("This page is for partner staff."))
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def require_admin(account: Account | None) -> Account:
    """``account`` when it is an administrator; else raise NotPermitted (403)."""
    if account is None or not account.is_admin:
        raise NotPermitted(_("This page is for administrators."))
    return account


def require_staff(
    account: Account | None, institution_id: int, *, role: StaffRole = StaffRole.EDITOR
) -> Account:
    """``account`` when it has at least ``role`` in the institution (managers may do what
    editors may) or is an administrator; else raise NotPermitted (403)."""
    if account is None or not account.may_act_for(institution_id, role):
        raise NotPermitted(_("You are not allowed to do this for this institution."))
    return account
