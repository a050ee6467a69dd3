"""A visitor in a real browser: search, open a course, use the keyboard, switch to Korean."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.browser.conftest import DESKTOP, PHONE

pytestmark = pytest.mark.browser

# MOOC_SCREENSHOTS=<dir>: also save full-page screenshots there, to look at the layout.
SCREENSHOTS = os.environ.get("MOOC_SCREENSHOTS")


def test_visitor_searches_and_opens_a_course(page, page_problems, portal_server):
    page.goto(portal_server("/"))
    page.get_by_role("searchbox", name="Search courses").fill(portal_server.search_word)
    page.get_by_role("button", name="Search", exact=True).click()
    page.wait_for_load_state()
    assert "/courses?" in page.url and f"q={portal_server.search_word}" in page.url
    page.get_by_role("link", name=portal_server.course_title).first.click()
    page.wait_for_load_state()
    assert page.url == portal_server("{course}")
    assert page.get_by_role("heading", level=1).inner_text().strip() == portal_server.course_title
    assert page_problems.messages == []


def test_keyboard_user_skips_to_the_main_content(page, page_problems, portal_server):
    page.goto(portal_server("/"))
    page.keyboard.press("Tab")
    skip_link = page.get_by_role("link", name="Skip to main content")
    assert skip_link.evaluate("link => link === document.activeElement")
    box = skip_link.bounding_box()
    assert box is not None and box["x"] >= 0 and box["y"] >= 0, "focused skip link is off screen"
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'main'")
    assert page.url.endswith("#main")
    # The next Tab continues inside the main content, not back in the header.
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.querySelector('main').contains(document.activeElement)")
    assert page_problems.messages == []


def test_every_focusable_control_shows_its_focus(page, portal_server):
    page.goto(portal_server("/"))
    unseen = []
    for _ in range(25):
        page.keyboard.press("Tab")
        style = page.evaluate(
            """() => {
                const el = document.activeElement;
                if (!el || el === document.body) return null;
                const s = getComputedStyle(el);
                return {name: el.outerHTML.slice(0, 80), outline: s.outlineStyle,
                        width: s.outlineWidth, shadow: s.boxShadow};
            }"""
        )
        if style is None:
            break
        if style["outline"] == "none" and style["shadow"] == "none":
            unseen.append(style["name"])
    assert unseen == [], f"focus is invisible on: {unseen}"


def test_visitor_switches_the_interface_to_korean(page, page_problems, portal_server):
    page.goto(portal_server("/"))
    assert page.locator("html").get_attribute("lang") == "en"
    # A keyboard user browses the languages with the arrow keys: nothing is sent until the
    # visible "Change" button is pressed.
    select = page.get_by_label("Language")
    select.focus()
    page.keyboard.press("ArrowDown")
    page.wait_for_timeout(300)
    assert page.locator("html").get_attribute("lang") == "en"
    select.select_option("ko")
    page.wait_for_timeout(300)
    assert page.locator("html").get_attribute("lang") == "en"
    change = page.get_by_role("button", name="Change")
    assert change.is_visible()
    with page.expect_navigation():
        change.click()
    assert page.locator("html").get_attribute("lang") == "ko"
    assert page.url == portal_server("/")
    assert page.get_by_role("link", name="본문으로 건너뛰기").count() == 1
    assert page.get_by_role("searchbox", name="강좌 검색").is_visible()
    # The choice stays for the rest of the visit.
    page.goto(portal_server("/account/login"))
    assert page.locator("html").get_attribute("lang") == "ko"
    assert page.get_by_label("언어").input_value() == "ko"
    assert page_problems.messages == []


def test_language_switcher_works_without_javascript(browser, portal_server):
    context = browser.new_context(viewport=DESKTOP, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(portal_server("/institutions"))
        page.get_by_label("Language").select_option("ko")
        page.get_by_role("button", name="Change").click()
        page.wait_for_load_state()
        assert page.url == portal_server("/institutions")
        assert page.locator("html").get_attribute("lang") == "ko"
    finally:
        context.close()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
@pytest.mark.parametrize(
    "path",
    ["/", "/courses?q=climate", "{course}", "/institutions", "{institution}", "/account/register"],
)
def test_page_fits_the_screen_width(browser, portal_server, viewport, path):
    context = browser.new_context(viewport=viewport, locale="ko-KR")
    try:
        page = context.new_page()
        page.goto(portal_server(path))
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        if SCREENSHOTS:
            name = f"{path.strip('/') or 'home'} {viewport['width']}"
            name = re.sub(r"\W+", "-", name).strip("-")
            Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at {viewport['width']}px"
    finally:
        context.close()


def test_a_visitor_in_seoul_sees_times_in_korean_time_without_choosing_a_zone(
    browser, portal_server
):
    # portal.js reports the browser's zone in the mooc_tz cookie; the next page uses it.
    context = browser.new_context(locale="en-GB", timezone_id="Asia/Seoul")
    try:
        page = context.new_page()
        page.goto(portal_server("{course}"))
        cookie = {c["name"]: c["value"] for c in context.cookies()}["mooc_tz"]
        assert cookie == "Asia%2FSeoul"
        page.reload()
        main = page.locator("main").inner_text()
        assert "Korean Standard Time" in main
        assert " UTC" not in main
    finally:
        context.close()


def test_an_open_runs_closing_date_stays_on_the_line_it_belongs_to(page, portal_server):
    # "Enrolment is open · until ..." used to break after "open" in every run card.
    from mooc_portal.catalog.models import Course, CourseRun
    from mooc_portal.catalog.services import public_courses
    from mooc_portal.db import session, utcnow

    with portal_server.app.app_context():
        now = utcnow()
        slug = session.scalars(
            public_courses()
            .join(CourseRun, CourseRun.course_id == Course.id)
            .where(CourseRun.enrollment_end_at > now, CourseRun.enrollment_start_at < now)
            .where(CourseRun.cancelled.is_(False))
            .with_only_columns(Course.slug)
            .limit(1)
        ).one()
    page.goto(portal_server(f"/courses/{slug}"))
    line = page.locator("p.run-action", has_text="until").first
    heights = line.evaluate(
        "el => ({box: el.getBoundingClientRect().height,"
        " line: parseFloat(getComputedStyle(el).lineHeight)"
        " || 1.2 * parseFloat(getComputedStyle(el).fontSize)})"
    )
    assert heights["box"] < 1.5 * heights["line"], heights


def test_visitor_misspells_a_word_and_follows_did_you_mean(page, page_problems, portal_server):
    word = portal_server.search_word.lower()
    # Two neighbouring letters typed the wrong way round (after the first letter).
    i = next(i for i in range(1, len(word) - 1) if word[i] != word[i + 1])
    typo = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    page.goto(portal_server("/"))
    page.get_by_role("searchbox", name="Search courses").fill(typo)
    page.get_by_role("button", name="Search", exact=True).click()
    page.wait_for_load_state()
    assert page.get_by_text("No course matches your search").is_visible()
    suggestion = page.locator(".did-you-mean")
    assert suggestion.inner_text().strip() == f"Did you mean {word}?"
    suggestion.get_by_role("link", name=word).click()
    page.wait_for_load_state()
    assert f"q={word}" in page.url
    assert page.get_by_role("link", name=portal_server.course_title).first.is_visible()
    assert page.locator(".did-you-mean").count() == 0
    assert page_problems.messages == []


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_recognition_marks_wrap_inside_the_at_a_glance_box(browser, portal_server, viewport):
    from sqlalchemy import select

    from mooc_portal.catalog.models import Course, CourseRecognition
    from mooc_portal.db import session

    with portal_server.app.app_context():
        slug = session.scalar(
            select(Course.slug)
            .join(CourseRecognition, CourseRecognition.course_id == Course.id)
            .where(
                CourseRecognition.tvet,
                CourseRecognition.national_framework.is_not(None),
                Course.status == "published",
            )
            .order_by(Course.id)
        )
    assert slug, "the demo has a TVET course placed in a national framework"
    context = browser.new_context(viewport=viewport)
    try:
        page = context.new_page()
        page.goto(portal_server(f"/courses/{slug}"))
        sticking_out = page.evaluate(
            """() => {
                const box = document.querySelector('.course-facts').getBoundingClientRect();
                const parts = '.course-facts dt, .course-facts dd, .course-facts .badge';
                return [...document.querySelectorAll(parts)]
                    .filter(el => el.getBoundingClientRect().right > box.right + 0.5)
                    .map(el => el.textContent.trim().slice(0, 60));
            }"""
        )
        assert sticking_out == []
    finally:
        context.close()
