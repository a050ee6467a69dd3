"""The learner's side of issue 12 in a real browser: one My learning page for every enrolment,
the lesson before the syllabus on a phone, at desktop and phone widths, axe clean."""

from __future__ import annotations

from typing import Any

import pytest

from mooc_portal.demo import DEMO_PASSWORD
from tests.browser.conftest import DESKTOP, PHONE, log_in
from tests.browser.test_accessibility import describe, run_axe

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module", params=[DESKTOP, PHONE], ids=["desktop", "phone"])
def learner(request: Any, browser: Any, portal_server: Any) -> Any:
    if "learner" not in portal_server.paths:
        pytest.skip("the served catalog has no enrolled demo learner")
    context = browser.new_context(viewport=request.param, locale="en-GB", bypass_csp=True)
    log_in(context, portal_server, portal_server.paths["learner"], DEMO_PASSWORD)
    context.viewport = request.param
    yield context
    context.close()


def assert_axe_clean(page: Any, axe_source: str) -> None:
    violations = run_axe(page, axe_source)
    assert not violations, f"{page.url} has accessibility violations:\n{describe(violations)}"


def test_my_enrolments_is_my_learning(learner, portal_server, axe_source):
    page = learner.new_page()
    try:
        response = page.goto(portal_server("/my/enrolments"))
        assert response is not None and response.status == 200
        assert page.url == portal_server("/my/learning")
        assert page.locator("h1").inner_text() == "My learning"
        items = page.locator("li.learning-item")
        assert items.count() >= 1
        # Each enrolment shows its state and a way on (a link or a button).
        for n in range(items.count()):
            item = items.nth(n)
            assert item.locator(".enrolment-badge").count() == 1
            assert item.locator("a").count() >= 2
        assert_axe_clean(page, axe_source)
    finally:
        page.close()


def test_on_a_phone_the_lesson_comes_before_the_syllabus(learner, portal_server, axe_source):
    page = learner.new_page()
    try:
        page.goto(portal_server("{lesson}"))
        lesson = page.locator("article.lesson").bounding_box()
        outline = page.locator("nav.course-outline").bounding_box()
        assert lesson and outline
        if learner.viewport == PHONE:
            assert lesson["y"] + lesson["height"] <= outline["y"], "the syllabus comes first"
        else:
            assert outline["x"] + outline["width"] <= lesson["x"], "the syllabus is beside"
        # One outline in the markup, only reordered.
        assert page.locator("nav.course-outline").count() == 1
        assert_axe_clean(page, axe_source)
    finally:
        page.close()
