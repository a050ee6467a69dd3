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
        assert page.locator("h1").count() == 1 and page.locator("#current-heading").count() == 1
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


def _video_lesson_path(portal_server: Any) -> str:
    """A video lesson (with its transcript) of the demo learner's course."""
    from sqlalchemy import select

    from mooc_portal.accounts.models import Account
    from mooc_portal.db import session
    from mooc_portal.enrollment.models import Enrollment
    from mooc_portal.progress import services as progress

    with portal_server.app.app_context():
        learner = session.scalar(
            select(Account).where(Account.email == portal_server.paths["learner"])
        )
        for enrollment in session.scalars(
            select(Enrollment).where(
                Enrollment.account_id == learner.id, Enrollment.state == "enrolled"
            )
        ):
            if not progress.has_started(enrollment.run):
                continue
            for lesson in progress.outline_of(enrollment.course_id).lessons:
                if lesson.video_url and lesson.transcript:
                    return f"/learn/{enrollment.run.uuid}/lessons/{lesson.uuid}"
    pytest.fail("the demo shows no video lesson with a transcript to its learner")


def test_a_video_lesson_plays_in_the_page_under_the_strict_csp(learner, portal_server, axe_source):
    path = _video_lesson_path(portal_server)
    page = learner.new_page()
    framed = []
    # The browser tests stay on 127.0.0.1: the provider's player is answered here, empty.
    page.route(
        "https://www.youtube-nocookie.com/**",
        lambda route: (framed.append(route.request.url), route.fulfill(body="<p>player</p>")),
    )
    try:
        response = page.goto(portal_server(path))
        policy = response.headers["content-security-policy"]
        assert "frame-src https://www.youtube-nocookie.com https://player.vimeo.com" in policy
        frame = page.locator(".lesson-video iframe")
        assert frame.get_attribute("src").startswith("https://www.youtube-nocookie.com/embed/")
        assert frame.get_attribute("title")  # the frame is named for screen readers
        frame.scroll_into_view_if_needed()
        page.wait_for_function("() => document.querySelector('.lesson-video iframe')")
        video = frame.bounding_box()
        transcript = page.locator(".lesson-transcript").bounding_box()
        assert video and transcript and video["y"] + video["height"] <= transcript["y"]
        assert video["width"] > 300 and abs(video["width"] / video["height"] - 16 / 9) < 0.05
        assert page.locator(".lesson-transcript .transcript-text").inner_text().strip()
        assert_axe_clean(page, axe_source)
    finally:
        page.close()


@pytest.mark.parametrize("path", ["/", "/courses", "/institutions", "{institution}", "{course}"])
def test_logos_show_and_every_picture_has_a_text_alternative(learner, portal_server, path):
    page = learner.new_page()
    try:
        page.goto(portal_server(path))
        page.wait_for_load_state("load")
        assert page.locator("img:not([alt])").count() == 0
        if path in ("/institutions", "{institution}", "{course}"):
            logo = page.locator("img.partner-logo").first
            logo.scroll_into_view_if_needed()
            page.wait_for_function(
                "img => img.complete && img.naturalWidth > 0", arg=logo.element_handle()
            )
        if path == "{course}":
            picture = page.locator("img.course-image")
            if picture.count():
                assert picture.get_attribute("alt")  # the course page describes its picture
    finally:
        page.close()
