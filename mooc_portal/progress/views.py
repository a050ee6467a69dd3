"""My learning, the course space of enrolled learners, and the run progress figures."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from flask import Blueprint, Response, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from mooc_portal.accounts.permissions import logged_in_account, login_required
from mooc_portal.accounts.services import current_account
from mooc_portal.audit.services import record_export
from mooc_portal.enrollment import services as enrolment
from mooc_portal.enrollment.views import WithdrawalRefused
from mooc_portal.pagination import paginate_items
from mooc_portal.progress import services
from mooc_portal.video import NotAVideo, Video, parse_video
from mooc_portal.web import list_page_request, require_csrf, show_as_page_at

bp = Blueprint("progress", __name__)


@bp.app_template_global("mooc_lesson_video")
def lesson_video(lesson: Any) -> Video | None:
    """For every page showing a lesson (``lesson_body`` in ``_macros.html``): the lesson's video
    to embed, None without one (or when its site is no longer allowed: the page then links to
    it)."""
    if not lesson.video_url:
        return None
    try:
        return parse_video(lesson.video_url, current_app.config["MOOC_PEERTUBE_INSTANCES"])
    except NotAVideo:
        return None


@bp.route("/my/learning")
@login_required
def my_learning() -> str:
    return render_template(
        "mooc_portal/progress/my_learning.html", learning=services.my_learning(logged_in_account())
    )


@bp.app_errorhandler(WithdrawalRefused)
def withdrawal_refused(error: WithdrawalRefused) -> tuple[str, int]:
    """My learning again, with the refused withdrawal's message beside its enrolment."""
    show_as_page_at("portal.progress.my_learning")
    return render_template(
        "mooc_portal/progress/my_learning.html",
        learning=services.my_learning(logged_in_account()),
        refused_enrollment=error.enrollment_uuid,
        refused_message=error.message,
    ), error.status


@bp.errorhandler(services.RunCancelled)
def run_cancelled(error: services.RunCancelled) -> tuple[str, int]:
    """The course space of a cancelled run: what happened, and the course's other runs."""
    return render_template(
        "mooc_portal/progress/run_cancelled.html",
        run=error.run,
        course=error.run.course,
        alternatives=enrolment.alternative_runs(error.run),
    ), error.status


@bp.route("/learn/<uuid:run_uuid>")
@login_required
def course_space(run_uuid: UUID) -> str:
    enrollment = services.get_learning_enrollment(run_uuid, logged_in_account())
    return _space(enrollment, None)


@bp.route("/learn/<uuid:run_uuid>/lessons/<uuid:lesson_uuid>")
@login_required
def lesson(run_uuid: UUID, lesson_uuid: UUID) -> str:
    account = logged_in_account()
    enrollment = services.get_learning_enrollment(run_uuid, account)
    lesson = services.get_lesson(enrollment, lesson_uuid)
    services.record_visit(enrollment, lesson, actor=account)
    return _space(enrollment, lesson)


def _space(enrollment: Any, lesson: Any) -> str:
    outline = services.outline_of(enrollment.course_id)
    done = services.completed_lesson_ids([enrollment.id])[enrollment.id]
    lessons = outline.lessons
    previous = following = None
    if lesson is not None:
        index = next(i for i, x in enumerate(lessons) if x.id == lesson.id)
        previous = lessons[index - 1] if index > 0 else None
        following = lessons[index + 1] if index + 1 < len(lessons) else None
    return render_template(
        "mooc_portal/progress/course_space.html",
        enrollment=enrollment,
        run=enrollment.run,
        course=enrollment.run.course,
        outline=outline,
        done=done,
        progress=outline.progress(done),
        next_lesson=outline.next_lesson(done),
        left_off=services.last_visited(enrollment) if lesson is None else None,
        lesson=lesson,
        previous=previous,
        following=following,
        certificate=services.certificate_of(enrollment),
    )


@bp.route("/learn/<uuid:run_uuid>/lessons/<uuid:lesson_uuid>/complete", methods=["POST"])
@login_required
def mark_complete(run_uuid: UUID, lesson_uuid: UUID) -> Any:
    return _mark(run_uuid, lesson_uuid, done=True)


@bp.route("/learn/<uuid:run_uuid>/lessons/<uuid:lesson_uuid>/incomplete", methods=["POST"])
@login_required
def mark_incomplete(run_uuid: UUID, lesson_uuid: UUID) -> Any:
    return _mark(run_uuid, lesson_uuid, done=False)


def _mark(run_uuid: UUID, lesson_uuid: UUID, *, done: bool) -> Any:
    require_csrf()
    account = logged_in_account()
    enrollment = services.get_learning_enrollment(run_uuid, account)
    lesson = services.get_lesson(enrollment, lesson_uuid)
    was_completed = enrollment.state == "completed"
    if done:
        progress = services.mark_complete(enrollment, lesson, actor=account)
        if not was_completed and enrollment.state == "completed":
            flash(_("Congratulations: you have completed the course!"), "success")
        else:
            flash(
                _("Marked as complete (%(percent)d%% done).", percent=progress.percent), "success"
            )
    else:
        progress = services.mark_incomplete(enrollment, lesson, actor=account)
        flash(
            _("Marked as not complete (%(percent)d%% done).", percent=progress.percent), "success"
        )
    target = lesson
    if done and enrollment.state != "completed":
        # On to the next lesson not done yet, as a learner working through a course expects.
        lessons = services.outline_of(enrollment.course_id).lessons
        done_ids = services.completed_lesson_ids([enrollment.id])[enrollment.id]
        index = next((i for i, x in enumerate(lessons) if x.id == lesson.id), -1)
        target = next((x for x in lessons[index + 1 :] if x.id not in done_ids), lesson)
    return redirect(url_for(".lesson", run_uuid=run_uuid, lesson_uuid=target.uuid))


# -- figures ----------------------------------------------------------------------------------


@bp.route("/partner/runs/<uuid:run_uuid>/progress")
@login_required
def partner_run_progress(run_uuid: UUID) -> str:
    return run_figures(run_uuid, "partner")


@bp.route("/partner/runs/<uuid:run_uuid>/progress.csv")
@login_required
def partner_run_progress_csv(run_uuid: UUID) -> Response:
    return progress_csv(run_uuid, "partner")


def run_figures(run_uuid: UUID, scope: str) -> str:
    """The progress figures of a run, for an administrator or the run's partner staff."""
    run = enrolment.get_run(run_uuid)
    report = services.run_progress(run, actor=current_account(), scope=scope)
    return render_template(
        "mooc_portal/progress/run_progress.html",
        report=report,
        learners=paginate_items(report.learners, list_page_request()),
        run=run,
        scope=scope,
    )


def progress_csv(run_uuid: UUID, scope: str) -> Response:
    """The run's progress as CSV; the export is recorded (who saw whose data)."""
    run = enrolment.get_run(run_uuid)
    actor = logged_in_account()
    report = services.run_progress(run, actor=actor, scope=scope)
    record_export(
        actor,
        what="progress",
        learners=report.enrolled,
        scope=scope,
        institution_id=run.course.institution_id,
    )
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")
    return Response(
        services.export_csv(report),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="progress-{run.uuid}-{stamp}.csv"'},
    )
