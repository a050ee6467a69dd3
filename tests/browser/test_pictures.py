"""Course pictures in a real browser (issue 12, "Pictures"): the catalog's cards show them, and
a phone loads the small size from the srcset."""

from __future__ import annotations

import pytest

from tests.browser.conftest import PHONE

pytestmark = pytest.mark.browser


def test_catalog_cards_show_pictures_and_a_phone_loads_a_small_one(
    browser, portal_server, tmp_path
):
    context = browser.new_context(locale="en-GB", viewport=PHONE, device_scale_factor=1)
    try:
        page = context.new_page()
        page.goto(portal_server("/courses"))
        picture = page.locator("img.card-picture").first
        picture.scroll_into_view_if_needed()
        page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=picture.element_handle()
        )
        chosen = picture.evaluate("img => img.currentSrc")
        assert chosen.endswith("?w=320") or chosen.endswith("?w=640"), chosen
        assert picture.get_attribute("alt") == ""  # the title link beside it names the course
        page.screenshot(path=str(tmp_path / "catalog-phone.png"))
    finally:
        context.close()
