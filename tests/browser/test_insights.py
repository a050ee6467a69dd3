"""The insights pages in a real browser, on the demo data: no serious axe violation at desktop
and phone widths, nothing refused by the strict CSP, charts drawn beside their tables, nothing
wider than the phone's screen; and the public "about the initiative" page."""

from __future__ import annotations

from typing import Any

import pytest

from mooc_portal.demo import DEMO_PASSWORD, demo_email
from tests.browser.conftest import DESKTOP, PHONE, log_in
from tests.browser.test_accessibility import check_page

pytestmark = pytest.mark.browser

INSIGHTS = ["/insights/", "/insights/flow", "/insights/completion", "/insights/catalog"]


@pytest.fixture(scope="module", params=[DESKTOP, PHONE], ids=["desktop", "phone"])
def admin_context(request: Any, browser: Any, portal_server: Any) -> Any:
    context = browser.new_context(viewport=request.param, locale="en-GB", bypass_csp=True)
    log_in(context, portal_server, demo_email("admin"), DEMO_PASSWORD)
    yield context
    context.close()


@pytest.mark.parametrize("path", INSIGHTS)
def test_insights_pages_have_no_serious_accessibility_violation(
    admin_context, axe_source, portal_server, path
):
    check_page(admin_context, axe_source, portal_server(path), 200)


@pytest.mark.parametrize("path", INSIGHTS)
def test_insights_pages_show_charts_beside_tables_and_fit_the_screen(
    admin_context, portal_server, path
):
    page = admin_context.new_page()
    try:
        page.goto(portal_server(path))
        charts = page.locator("svg.mooc-chart[role=img]")
        assert charts.count() >= 1
        first = charts.first
        assert first.is_visible()
        assert page.locator(".insight-figure table").count() >= charts.count()
        # The page itself never scrolls sideways; wide tables scroll in their own box.
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= page.viewport_size["width"] + 1
    finally:
        page.close()


@pytest.fixture(scope="module", params=[DESKTOP, PHONE], ids=["desktop", "phone"])
def german_admin_context(request: Any, browser: Any, portal_server: Any) -> Any:
    context = browser.new_context(viewport=request.param, locale="de-DE", bypass_csp=True)
    log_in(context, portal_server, demo_email("admin"), DEMO_PASSWORD)
    yield context
    context.close()


TABLES_CUT_OFF = """() => [...document.querySelectorAll('.insight-figure table')].filter(table => {
    const box = table.parentElement;
    return table.scrollWidth > box.clientWidth + 1;
}).map(table => table.querySelector('caption').textContent)"""

LABEL_SIZES = """() => [...document.querySelectorAll('svg.mooc-chart')].map(svg => {
    const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
    const sizes = [...svg.querySelectorAll('text[font-size]')].map(
        text => parseFloat(text.getAttribute('font-size')) * scale);
    return Math.min(...sizes);
})"""


@pytest.mark.parametrize("path", INSIGHTS)
def test_insights_in_german_fit_the_screen_with_whole_tables_and_legible_charts(
    german_admin_context, axe_source, portal_server, path
):
    """German's long words and headings: the page never scrolls sideways; on a desktop every
    table is shown whole (none cut to a scrolling box), on a phone a wide table or chart
    scrolls in its own box; chart labels are at least 12 px on the screen at both widths."""
    page = german_admin_context.new_page()
    try:
        page.goto(portal_server(path))
        assert page.evaluate("document.documentElement.lang") == "de"
        width = page.viewport_size["width"]
        assert page.evaluate("document.documentElement.scrollWidth") <= width + 1
        if width >= DESKTOP["width"]:
            assert page.evaluate(TABLES_CUT_OFF) == []
        else:
            for box in page.locator(".insight-table, .insight-chart").all():
                assert box.evaluate("e => getComputedStyle(e).overflowX") == "auto"
        sizes = page.evaluate(LABEL_SIZES)
        assert sizes and min(sizes) >= 12, sizes
    finally:
        page.close()
    check_page(german_admin_context, axe_source, portal_server(path), 200)


def test_insights_run_under_the_strict_csp(browser, page_problems, portal_server):
    context = browser.new_context(viewport=DESKTOP, locale="en-GB")
    try:
        log_in(context, portal_server, demo_email("admin"), DEMO_PASSWORD)
        for path in INSIGHTS:
            page = context.new_page()
            page_problems.watch(page)
            page.goto(portal_server(path))
            page.wait_for_load_state("networkidle")
            assert page_problems.messages == [], path
            page.close()
    finally:
        context.close()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_about_page_is_accessible_and_linked_from_the_footer(
    browser, axe_source, portal_server, viewport
):
    context = browser.new_context(viewport=viewport, locale="en-GB", bypass_csp=True)
    try:
        page = context.new_page()
        page.goto(portal_server("/"))
        page.locator("footer a", has_text="About the initiative").click()
        page.wait_for_load_state("load")
        assert page.url.endswith("/about")
        assert page.locator("dl.headline-figures dd").count() == 5
        page.close()
        check_page(context, axe_source, portal_server("/about"), 200)
    finally:
        context.close()
