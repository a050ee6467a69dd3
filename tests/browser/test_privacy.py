"""No page makes the browser contact anyone but the portal; only the documented cookies are set.

Every page type is loaded in Chromium as a visitor, a learner, a partner manager and an
administrator; every request the browser makes (documents, styles, scripts, images, fonts) must
go to the portal's own address.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import DESKTOP, log_in

pytestmark = pytest.mark.browser

DEMO_PASSWORD = "asem-mooc-demo"
VISITOR = [
    "/",
    "/courses",
    "/courses?q=climate",
    "{course}",
    "/institutions",
    "{institution}",
    "/account/login",
    "/account/register",
    "/privacy",
    "{certificate}",
    "/no-such-page",
]
LEARNER = [
    "/my/learning",
    "{learn}",
    "{lesson}",
    "/account/",
    "/account/my-data",
    "/account/sharing",
    "/account/delete",
]
MANAGER = ["/partner/", "/partner/enrolments"]
ADMIN = ["/admin/", "/admin/enrolments", "/admin/audit", "/admin/privacy", "/admin/privacy/notice"]
DOCUMENTED_COOKIES = {"session", "remember_token", "mooc_tz"}


def visit_all(browser: Any, portal_server: Any, paths: list[str], login: str | None) -> Any:
    context = browser.new_context(viewport=DESKTOP, locale="en-GB", timezone_id="Asia/Seoul")
    requested: list[str] = []
    context.on("request", lambda request: requested.append(request.url))
    try:
        if login:
            log_in(context, portal_server, login, DEMO_PASSWORD)
        page = context.new_page()
        for path in paths:
            if "{" in path and path.strip("{}") not in portal_server.paths:
                continue
            page.goto(portal_server(path))
            page.wait_for_load_state("networkidle")
        cookies = {cookie["name"] for cookie in context.cookies()}
    finally:
        context.close()
    return requested, cookies


@pytest.mark.parametrize(
    ("who", "paths"),
    [
        pytest.param(None, VISITOR, id="visitor"),
        pytest.param("{learner}", LEARNER, id="learner"),
        pytest.param("manager.hanbit@asem-mooc.example", MANAGER, id="partner-manager"),
        pytest.param("admin@asem-mooc.example", ADMIN, id="administrator"),
    ],
)
def test_no_request_leaves_the_portal(browser, portal_server, who, paths):
    login = portal_server.paths.get("learner") if who == "{learner}" else who
    if who and not login:
        pytest.skip("the served catalog has no demo learner")
    requested, cookies = visit_all(browser, portal_server, paths, login)
    assert len(requested) >= len(paths)
    elsewhere = sorted(
        url
        for url in requested
        if urlsplit(url).scheme != "data" and urlsplit(url).hostname != "127.0.0.1"
    )
    assert elsewhere == [], f"requests left the portal: {elsewhere}"
    assert cookies <= DOCUMENTED_COOKIES, f"undocumented cookies: {cookies - DOCUMENTED_COOKIES}"


def test_the_check_sees_a_request_to_another_host(browser, portal_server):
    """The harness itself: a request the page makes elsewhere is recorded."""
    # Without the portal's CSP, which would refuse the request before it is made.
    context = browser.new_context(viewport=DESKTOP, bypass_csp=True)
    requested: list[str] = []
    context.on("request", lambda request: requested.append(request.url))
    # Answered here, never sent: the test sends nothing off this machine.
    context.route("http://elsewhere.invalid/**", lambda route: route.fulfill(body="x"))
    try:
        page = context.new_page()
        page.goto(portal_server("/"))
        page.evaluate("() => fetch('http://elsewhere.invalid/probe').catch(() => null)")
        page.wait_for_load_state("networkidle")
    finally:
        context.close()
    assert any(urlsplit(url).hostname == "elsewhere.invalid" for url in requested)
