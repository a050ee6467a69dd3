"""Partner staff in a real browser: destructive actions ask first (portal.js, no inline script)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from mooc_portal.catalog.models import Course, CourseRun
from mooc_portal.db import session
from mooc_portal.demo import DEMO_PASSWORD
from mooc_portal.institutions.models import Institution
from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser


def _hanbit_run(app) -> tuple[str, str, int]:
    """A Hanbit course with a run that is not cancelled: (course uuid, run uuid, run id)."""
    with app.app_context():
        run = session.scalars(
            select(CourseRun)
            .join(Course)
            .join(Institution)
            .where(Institution.slug == "hanbit-national-university")
            .where(CourseRun.cancelled.is_(False))
            .limit(1)
        ).one()
        return str(run.course.uuid), str(run.uuid), run.id


def test_cancelling_a_run_asks_first_and_nothing_happens_when_declined(browser, portal_server):
    course_uuid, run_uuid, run_id = _hanbit_run(portal_server.app)
    context = browser.new_context(locale="en-GB")
    try:
        log_in(context, portal_server, "manager.hanbit@asem-mooc.example", DEMO_PASSWORD)
        page = context.new_page()
        page.goto(portal_server(f"/partner/courses/{course_uuid}/"))
        asked = []

        def decline(dialog):
            asked.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", decline)
        form = page.locator(f"form[action$='/runs/{run_uuid}/cancel']")
        form.get_by_role("button").click()
        page.wait_for_timeout(300)
        assert len(asked) == 1 and asked[0].startswith("Cancel this run for good?")
        assert page.url.endswith(f"/partner/courses/{course_uuid}/")  # the form was not sent
        with portal_server.app.app_context():
            assert session.get(CourseRun, run_id).cancelled is False
    finally:
        context.close()


@pytest.mark.parametrize("page_path", ["xapi/credentials", "api-tokens"])
def test_credential_pages_sit_in_the_page_margins_and_lead_back(browser, portal_server, page_path):
    """On a phone, the xAPI credentials and API tokens pages keep the margins of every other
    partner page (nothing flush against the screen edge) and lead back to the dashboard."""
    context = browser.new_context(locale="en-GB", viewport={"width": 390, "height": 844})
    try:
        log_in(context, portal_server, "manager.hanbit@asem-mooc.example", DEMO_PASSWORD)
        page = context.new_page()
        page.goto(portal_server(f"/partner/hanbit-national-university/{page_path}"))
        for element in (page.locator("main h1"), page.locator("main form button").last):
            assert element.bounding_box()["x"] >= 12
        back = page.get_by_role("link", name="Back to the dashboard")
        back.click()
        assert page.url == portal_server("/partner/hanbit-national-university/")
    finally:
        context.close()
