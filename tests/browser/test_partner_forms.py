"""Partner and administrator pages in a real browser, at desktop and phone widths: the
language and subject pickers (portal.js narrows the list, no inline script), the lists with
their filters and pages; axe finds no serious violation on any of them."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from mooc_portal.catalog.models import Course
from mooc_portal.db import session
from mooc_portal.demo import DEMO_PASSWORD
from tests.browser.conftest import DESKTOP, PHONE, log_in
from tests.browser.test_accessibility import describe, run_axe

pytestmark = pytest.mark.browser

HANBIT = "hanbit-national-university"
SIZES = [pytest.param(DESKTOP, id="desktop"), pytest.param(PHONE, id="phone")]


def _context(browser: Any, portal_server: Any, email: str, viewport: dict[str, int]) -> Any:
    # bypass_csp only lets axe in; the page's own script runs under the CSP in
    # test_the_pickers_work_under_the_strict_csp.
    context = browser.new_context(viewport=viewport, locale="en-GB", bypass_csp=True)
    log_in(context, portal_server, email, DEMO_PASSWORD)
    return context


def _no_violation(page: Any, axe_source: str) -> None:
    violations = run_axe(page, axe_source)
    assert not violations, f"{page.url}:\n{describe(violations)}"


def _a_hanbit_course(app: Any) -> str:
    from mooc_portal.institutions.models import Institution

    with app.app_context():
        course = session.scalars(
            select(Course).join(Institution).where(Institution.slug == HANBIT).limit(1)
        ).one()
        return str(course.uuid)


@pytest.mark.parametrize("viewport", SIZES)
def test_subject_and_language_pickers(browser, axe_source, portal_server, viewport):
    context = _context(browser, portal_server, "manager.hanbit@asem-mooc.example", viewport)
    try:
        page = context.new_page()
        page.goto(portal_server(f"/partner/{HANBIT}/courses/new"))
        _no_violation(page, axe_source)
        subjects = page.locator("#subjects")
        total = subjects.locator("li").count()
        assert total > 100
        finder = page.get_by_label("Find in the list").nth(2)  # teaching, subtitles, subjects
        assert finder.get_attribute("aria-controls") == "subjects"
        finder.fill("COMPUT")
        shown = subjects.locator("li:visible")
        assert 0 < shown.count() < 10
        assert all("comput" in text.lower() for text in shown.all_inner_texts())
        assert page.locator("#subjects-filter-status").inner_text() == (
            f"{shown.count()} of {total} shown"
        )
        finder.press("Enter")  # narrows only; the form is not sent
        assert page.url.endswith("/courses/new")
        subjects.get_by_label("0611 Computer use").check()
        finder.fill("")
        assert subjects.locator("li:visible").count() == total
        # A ticked subject stays in view whatever is typed.
        finder.fill("zzz")
        assert subjects.locator("li:visible").count() == 1

        teaching = page.locator("#teaching_languages")
        page.get_by_label("Find in the list").first.fill("kor")
        assert teaching.locator("li:visible").all_inner_texts() == ["Korean (ko)"]
        teaching.get_by_label("Korean (ko)").check()
        page.get_by_label("Original language").select_option(label="Korean (ko)")
        _no_violation(page, axe_source)
        box = page.locator("fieldset.choice-list-field").first.bounding_box()
        assert box is not None and box["width"] <= viewport["width"]
    finally:
        context.close()


def test_the_pickers_work_under_the_strict_csp(browser, portal_server, page_problems):
    context = browser.new_context(viewport=PHONE, locale="en-GB")
    try:
        log_in(context, portal_server, "manager.hanbit@asem-mooc.example", DEMO_PASSWORD)
        page = context.new_page()
        page_problems.watch(page)
        page.goto(portal_server(f"/partner/{HANBIT}/courses/new"))
        page.get_by_label("Find in the list").nth(2).fill("forestry")
        assert 0 < page.locator("#subjects li:visible").count() < 5
        assert not page_problems.messages, page_problems.messages
    finally:
        context.close()


@pytest.mark.parametrize("viewport", SIZES)
def test_run_form_and_dashboard(browser, axe_source, portal_server, viewport):
    course_uuid = _a_hanbit_course(portal_server.app)
    context = _context(browser, portal_server, "manager.hanbit@asem-mooc.example", viewport)
    try:
        page = context.new_page()
        page.goto(portal_server(f"/partner/courses/{course_uuid}/runs/new"))
        assert "Dates and times are in" in page.locator("main").inner_text()
        _no_violation(page, axe_source)
        page.goto(portal_server(f"/partner/{HANBIT}/"))
        _no_violation(page, axe_source)
        pending = page.locator("section[aria-labelledby=pending-heading] a")
        if pending.count():
            pending.first.click()
            page.wait_for_load_state("load")
            assert "/partner/enrolments?run=" in page.url and "state=pending" in page.url
            assert page.locator("select[name=run] option:checked").inner_text() != "Any run"
            _no_violation(page, axe_source)
    finally:
        context.close()


@pytest.mark.parametrize("viewport", SIZES)
def test_dashboard_lists_page_on_their_own(browser, axe_source, portal_server, viewport):
    context = _context(browser, portal_server, "manager.hanbit@asem-mooc.example", viewport)
    try:
        page = context.new_page()
        page.goto(portal_server(f"/partner/{HANBIT}/?published_size=1"))
        published = page.locator("section[aria-labelledby=status-published]")
        first = published.locator(".course-admin-list li").all_inner_texts()
        assert len(first) == 1
        _no_violation(page, axe_source)
        published.get_by_role("navigation", name="Pages: Published").get_by_role(
            "link", name="Next"
        ).click()
        page.wait_for_load_state("load")
        assert "published_size=1" in page.url and "published_page=2" in page.url
        published = page.locator("section[aria-labelledby=status-published]")
        second = published.locator(".course-admin-list li").all_inner_texts()
        assert len(second) == 1 and second != first
        assert published.locator(".pagination [aria-current=page]").inner_text().endswith("2")
        # The other lists stay on their first page.
        assert not page.locator("section[aria-labelledby=status-draft] a[rel=prev]").count()
        _no_violation(page, axe_source)
    finally:
        context.close()


@pytest.mark.parametrize("viewport", SIZES)
def test_admin_lists_with_search_filters_and_pages(browser, axe_source, portal_server, viewport):
    context = _context(browser, portal_server, "admin@asem-mooc.example", viewport)
    try:
        page = context.new_page()
        page.goto(portal_server("/admin/certificates"))
        _no_violation(page, axe_source)
        page.get_by_role("link", name="Next").click()
        page.wait_for_load_state("load")
        assert "page=2" in page.url
        assert page.locator(".pagination [aria-current=page]").inner_text().endswith("2")
        name = page.locator("tbody tr td").first.inner_text().splitlines()[0]
        search = "Learner's name or e-mail, course, institution, or certificate code"
        page.get_by_label(search).fill(name)
        page.get_by_role("button", name="Search").click()
        page.wait_for_load_state("load")
        assert name in page.locator("tbody").inner_text()
        _no_violation(page, axe_source)

        page.goto(portal_server("/admin/institutions"))
        page.get_by_label("Region").select_option("europe")
        page.get_by_role("button", name="Filter").click()
        page.wait_for_load_state("load")
        assert "region=europe" in page.url
        countries = page.locator("tbody td:nth-child(3)").all_inner_texts()
        assert countries and set(countries) == {"Europe"}
        _no_violation(page, axe_source)
        table = page.locator("table").bounding_box()
        if viewport is DESKTOP:  # the whole table fits: no sideways scrolling
            assert table is not None and table["width"] <= viewport["width"]
    finally:
        context.close()
