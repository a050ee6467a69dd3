"""Account pages: register, log in, log out, profile."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import login_required, login_user, logout_user

from mooc_portal.accounts import services
from mooc_portal.accounts.forms import LoginForm, RegisterForm
from mooc_portal.errors import PortalError
from mooc_portal.web import require_csrf, safe_next_url

bp = Blueprint("accounts", __name__, url_prefix="/account")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    form = LoginForm()
    if form.validate_on_submit():
        account = services.authenticate(
            form.email.data, form.password.data, remote_addr=request.remote_addr
        )
        if account is not None:
            login_user(account)
            return redirect(safe_next_url(request.args.get("next")))
        form.password.errors.append("E-mail address or password is not correct.")
    return render_template("accounts/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    require_csrf()
    logout_user()
    return redirect(url_for("portal.web.home"))


@bp.route("/register", methods=["GET", "POST"])
def register() -> Any:
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            account = services.register_account(
                form.email.data, form.password.data, form.display_name.data
            )
        except PortalError as error:
            getattr(form, error.field or "email").errors.append(error.message)
        else:
            login_user(account)
            return redirect(url_for("portal.web.home"))
    return render_template("accounts/register.html", form=form)


@bp.route("/")
@login_required
def profile() -> str:
    return render_template("accounts/profile.html")
