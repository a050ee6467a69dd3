"""Error pages in a real browser (issue 12, defect 5): a missing page offers a search that
works, a refused page leads back to where the visitor came from."""

from __future__ import annotations

import pytest

from mooc_portal.demo import DEMO_PASSWORD
from tests.browser.conftest import PHONE, log_in

pytestmark = pytest.mark.browser


def test_a_missing_page_searches_and_a_refused_one_leads_back(
    browser, portal_server, tmp_path, page_problems
):
    context = browser.new_context(locale="en-GB", viewport=PHONE)
    try:
        page = context.new_page()
        page_problems.watch(page)
        response = page.goto(portal_server("/courses/no-such-course"))
        assert response.status == 404
        assert page.get_by_role("heading", level=1).inner_text() == "Page not found"
        page.screenshot(path=str(tmp_path / "not-found-phone.png"), full_page=True)
        page.get_by_label("Search the courses").fill(portal_server.search_word)
        page.get_by_role("button", name="Search", exact=True).click()
        page.wait_for_load_state("load")
        assert "/courses?q=" in page.url
        assert portal_server.course_title in page.locator("main").inner_text()

        # learner.helsinki reads the portal in English (paris and berlin in French and German).
        log_in(context, portal_server, "learner.helsinki@asem-mooc.example", DEMO_PASSWORD)
        page.goto(portal_server("/my/learning"))
        page.evaluate("window.location.assign('/admin/jobs')")  # a link a learner should not see
        page.wait_for_load_state("load")
        assert page.get_by_role("heading", level=1).inner_text() == "Not allowed"
        assert "This page is for administrators." in page.locator("main").inner_text()
        page.get_by_role("link", name="Back to the previous page").click()
        page.wait_for_load_state("load")
        assert page.url.endswith("/my/learning")
        unexpected = [m for m in page_problems.messages if "status of 403" not in m]
        assert not unexpected, unexpected  # the refusal's own status is what was asked for
    finally:
        context.close()
