"""The course import page in a real browser (issue 12, defect 10): the template downloads, a
semicolon-separated file from a European spreadsheet is read, errors speak of rows and columns."""

from __future__ import annotations

import pytest

from mooc_portal.demo import DEMO_PASSWORD
from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser

URL = "/partner/hanbit-national-university/import"


def test_template_then_a_semicolon_file_with_an_error(browser, portal_server, tmp_path):
    context = browser.new_context(locale="en-GB", accept_downloads=True)
    try:
        log_in(context, portal_server, "manager.hanbit@asem-mooc.example", DEMO_PASSWORD)
        page = context.new_page()
        page.goto(portal_server(URL))
        with page.expect_download() as download:
            page.get_by_role("link", name="Template (CSV)").click()
        template = tmp_path / "template.csv"
        download.value.save_as(template)
        assert template.read_bytes().startswith(b"\xef\xbb\xbf")

        upload = tmp_path / "courses.csv"
        upload.write_text(
            "code;title;level;title:ko\n"
            "BRW-1;Browser import, first;introductory;첫 강좌\n"
            "BRW-2;;expert;\n",
            encoding="utf-8",
        )
        page.get_by_label("CSV or JSON file").set_input_files(str(upload))
        page.get_by_role("button", name="Check the file").click()
        page.wait_for_load_state("load")
        report = page.locator("section[aria-labelledby=report-heading]")
        text = report.inner_text()
        assert "The file has errors: nothing was stored" in text
        assert "Spreadsheet row" in text and "Not imported" in text
        assert "Level (column level): Write one of: introductory, intermediate, advanced." in text
        assert "New course" in text  # the good row says what would happen to it
        page.screenshot(path=str(tmp_path / "import-report.png"), full_page=True)
    finally:
        context.close()
