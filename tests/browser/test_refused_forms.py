"""Issue 12, defect 5, in a real browser: a decision or a promotion the services refuse comes
back on the review list with the message at its field and what was chosen kept (the demo's
approval run has two pending learners, its full run a waitlist). Nothing is changed."""

from __future__ import annotations

import pytest

from mooc_portal.demo import DEMO_PASSWORD
from tests.browser.conftest import DESKTOP, PHONE, log_in
from tests.browser.test_accessibility import describe, run_axe

pytestmark = pytest.mark.browser

MANAGER = "manager.hanbit@asem-mooc.example"


@pytest.mark.parametrize(
    "viewport", [pytest.param(DESKTOP, id="desktop"), pytest.param(PHONE, id="phone")]
)
def test_a_rejection_without_a_reason_keeps_the_ticks_and_the_decision(
    browser, axe_source, portal_server, viewport
):
    context = browser.new_context(viewport=viewport, locale="en-GB", bypass_csp=True)
    log_in(context, portal_server, MANAGER, DEMO_PASSWORD)
    try:
        page = context.new_page()
        page.goto(portal_server("/partner/enrolments?state=pending"))
        boxes = page.locator("input[name=enrollments]")
        assert boxes.count() >= 1
        boxes.first.check()
        ticked = boxes.first.get_attribute("value")
        page.get_by_label("Decision").select_option("reject")
        page.get_by_role("button", name="Apply to selected").click()
        page.wait_for_load_state("load")

        reason = page.get_by_label("Reason (required to reject)")
        assert reason.get_attribute("aria-invalid") == "true"
        assert page.locator("#reason-error").inner_text() == "Give the reason for the rejection."
        assert "Give the reason for the rejection." in page.get_by_role("alert").inner_text()
        assert page.locator(f"input[name=enrollments][value='{ticked}']").is_checked()
        assert page.get_by_label("Decision").input_value() == "reject"
        assert page.get_by_label("State").input_value() == "pending"  # the same list
        # The summary's link leads to the field.
        page.get_by_role("alert").get_by_role("link").click()
        assert page.evaluate("document.activeElement.id") in ("reason", "")
        assert page.url.endswith("#reason")
        violations = run_axe(page, axe_source)
        assert not violations, describe(violations)
    finally:
        context.close()


def test_promoting_into_the_full_run_says_so_on_the_list(browser, portal_server):
    context = browser.new_context(viewport=DESKTOP, locale="en-GB")
    log_in(context, portal_server, MANAGER, DEMO_PASSWORD)
    try:
        page = context.new_page()
        page.goto(portal_server("/partner/enrolments?state=waitlisted"))
        page.get_by_role("button", name="Promote").first.click()
        page.wait_for_load_state("load")
        alert = page.get_by_role("alert").inner_text()
        assert "The run is full. Raise its capacity first." in alert
        assert page.get_by_role("heading", level=1).inner_text() == (
            "Enrolments of your institution's runs"
        )
        assert page.get_by_label("State").input_value() == "waitlisted"
        assert page.get_by_role("button", name="Promote").count() >= 1  # still waiting
    finally:
        context.close()
