"""Account pages: register, log in and out, profile, change and reset the password.

In a host application that has its own Flask-Login, the host owns logging in: the portal's
login and register pages send the visitor to the host's login page, and the password pages
do not exist (a linked account has no portal password).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_url, login_user, logout_user

from mooc_portal.accounts import services
from mooc_portal.accounts.forms import (
    ChangePasswordForm,
    ForgotPasswordForm,
    LoginForm,
    ProfileForm,
    RegisterForm,
    ResetPasswordForm,
)
from mooc_portal.accounts.permissions import login_required
from mooc_portal.errors import PortalError, TooManyAttempts
from mooc_portal.forms import form_status, service_errors_shown_on
from mooc_portal.signals import registration_submitted
from mooc_portal.transaction import no_commit
from mooc_portal.web import require_csrf, safe_next_url

bp = Blueprint("accounts", __name__, url_prefix="/account")

PORTAL_LOGIN_ONLY = {
    "login",
    "register",
    "change_password",
    "forgot_password",
    "reset_password",
    "end_other_sessions",
}


@bp.before_request
def defer_to_host_login() -> Any:
    if _portal_owns_login() or request.endpoint is None:
        return None
    view = request.endpoint.rsplit(".", 1)[-1]
    if view in ("login", "register"):
        # Flask-Login (untyped) sets app.login_manager, which Flask's type does not declare.
        host_login = current_app.login_manager.login_view  # type: ignore[attr-defined]
        if not host_login:
            abort(404)
        return redirect(login_url(host_login, _next_target()))
    if view in PORTAL_LOGIN_ONLY:
        abort(404)
    return None


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    next_url = _next_target()
    if services.current_account() is not None:
        return redirect(next_url)
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            account = services.authenticate(
                form.email.data, form.password.data, remote_addr=request.remote_addr
            )
        except TooManyAttempts as error:
            no_commit()
            form.password.errors.append(error.message)
            status = error.status
        else:
            if account is not None:
                login_user(account, remember=form.remember.data)
                return redirect(next_url)
            # The failed attempt authenticate() recorded is committed: it counts towards
            # the throttle.
            form.password.errors.append(_("E-mail address or password is not correct."))
    else:
        status = form_status(form)
    return render_template("mooc_portal/accounts/login.html", form=form, next=_next_param()), status


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    require_csrf()
    account = services.current_account()
    if account is not None and _portal_owns_login():
        # A copy of the session cookie kept elsewhere stops working too.
        services.end_sessions(account)
    logout_user()
    flash(_("You are logged out."), "success")
    return redirect(url_for("portal.web.home"))


@bp.route("/register", methods=["GET", "POST"])
def register() -> Any:
    if services.current_account() is not None:
        return redirect(url_for("portal.accounts.profile"))
    form = RegisterForm()
    if request.method == "GET":
        form.preferred_language.data = _page_language()
    if form.validate_on_submit():
        with service_errors_shown_on(form):
            account = services.request_registration(
                form.email.data,
                form.password.data,
                form.display_name.data,
                country=form.country.data or None,
                preferred_language=form.preferred_language.data,
                remote_addr=request.remote_addr,
            )
            if account is not None:  # privacy records the notice this new learner was shown
                # Flask declares current_app as Flask, not as the LocalProxy it is: mypy does not
                # know _get_current_object (the app itself, the signal's sender).
                registration_submitted.send(current_app._get_current_object(), account=account)  # type: ignore[attr-defined]
            # The same answer whether or not the address already has an account.
            flash(
                _(
                    "We have sent a message to %(email)s. Open the link in it to confirm your "
                    "address, then log in.",
                    email=services.normalize_email(form.email.data),
                ),
                "success",
            )
            return redirect(url_for("portal.accounts.login", next=_next_param()))
    return render_template("mooc_portal/accounts/register.html", form=form), form_status(form)


@bp.route("/confirm/<token>")
def confirm_email(token: str) -> Any:
    """A link mailed to an address: the address is confirmed (or becomes the new one)."""
    services.confirm_email(token)
    flash(_("Your e-mail address is confirmed."), "success")
    if services.current_account() is None:
        return redirect(url_for("portal.accounts.login"))
    return redirect(url_for("portal.accounts.profile"))


@bp.route("/confirm", methods=["POST"])
@login_required
def resend_confirmation() -> Any:
    require_csrf()
    account = services.current_account()
    assert account is not None
    if services.resend_email_verification(account, remote_addr=request.remote_addr):
        flash(_("We have sent the link again. It may take a few minutes to arrive."), "success")
    return redirect(url_for("portal.accounts.profile"))


@bp.route("/sessions/end", methods=["POST"])
@login_required
def end_other_sessions() -> Any:
    """Log out everywhere else (every other browser, every remember-me cookie)."""
    require_csrf()
    account = services.current_account()
    assert account is not None
    services.end_sessions(account)
    login_user(account)
    flash(_("You are logged out on every other device."), "success")
    return redirect(url_for("portal.accounts.profile"))


@bp.route("/", methods=["GET", "POST"])
@login_required
def profile() -> Any:
    account = services.current_account()
    assert account is not None
    form = ProfileForm(obj=account)
    if request.method == "GET" and not account.preferred_language:
        form.preferred_language.data = _page_language()
    if form.validate_on_submit():
        with service_errors_shown_on(form):
            new_address = services.update_profile(
                account,
                actor=account,
                display_name=form.display_name.data,
                email=form.email.data,
                country=form.country.data or None,
                preferred_language=form.preferred_language.data,
                timezone=form.timezone.data or None,
                current_password=form.current_password.data,
            )
            flash(_("Your profile is saved."), "success")
            if new_address:
                flash(
                    _(
                        "We have sent a link to %(email)s. Your e-mail address changes when "
                        "you open it.",
                        email=services.normalize_email(form.email.data),
                    ),
                    "success",
                )
            return redirect(url_for("portal.accounts.profile"))
    return render_template(
        "mooc_portal/accounts/profile.html", form=form, account=account
    ), form_status(form)


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password() -> Any:
    account = services.current_account()
    assert account is not None
    if not account.password_hash:
        abort(404)
    form = ChangePasswordForm()
    if form.validate_on_submit():
        with service_errors_shown_on(form):
            services.change_password(account, form.current_password.data, form.password.data)
            # Every other session has ended; this one goes on under the new session version.
            login_user(account)
            flash(_("Your password is changed."), "success")
            return redirect(url_for("portal.accounts.profile"))
    return render_template("mooc_portal/accounts/change_password.html", form=form), form_status(
        form
    )


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password() -> Any:
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data, remote_addr=request.remote_addr)
        # The same answer whether or not the address has an account.
        flash(
            _(
                "If an account uses this address, we have sent it a link to choose a new "
                "password. The link works for a limited time."
            ),
            "success",
        )
        return redirect(url_for("portal.accounts.login"))
    return render_template("mooc_portal/accounts/forgot_password.html", form=form), form_status(
        form
    )


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> Any:
    try:
        services.account_for_reset_token(token)
    except PortalError as error:
        return render_template(
            "mooc_portal/accounts/reset_password.html", form=None, problem=error
        ), 400
    form = ResetPasswordForm()
    if form.validate_on_submit():
        with service_errors_shown_on(form):
            services.reset_password(token, form.password.data)
            flash(_("Your password is changed. Log in with it now."), "success")
            return redirect(url_for("portal.accounts.login"))
    return render_template(
        "mooc_portal/accounts/reset_password.html", form=form, problem=None
    ), form_status(form)


def _portal_owns_login() -> bool:
    return bool(current_app.extensions["mooc_portal"].owns_login)


def _next_param() -> str | None:
    target = request.args.get("next")
    return target if target and safe_next_url(target) == target else None


def _next_target() -> str:
    return safe_next_url(request.args.get("next"))


def _page_language() -> str:
    from mooc_portal.web import current_language

    return current_language()
