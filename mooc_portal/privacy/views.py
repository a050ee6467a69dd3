"""Privacy pages: the notice, acknowledging a new version, sharing before enrolling, my data,
deleting the account, and the administrators' records of processing and notice editor."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import logout_user, user_logged_in
from werkzeug.wrappers import Response as WerkzeugResponse

from mooc_portal.accounts.permissions import logged_in_account, login_required
from mooc_portal.accounts.services import current_account
from mooc_portal.db import utcnow
from mooc_portal.enrollment.sharing import REQUIRED_FIELDS, Sharing
from mooc_portal.enrollment.sharing import visible_state as visible_state_of
from mooc_portal.forms import form_status, service_errors_shown_on
from mooc_portal.numbers import DB_ID
from mooc_portal.privacy import downloads, erasure, export, labels, notices, processing, sharing
from mooc_portal.privacy.forms import (
    AcknowledgeForm,
    DataDownloadForm,
    DeleteAccountForm,
    SharingForm,
)
from mooc_portal.signals import registration_submitted
from mooc_portal.web import current_language, safe_next_url

bp = Blueprint("privacy", __name__)

NOTICE_CHECKED = "mooc_notice_checked"
"""Session key: the account whose notice acknowledgement was checked in this log-in session."""


# -- the notice -------------------------------------------------------------------------------


@bp.app_template_global("mooc_current_privacy_notice")
def current_privacy_notice() -> Any:
    return notices.current_notice()


@bp.app_template_global("mooc_visible_state")
def visible_state(enrollment: Any, shared: Sharing) -> Any:
    """For partner pages: the enrolment's state as the institution may see it."""
    return visible_state_of(enrollment, shared)


@bp.route("/privacy")
def notice() -> str:
    return _notice_page(notices.current_notice())


@bp.route(f"/privacy/v<{DB_ID}:version>")
def notice_version(version: int) -> str:
    return _notice_page(notices.get_notice(version))


def _notice_page(shown: Any, *, form: AcknowledgeForm | None = None) -> str:
    language = current_language()
    return render_template(
        "mooc_portal/privacy/notice.html",
        notice=shown,
        text=notices.notice_text(shown, language) if shown is not None else None,
        versions=notices.all_notices(),
        activities=processing.processing_activities(),
        cookies=processing.cookies(),
        shared_fields=processing.shared_fields(),
        controller=current_app.config["MOOC_PRIVACY_CONTROLLER"],
        contact=current_app.config["MOOC_PRIVACY_CONTACT"],
        form=form,
    )


@bp.route("/privacy/acknowledge", methods=["GET", "POST"])
@login_required
def acknowledge() -> Any:
    account = logged_in_account()
    form = AcknowledgeForm()
    pending = notices.pending_notice(account)
    target = safe_next_url(form.next.data or request.args.get("next"))
    if pending is None:
        session[NOTICE_CHECKED] = str(account.uuid)
        return redirect(target)
    if form.validate_on_submit():
        notices.acknowledge(account, pending, language=current_language(), context="login")
        session[NOTICE_CHECKED] = str(account.uuid)
        return redirect(target)
    if request.method == "GET":
        form.next.data = request.args.get("next") or ""
    return _notice_page(pending, form=form), form_status(form)


NOTICE_CHECK_EXEMPT = (
    "portal.privacy.",
    "portal.admin.privacy_",  # the records and the notice editor (admin/views/privacy.py)
    "portal.static",
    "portal.api.",
    "portal.federation.ooapi.",
    "portal.certificates.certificate_badge",
)
"""Endpoints a learner reaches without first reading a new notice (it, and machine formats)."""


def require_current_notice() -> Any:
    """Before a logged-in page: once per log-in, send the learner to a notice version they have
    not been shown yet (pages of the privacy domain, logging out and the API are let through)."""
    if request.method not in ("GET", "HEAD") or request.endpoint is None:
        return None
    wants = request.accept_mimetypes
    if request.endpoint.startswith(NOTICE_CHECK_EXEMPT) or (wants and not wants.accept_html):
        return None
    if request.endpoint in ("portal.accounts.logout", "portal.web.set_language"):
        return None
    account = current_account()
    if account is None or session.get(NOTICE_CHECKED) == str(account.uuid):
        return None
    if notices.pending_notice(account) is None:
        session[NOTICE_CHECKED] = str(account.uuid)
        return None
    return redirect(url_for("portal.privacy.acknowledge", next=request.full_path))


def _check_at_login(_sender: Any, **_kwargs: Any) -> None:
    """At each log-in: the check is done again (once), here rather than on the next page."""
    session.pop(NOTICE_CHECKED, None)
    account = current_account()
    if account is not None and notices.pending_notice(account) is None:
        session[NOTICE_CHECKED] = str(account.uuid)


def install_privacy_checks(portal: Blueprint) -> None:
    """Called by ``build_blueprint``: the notice check before each page."""
    portal.before_request(require_current_notice)


def install_login_check(app: Flask) -> None:
    """Called by ``init_app``: the check is reset when someone logs in to ``app``, and the
    notice a visitor was shown is recorded when they register there."""
    user_logged_in.connect(_check_at_login, sender=app)
    registration_submitted.connect(_record_at_registration, sender=app)


def _record_at_registration(_sender: Flask, account: Any, **_extra: Any) -> None:
    record_registration_notice(account)


