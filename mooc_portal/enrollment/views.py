"""Enrolment pages: enrol from the course page, the learner's enrolments, the review pages."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit
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
from werkzeug.datastructures import MultiDict

from mooc_portal.accounts.permissions import logged_in_account, login_required
from mooc_portal.accounts.services import current_account
from mooc_portal.appctx import current_request
from mooc_portal.audit.services import record_export
from mooc_portal.catalog.services import course_page, get_public_course
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
from mooc_portal.errors import Conflict, InvalidInput, NotFound, NotPermitted
from mooc_portal.forms import service_errors_shown_on, show_service_error, shown_error_status
from mooc_portal.pagination import paginate
from mooc_portal.transaction import no_commit
from mooc_portal.web import current_language, list_page_request, safe_next_url, show_as_page_at

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
    try:
        if sharing.needs_consent(account, run):
            # The first enrolment with an institution: first show what it will receive.
            services.check_enrollable(run, account)
            return redirect(url_for("portal.privacy.sharing_consent", run_uuid=run.uuid))
        enrollment = services.enroll(run, account, actor=account)
    except Conflict as error:
        return refused_on_course_page(run, error)
    flash(str(STATE_MESSAGES[enrollment.state_enum]), "success")
    return redirect(course_page_url(enrollment.run))


def refused_on_course_page(run: Any, error: Conflict) -> Any:
    """The course page again, the refusal (a closed run, an enrolment already held) beside
    the run's enrol button, with the refusal's status. A course the learner may not see, or
    a cancelled run (the course page lists none), gets the error page with the message."""
    no_commit()
    session.rollback()
    if run.cancelled:
        raise error
    try:
        course = get_public_course(services.course_slug(run))
    except NotFound:
        raise error from None
    show_as_page_at("portal.catalog.course_detail", slug=course.slug)
    html = render_template(
        "mooc_portal/catalog/course_detail.html",
        **course_page(course),
        refused_run=run.uuid,
        refused_message=error.message,
    )
    return html, error.status


@bp.route("/my/enrolments")
@login_required
def my_enrolments() -> Any:
    # One page for the learner's enrolments, whatever their state: My learning.
    return redirect(url_for("portal.progress.my_learning"), 301)


class WithdrawalRefused(Exception):
    """A learner's withdrawal the service refused: shown on My learning, beside the enrolment."""

    def __init__(self, enrollment_uuid: UUID, message: str, status: int) -> None:
        super().__init__(message)
        self.enrollment_uuid, self.message, self.status = enrollment_uuid, message, status


@bp.route("/my/enrolments/<uuid:enrollment_uuid>/withdraw", methods=["GET", "POST"])
@login_required
def withdraw(enrollment_uuid: UUID) -> Any:
    account = logged_in_account()
    enrollment = services.get_own_enrollment(enrollment_uuid, account)
    form = ActionForm()
    if form.validate_on_submit():
        try:
            services.withdraw(enrollment, actor=account)
        except Conflict as error:
            # Too late (withdrawn already, completed, decided): My learning again, the
            # message beside that enrolment (drawn by the progress blueprint, which owns
            # that page: ``WithdrawalRefused``).
            no_commit()
            session.rollback()
            raise WithdrawalRefused(enrollment.uuid, error.message, error.status) from error
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


REVIEW_ENDPOINTS = {
    "admin": "portal.admin.enrolments",
    "partner": "portal.enrollment.partner_review",
}
REFUSALS = (InvalidInput, Conflict)
"""The service errors a review page shows again with what was entered; a refusal of the actor
(NotPermitted) or of a missing enrolment (NotFound) reaches the error page."""


@dataclass
class Refused:
    """A submission from the review page that was refused, shown again on the page with what
    was entered: the decision with the ticked enrolments, or one run's capacity, or a
    promotion (its message above the enrolments). ``status`` is the page's answer: the
    refusing error's (400, or 409 for a conflict such as a full run)."""

    status: int = 400
    decision_form: DecisionForm | None = None
    capacity_form: CapacityForm | None = None
    capacity_run: UUID | None = None
    messages: list[str] = field(default_factory=list)


