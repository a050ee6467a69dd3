"""The partners page in a real browser (issue 12): a compact grid of logos that a visitor
narrows to a region, at desktop and phone widths, axe clean."""

from __future__ import annotations

import re

import pytest

from mooc_portal.i18n import country_name
from mooc_portal.reference import ASIA_COUNTRIES, EUROPE_COUNTRIES
from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.test_accessibility import describe, run_axe

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_visitor_narrows_the_partner_grid_to_europe(browser, portal_server, axe_source, viewport):
    # axe is injected as an inline script: the CSP is bypassed for it (the other browser tests
    # check the page under the real CSP).
    context = browser.new_context(viewport=viewport, locale="en-GB", bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto(portal_server("/institutions"))
        tiles = page.locator("li.partner-tile")
        everywhere = tiles.count()
        assert everywhere >= 2

        page.get_by_label("Region").select_option(label="Europe")
        with page.expect_navigation():
            page.get_by_role("button", name="Show partners").click()
        assert "region=europe" in page.url

        shown = tiles.count()
        assert 1 <= shown <= everywhere
        total = int(re.search(r"\d+", page.locator(".partner-total").inner_text()).group())
        assert shown == min(total, 24)
        europe = {country_name(code, "en") for code in EUROPE_COUNTRIES}
        asia = {country_name(code, "en") for code in ASIA_COUNTRIES}
        for n in range(shown):
            tile = tiles.nth(n)
            country = tile.locator(".meta").inner_text().split("·")[-1].strip()
            assert country in europe and country not in asia, country
            # Each partner is named by its link and pictured by a logo (decorative: its name is
            # the heading beside it) or by its initials.
            assert tile.get_by_role("link").inner_text().strip()
            logo = tile.locator("img.partner-logo")
            if logo.count():
                assert logo.get_attribute("alt", timeout=1000) == ""
            else:
                assert tile.locator(".partner-initials").inner_text().strip()
        assert page.get_by_label("Region").input_value() == "europe"

        # A compact grid: several tiles a row on a desktop, one column of short rows on a phone,
        # never wider than the screen.
        boxes = [tiles.nth(n).bounding_box() for n in range(min(shown, 4))]
        if viewport is DESKTOP and shown >= 2:
            assert boxes[0]["y"] == boxes[1]["y"] and boxes[1]["x"] > boxes[0]["x"]
        if viewport is PHONE:
            assert len({round(box["x"]) for box in boxes}) == 1
        assert all(box["height"] < 160 for box in boxes)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

        violations = run_axe(page, axe_source)
        assert not violations, f"{page.url}:\n{describe(violations)}"
    finally:
        context.close()