def registration_notice_version() -> int | None:
    """The notice version the registration form says it showed (a hidden field)."""
    value = request.form.get("privacy_notice_version", "")
    return int(value) if value.isdigit() else None


def record_registration_notice(account: Any) -> None:
    """Registration: remember the notice version shown, so the first log-in asks nothing."""
    notices.record_shown_at_registration(
        account, registration_notice_version(), language=current_language()
    )
    if notices.pending_notice(account) is None:
        session[NOTICE_CHECKED] = str(account.uuid)


# -- sharing with partner institutions --------------------------------------------------------


@bp.route("/runs/<uuid:run_uuid>/sharing", methods=["GET", "POST"])
@login_required
def sharing_consent(run_uuid: UUID) -> Any:
    from mooc_portal.enrollment import services as enrolment
    from mooc_portal.enrollment.views import STATE_MESSAGES, course_page_url

    account = logged_in_account()
    run = enrolment.get_run(run_uuid)
    enrolment.check_enrollable(run, account)
    form = SharingForm()
    if form.validate_on_submit():
        enrollment = sharing.enrol_with_consent(
            run,
            account,
            country=form.country.data,
            progress=form.progress.data,
            completion=form.completion.data,
        )
        flash(str(STATE_MESSAGES[enrollment.state_enum]), "success")
        return redirect(course_page_url(enrollment.run))
    institution = run.course.institution
    return render_template(
        "mooc_portal/privacy/sharing.html",
        run=run,
        course=run.course,
        institution=institution,
        form=form,
        required=[sharing.FIELD_LABELS[f] for f in REQUIRED_FIELDS],
        purposes=sharing.FIELD_PURPOSES,
        back=course_page_url(run),
    ), form_status(form)


@bp.route("/account/sharing", methods=["GET", "POST"])
@login_required
def my_sharing() -> Any:
    account = logged_in_account()
    choices = sharing.my_sharing(account)
    if request.method == "POST":
        institution_id = request.form.get("institution", type=int)
        form = SharingForm(prefix=f"i{institution_id}")
        if institution_id not in {c.institution.id for c in choices} or not (
            form.validate_on_submit()
        ):
            abort(400)
        sharing.record_consent(
            account,
            institution_id,
            country=form.country.data,
            progress=form.progress.data,
            completion=form.completion.data,
            actor=account,
        )
        flash(_("Your choice is saved."), "success")
        return redirect(url_for(".my_sharing"))
    forms = {
        c.institution.id: SharingForm(
            formdata=None,
            country=c.consent.share_country,
            progress=c.consent.share_progress,
            completion=c.consent.share_completion,
            prefix=f"i{c.institution.id}",
        )
        for c in choices
    }
    return render_template(
        "mooc_portal/privacy/my_sharing.html",
        choices=choices,
        forms=forms,
        required=[sharing.FIELD_LABELS[f] for f in REQUIRED_FIELDS],
    )


# -- my data ----------------------------------------------------------------------------------


@bp.app_template_global("mooc_data_label")
def data_label(key: str) -> str:
    """For ``privacy/_value.html``: a field of "My data" named in the learner's language."""
    return labels.data_label(key)


@bp.route("/account/my-data")
@login_required
def my_data() -> Any:
    account = logged_in_account()
    background = downloads.built_in_background(account)
    document = None if background else export.personal_data(account)
    response = Response(
        render_template(
            "mooc_portal/privacy/my_data.html",
            data=document,
            download=downloads.latest_download(account),
            form=DataDownloadForm(),
            now=utcnow(),
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/account/my-data/prepare", methods=["POST"])
@login_required
def prepare_my_data() -> Any:
    if not DataDownloadForm().validate_on_submit():
        abort(400)
    downloads.request_data_download(logged_in_account())
    flash(_("Your data is being prepared. We will send you an e-mail when it is ready."), "success")
    return redirect(url_for(".my_data"))


@bp.route("/account/my-data/<token>.json")
@login_required
def my_data_file(token: str) -> Response:
    data = downloads.open_data_download(logged_in_account(), token)
    stamp = datetime.now(UTC).strftime("%Y%m%d")
    response = Response(
        gzip.decompress(data),
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="my-data-{stamp}.json"'},
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/account/my-data.json")
@login_required
def my_data_json() -> WerkzeugResponse:
    account = logged_in_account()
    if downloads.built_in_background(account):
        return redirect(url_for(".my_data"))
    document = export.personal_data(account)
    export.record_access_request(account, channel="self-service")
    stamp = datetime.now(UTC).strftime("%Y%m%d")
    response = Response(
        json.dumps(document, ensure_ascii=False, indent=2),
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="my-data-{stamp}.json"'},
    )
    response.headers["Cache-Control"] = "no-store"
    return response


# -- deleting the account ---------------------------------------------------------------------


@bp.route("/account/delete", methods=["GET", "POST"])
@login_required
def delete_account() -> Any:
    account = logged_in_account()
    form = DeleteAccountForm()
    if form.validate_on_submit():
        with service_errors_shown_on(form):
            erasure.delete_own_account(
                account,
                password=form.password.data,
                certificates=form.certificates.data,
                actor=account,
            )
            logout_user()
            session.clear()
            flash(_("Your account is deleted. Goodbye."), "success")
            return redirect(url_for("portal.web.home"))
    certificates = export.personal_data(account)["certificates"]
    return render_template(
        "mooc_portal/privacy/delete_account.html", form=form, certificates=certificates
    ), form_status(form)