def review_page(
    scope: str, args: MultiDict[str, str] | None = None, refused: Refused | None = None
) -> Any:
    """The enrolments an administrator (``scope="admin"``) or partner staff may review.

    ``args`` is the list's query (its filters and page) when a POST shows the page again with
    a ``refused`` submission.
    """
    actor = logged_in_account()
    args = request.args if args is None else args
    endpoint = REVIEW_ENDPOINTS[scope]
    runs = review.reviewable_runs(actor, scope=scope)
    page_url = request.full_path if refused is None else show_as_page_at(endpoint, args)
    form = ReviewFilterForm(formdata=args)
    name_review_choices(form, runs, current_language())
    status = 200 if refused is None else refused.status
    try:
        filters = _filters(form)
        statement = review.review_query(actor, filters, scope=scope)
    except InvalidInput as error:
        status = show_service_error(form, error)
        statement = review.review_query(actor, review.ReviewFilter(), scope=scope)
        statement = statement.where(false())
    page = paginate(statement, list_page_request(args=args))
    filter_args: dict[str, Any] = args.to_dict()
    refused = refused or Refused()
    decision_form = refused.decision_form or DecisionForm(formdata=None)
    capacity_form = refused.capacity_form or CapacityForm(formdata=None)
    error_summary: list[tuple[str | None, str]] = [(None, m) for m in refused.messages]
    for shown in (decision_form.decision, decision_form.reason):
        error_summary += [(shown.id, str(m)) for m in shown.errors]
    if refused.capacity_run is not None:
        anchor = f"capacity-{refused.capacity_run}"
        error_summary += [(anchor, str(m)) for m in capacity_form.capacity.errors]
    html = render_template(
        "mooc_portal/enrollment/review.html",
        scope=scope,
        form=form,
        page=page,
        enrollments=page.items,
        shared=sharing.sharing_for(page.items, scope=scope),
        positions=services.waitlist_positions(page.items),
        figures=services.run_figures(runs, scope=scope),
        decision_form=decision_form,
        ticked=set(decision_form.enrollments.data or []),
        capacity_form=capacity_form,
        error_summary=error_summary,
        capacity_run=refused.capacity_run,
        refused_messages=refused.messages,
        action_form=ActionForm(formdata=None),
        review_url=url_for(endpoint),
        review_endpoint=endpoint,
        page_url=page_url,
        export_url=url_for(EXPORT_ENDPOINTS[scope], **filter_args),
    )
    return html, status


def back_to_review(next_url: str | None, refused: Refused) -> Any:
    """The review page a refused submission came from (its ``next`` address), shown again
    with what was entered and the messages at their fields. Someone who may review no
    enrolments gets the bare error page with the refusal's status."""
    # The list shows what is stored: a decision on several enrolments refused half-way has
    # changed the first ones in the session; nothing of the attempt stays.
    no_commit()
    session.rollback()
    actor = logged_in_account()
    parts = urlsplit(next_url or "")
    if parts.scheme or parts.netloc:
        parts = urlsplit("")
    if parts.path in (url_for(REVIEW_ENDPOINTS["admin"]), url_for(REVIEW_ENDPOINTS["partner"])):
        scope = "admin" if parts.path == url_for(REVIEW_ENDPOINTS["admin"]) else "partner"
        args: MultiDict[str, str] = MultiDict(parse_qsl(parts.query))
    else:
        scope, args = ("admin" if actor.is_admin else "partner"), MultiDict()
    try:
        return review_page(scope, args, refused)
    except NotPermitted:
        abort(refused.status)


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


EXPIRED = _l("The form has expired; try again.")


@bp.route("/enrolments/decide", methods=["POST"])
@login_required
def decide() -> Any:
    form = DecisionForm()
    if form.validate_on_submit():
        with service_errors_shown_on(form, REFUSALS):
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
    messages = [*form.form_errors, *form.enrollments.errors]
    if form.csrf_token.errors:
        messages.append(str(EXPIRED))
    refused = Refused(shown_error_status(form) or 400, decision_form=form, messages=messages)
    return back_to_review(form.next.data, refused)


@bp.route("/enrolments/<uuid:enrollment_uuid>/promote", methods=["POST"])
@login_required
def promote(enrollment_uuid: UUID) -> Any:
    next_url = request.form.get("next")
    if not ActionForm().validate_on_submit():
        return back_to_review(next_url, Refused(messages=[str(EXPIRED)]))
    enrollment = services.get_enrollment(enrollment_uuid)
    name = enrollment.account.shown_name
    try:
        services.promote_from_waitlist(enrollment, actor=logged_in_account())
    except REFUSALS as error:
        no_commit()
        message = _("%(name)s: %(message)s", name=name, message=error.message)
        return back_to_review(next_url, Refused(error.status, messages=[message]))
    flash(_("%(name)s is enrolled.", name=name), "success")
    return redirect(safe_next_url(next_url, "portal.admin.enrolments"))


@bp.route("/runs/<uuid:run_uuid>/capacity", methods=["POST"])
@login_required
def set_capacity(run_uuid: UUID) -> Any:
    run = services.get_run(run_uuid)
    form = CapacityForm()
    if form.validate_on_submit():
        with service_errors_shown_on(form, REFUSALS):
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
    if form.csrf_token.errors:
        form.capacity.errors = [*form.capacity.errors, str(EXPIRED)]
    refused = Refused(
        shown_error_status(form) or 400,
        capacity_form=form,
        capacity_run=run.uuid,
        messages=list(form.form_errors),
    )
    return back_to_review(form.next.data, refused)
