"""A video lesson in the partner's preview and the administrators' review, in a real browser
under the real CSP (issue 12, defect 6): the player frame with its privacy-enhanced address and
the transcript under it, as learners see them, and no CSP refusal. The remote player is never
loaded: every request off 127.0.0.1 is answered here."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from mooc_portal.demo import DEMO_PASSWORD
from tests.browser.conftest import DESKTOP, log_in

pytestmark = pytest.mark.browser

ADMIN = "admin@asem-mooc.example"


def _video_course(app: Any) -> tuple[str, str, str]:
    """A demo course with a video lesson and transcript: (course uuid, lesson uuid, an editor)."""
    from mooc_portal.accounts.models import Account, Membership
    from mooc_portal.catalog.models import Course
    from mooc_portal.catalog.outline import Lesson, Module
    from mooc_portal.db import session

    with app.app_context():
        row = session.execute(
            select(Course.uuid, Lesson.uuid, Account.email)
            .join(Module, Module.course_id == Course.id)
            .join(Lesson, Lesson.module_id == Module.id)
            .join(Membership, Membership.institution_id == Course.institution_id)
            .join(Account, Account.id == Membership.account_id)
            .where(Lesson.video_url.is_not(None), Lesson.transcript.is_not(None))
            .where(Membership.role.in_(("manager", "editor")))
            .order_by(Course.id)
            .limit(1)
        ).first()
    if row is None:
        pytest.fail("the demo has no video lesson in a course with partner staff")
    return str(row[0]), str(row[1]), row[2]


def _answer_off_site(page: Any, framed: list[str]) -> None:
    def answer(route: Any) -> None:
        if route.request.url.startswith("http://127.0.0.1:"):
            route.continue_()
        else:
            framed.append(route.request.url)
            route.fulfill(body="<p>player</p>", content_type="text/html")

    page.route("**/*", answer)


@pytest.mark.parametrize("who", ["partner", "admin"])
def test_the_preview_and_the_review_play_a_video_lesson(browser, portal_server, page_problems, who):
    course_uuid, lesson_uuid, editor = _video_course(portal_server.app)
    email, path = {
        "partner": (editor, f"/partner/courses/{course_uuid}/preview"),
        "admin": (ADMIN, f"/admin/courses/{course_uuid}"),
    }[who]
    context = browser.new_context(viewport=DESKTOP, locale="en-GB")  # under the real CSP
    try:
        log_in(context, portal_server, email, DEMO_PASSWORD)
        page = context.new_page()
        page_problems.watch(page)
        framed: list[str] = []
        _answer_off_site(page, framed)
        response = page.goto(portal_server(path))
        assert response is not None and response.status == 200
        assert (
            "frame-src https://www.youtube-nocookie.com"
            in response.headers["content-security-policy"]
        )
        section = page.locator(f"section[aria-labelledby='transcript-{lesson_uuid}']")
        item = page.locator("li", has=section)
        frame = item.locator(".lesson-video iframe")
        assert frame.count() == 1
        assert frame.get_attribute("src").startswith("https://www.youtube-nocookie.com/embed/")
        assert frame.get_attribute("title").startswith("Video: ")
        frame.scroll_into_view_if_needed()
        page.wait_for_timeout(300)  # the lazy frame loads (answered here)
        video, transcript = frame.bounding_box(), section.bounding_box()
        assert video and transcript and video["y"] + video["height"] <= transcript["y"]
        assert section.locator(".transcript-text").inner_text().strip()
        assert not page_problems.messages, page_problems.messages
        assert all(url.startswith("https://www.youtube-nocookie.com/") for url in framed)
    finally:
        context.close()
