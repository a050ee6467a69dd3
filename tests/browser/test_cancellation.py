"""Cancelling a run in a real browser (issue 12, defect 2): the manager is told what will happen
and confirms; the learner finds the run's end and the course's other runs, on a phone too."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from mooc_portal.accounts.models import Account
from mooc_portal.catalog.models import Course
from mooc_portal.db import session, utcnow
from mooc_portal.demo import DEMO_PASSWORD
from mooc_portal.enrollment import services as enrolment
from mooc_portal.enrollment.models import ACTIVE_STATES, Enrollment
from mooc_portal.institutions.models import Institution
from tests.browser.conftest import PHONE, log_in
from tests.factories import make_run

pytestmark = pytest.mark.browser

# A learner who reads the portal in English (hanoi, bangkok, paris and berlin use their own
# languages).
LEARNER = "learner.helsinki@asem-mooc.example"


def _run_with_a_learner(app) -> tuple[str, str, str, str]:
    """A new run of a Hanbit course the learner holds nothing in, beside an open one; the
    learner enrols in the new run. (course uuid, slug, new run uuid, other run uuid)"""
    with app.app_context():
        learner = session.scalar(select(Account).where(Account.email == LEARNER))
        held = set(
            session.scalars(
                select(Enrollment.course_id).where(
                    Enrollment.account_id == learner.id, Enrollment.state.in_(ACTIVE_STATES)
                )
            )
        )
        courses = session.scalars(
            select(Course)
            .join(Institution)
            .where(Institution.slug == "hanbit-national-university", Course.status == "published")
            .order_by(Course.id)
        )
        course = next(c for c in courses if c.id not in held)
        now = utcnow()
        other = make_run(course, start=now + timedelta(days=40), enrollment_start_at=now)
        run = make_run(course, start=now + timedelta(days=9), enrollment_start_at=now)
        enrolment.enroll(run, learner, actor=learner)
        session.commit()
        return str(course.uuid), course.slug, str(run.uuid), str(other.uuid)


def test_manager_cancels_and_the_learner_is_shown_the_way_on(browser, portal_server, tmp_path):
    course_uuid, slug, run_uuid, other_uuid = _run_with_a_learner(portal_server.app)
    manager = browser.new_context(locale="en-GB")
    try:
        log_in(manager, portal_server, "manager.hanbit@asem-mooc.example", DEMO_PASSWORD)
        page = manager.new_page()
        page.goto(portal_server(f"/partner/courses/{course_uuid}/"))
        asked = []

        def accept(dialog):
            asked.append(dialog.message)
            dialog.accept()

        page.on("dialog", accept)
        page.locator(f"form[action$='/runs/{run_uuid}/cancel']").get_by_role("button").click()
        page.wait_for_load_state("load")
        assert asked == [
            "Cancel this run for good? Its 1 learner (enrolled, pending or waitlisted) will be "
            "told by mail and offered the course's other runs."
        ]
        flash = page.locator(".flash").first.inner_text()
        assert "1 learner was told by mail and offered the course's other runs" in flash
    finally:
        manager.close()

    learner = browser.new_context(locale="en-GB", viewport=PHONE)
    try:
        log_in(learner, portal_server, LEARNER, DEMO_PASSWORD)
        page = learner.new_page()
        page.goto(portal_server("/my/learning"))
        section = page.locator("section", has=page.get_by_role("heading", name="Ended enrolments"))
        assert "The organisers cancelled this run on" in section.inner_text()
        page.screenshot(path=str(tmp_path / "my-learning-cancelled.png"), full_page=True)
        section.locator(f"a[href$='#enrol-{other_uuid}']").click()
        page.wait_for_load_state("load")
        assert page.url.endswith(f"/courses/{slug}#enrol-{other_uuid}")
        notice = page.locator(".enrolment-cancelled-notice").inner_text()
        assert "that you had joined was cancelled" in notice
        page.locator(f"#enrol-{other_uuid}").get_by_role("button").click()
        page.wait_for_load_state("load")
        if "/sharing" in page.url:  # first enrolment with this institution: consent first
            page.locator("main form button[type=submit]").first.click()
            page.wait_for_load_state("load")
        assert "You are enrolled." in page.locator(f"#enrol-{other_uuid}").inner_text()
    finally:
        learner.close()
