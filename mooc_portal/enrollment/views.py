"""Enrolment pages: enrol from the course page, the learner's enrolments, the review pages."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any
from uuid import UUID

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import false

from mooc_portal.accounts.permissions import logged_in_account, login_required
from mooc_portal.accounts.services import current_account
from mooc_portal.appctx import current_request
from mooc_portal.audit.services import record_export
from mooc_portal.db import session
from mooc_portal.enrollment import review, services, sharing
from mooc_portal.enrollment.forms import (
    ActionForm,
    CapacityForm,
    DecisionForm,
    ReviewFilterForm,
    name_review_choices,
)
from mooc_portal.enrollment.models import EnrollmentState
from mooc_portal.errors import InvalidInput
from mooc_portal.forms import show_service_error
from mooc_portal.pagination import paginate
from mooc_portal.web import current_language, list_page_request, safe_next_url

bp = Blueprint("enrollment", __name__)

EXPORT_ENDPOINTS = {
    "admin": "portal.admin.enrolments_csv",
    "partner": "portal.enrollment.partner_export",
}
STATE_MESSAGES = {
    EnrollmentState.ENROLLED: _l("You are enrolled."),
    EnrollmentState.PENDING: _l("Your enrolment awaits the organisers' approval."),
    EnrollmentState.WAITLISTED: _l("The run is full: you are on its waitlist."),
}


@bp.app_template_global("mooc_enrolment_action")
def enrolment_action(course: Any, run: Any) -> services.RunAction:
    """For ``enrollment/_run_action.html`` on the course page: the runs of one course cost
    one set of queries per request (the memo is tagged with the request because an app
    context may outlive one)."""
    current = current_request()
    tagged = g.get("mooc_run_actions")
    if tagged is None or tagged[0] is not current:
        tagged = g.mooc_run_actions = (current, {})
    return services.run_action(course, run, current_account(), memo=tagged[1])


def course_page_url(run: Any) -> str:
    """The run's place on its course page (where enrolling leads back to)."""
    slug = services.course_slug(run)
    return url_for("portal.catalog.course_detail", slug=slug, _anchor=f"enrol-{run.uuid}")


@bp.route("/runs/<uuid:run_uuid>/enrol", methods=["POST"])
def enrol(run_uuid: UUID) -> Any:
    run = services.get_run(run_uuid)
    account = current_account()
    if account is None:
        return redirect(url_for("portal.accounts.login", next=course_page_url(run)))
    if not ActionForm().validate_on_submit():
        abort(400)
    if sharing.needs_consent(account, run):
        # The first enrolment with an institution: first show what it will receive.
        services.check_enrollable(run, account)
        return redirect(url_for("portal.privacy.sharing_consent", run_uuid=run.uuid))
    enrollment = services.enroll(run, account, actor=account)
    flash(str(STATE_MESSAGES[enrollment.state_enum]), "success")
    return redirect(course_page_url(enrollment.run))


@bp.route("/my/enrolments")
@login_required
def my_enrolments() -> Any:
    # One page for the learner's enrolments, whatever their state: My learning.
    return redirect(url_for("portal.progress.my_learning"), 301)


@bp.route("/my/enrolments/<uuid:enrollment_uuid>/withdraw", methods=["GET", "POST"])
@login_required
def withdraw(enrollment_uuid: UUID) -> Any:
    account = logged_in_account()
    enrollment = services.get_own_enrollment(enrollment_uuid, account)
    form = ActionForm()
    if form.validate_on_submit():
        services.withdraw(enrollment, actor=account)
        flash(_("You have withdrawn."), "success")
        return redirect(url_for("portal.progress.my_learning"))
    if request.method == "POST":
        abort(400)
    return render_template(
        "mooc_portal/enrollment/withdraw_confirm.html", enrollment=enrollment, form=form
    )


# -- review -----------------------------------------------------------------------------------


@bp.route("/partner/enrolments")
@login_required
def partner_review() -> Any:
    return review_page("partner")


@bp.route("/partner/enrolments.csv")
@login_required
def partner_export() -> Any:
    return export_enrolments("partner")


def _filters(form: ReviewFilterForm) -> review.ReviewFilter:
    if not form.validate():
        raise InvalidInput(_("Check the filters."))
    until = form.until.data
    return review.ReviewFilter(
        course=form.course.data or None,
        run=form.run.data or None,
        state=form.state.data or None,
        country=form.country.data or None,
        since=datetime.combine(form.since.data, time(), UTC) if form.since.data else None,
        until=datetime.combine(until + timedelta(days=1), time(), UTC) if until else None,
    )


def review_page(scope: str) -> Any:
    """The enrolments an administrator (``scope="admin"``) or partner staff may review."""
    actor = logged_in_account()
    form = ReviewFilterForm(formdata=request.args)
    runs = review.reviewable_runs(actor, scope=scope)
    name_review_choices(form, runs, current_language())
    status = 200
    try:
        filters = _filters(form)
        statement = review.review_query(actor, filters, scope=scope)
    except InvalidInput as error:
        status = show_service_error(form, error)
        statement = review.review_query(actor, review.ReviewFilter(), scope=scope)
        statement = statement.where(false())
    page = paginate(statement, list_page_request())
    filter_args: dict[str, Any] = request.args.to_dict()
    html = render_template(
        "mooc_portal/enrollment/review.html",
        scope=scope,
        form=form,
        page=page,
        enrollments=page.items,
        shared=sharing.sharing_for(page.items, scope=scope),
        positions=services.waitlist_positions(page.items),
        figures=services.run_figures(runs, scope=scope),
        decision_form=DecisionForm(formdata=None),
        capacity_form=CapacityForm(formdata=None),
        action_form=ActionForm(formdata=None),
        page_url=request.full_path,
        export_url=url_for(EXPORT_ENDPOINTS[scope], **filter_args),
    )
    return html, status


def export_enrolments(scope: str) -> Response:
    """The reviewed enrolments as CSV; the export is recorded (who saw whose data)."""
    actor = logged_in_account()
    statement = review.review_query(
        actor, _filters(ReviewFilterForm(formdata=request.args)), scope=scope
    )
    rows = list(session.scalars(statement))
    body = review.export_csv(rows, scope=scope)
    learners = len({e.account_id for e in rows})
    record_export(actor, what="enrolments", learners=learners, scope=scope)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="enrolments-{stamp}.csv"'},
    )


@bp.route("/enrolments/decide", methods=["POST"])
@login_required
def decide() -> Any:
    form = DecisionForm()
    if not form.validate_on_submit():
        raise InvalidInput(_("Choose a decision and tick at least one enrolment."))
    chosen = services.decide_many(
        form.enrollments.data or [],
        form.decision.data,
        actor=logged_in_account(),
        reason=form.reason.data or "",
    )
    flash(
        ngettext("%(num)d enrolment updated.", "%(num)d enrolments updated.", len(chosen)),
        "success",
    )
    return redirect(safe_next_url(form.next.data, "portal.admin.enrolments"))


@bp.route("/enrolments/<uuid:enrollment_uuid>/promote", methods=["POST"])
@login_required
def promote(enrollment_uuid: UUID) -> Any:
    if not ActionForm().validate_on_submit():
        abort(400)
    enrollment = services.get_enrollment(enrollment_uuid)
    services.promote_from_waitlist(enrollment, actor=logged_in_account())
    flash(_("%(name)s is enrolled.", name=enrollment.account.shown_name), "success")
    return redirect(safe_next_url(request.form.get("next"), "portal.admin.enrolments"))


@bp.route("/runs/<uuid:run_uuid>/capacity", methods=["POST"])
@login_required
def set_capacity(run_uuid: UUID) -> Any:
    run = services.get_run(run_uuid)
    form = CapacityForm()
    if not form.validate_on_submit():
        message = " ".join(form.capacity.errors) or _("The form has expired; try again.")
        raise InvalidInput(message, field="capacity")
    promoted = services.set_capacity(run, form.capacity.data, actor=logged_in_account())
    flash(
        ngettext(
            "Capacity saved; %(num)d learner promoted from the waitlist.",
            "Capacity saved; %(num)d learners promoted from the waitlist.",
            len(promoted),
        ),
        "success",
    )
    return redirect(safe_next_url(form.next.data, "portal.admin.enrolments"))
