"""axe-core on every page type: no serious or critical WCAG 2.1 A/AA violation.

A new page type is one line in PAGES: (id, path, expected status). ``{course}`` and
``{institution}`` stand for a public course's and partner's pages of the served catalog.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import DESKTOP, PHONE, log_in

pytestmark = pytest.mark.browser

PAGES = [
    pytest.param("/", 200, id="home"),
    pytest.param("/courses", 200, id="course-search"),
    pytest.param("/courses?q=climate", 200, id="course-search-results"),
    pytest.param("{course}", 200, id="course-page"),
    pytest.param("/institutions", 200, id="institutions"),
    pytest.param("/institutions?region=asia&sort=courses&page=9", 200, id="institutions-filtered"),
    pytest.param("{institution}", 200, id="institution-page"),
    pytest.param("/account/login", 200, id="login"),
    pytest.param("/account/register", 200, id="register"),
    pytest.param("/courses/no-such-course", 404, id="unknown-course"),
    pytest.param("/no-such-page", 404, id="unknown-url"),
    pytest.param("{certificate}", 200, id="certificate"),
    pytest.param("/privacy", 200, id="privacy-notice"),
]
# Pages of a logged-in demo learner ({learner}): checked by the learner tests below.
LEARNER_PAGES = [
    pytest.param("/my/learning", 200, id="my-learning"),
    pytest.param("{learn}", 200, id="course-space"),
    pytest.param("{lesson}", 200, id="course-space-lesson"),
    pytest.param("/account/my-data", 200, id="my-data"),
    pytest.param("/account/sharing", 200, id="my-sharing"),
    pytest.param("/account/delete", 200, id="delete-account"),
]
# The pages a visitor reaches first, checked again in Korean on a phone.
KOREAN_PHONE_PAGES = PAGES[:4]
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = ("serious", "critical")


@pytest.fixture(scope="module")
def axe_context(browser: Any, axe_source: str) -> Any:
    # axe is injected as an inline script, which the portal's CSP (script-src 'self') refuses.
    context = browser.new_context(viewport=DESKTOP, locale="en-GB", bypass_csp=True)
    yield context
    context.close()


def run_axe(page: Any, axe_source: str) -> list[dict[str, Any]]:
    page.add_script_tag(content=axe_source)
    result = page.evaluate(
        """tags => axe.run(document, {
            runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']
        })""",
        WCAG_21_AA,
    )
    return [v for v in result["violations"] if v["impact"] in BLOCKING]


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"- [{violation['impact']}] {violation['id']}: {violation['help']}")
        lines.extend(
            f"    at {node['target']}: {node['html'][:160]}" for node in violation["nodes"][:5]
        )
        if len(violation["nodes"]) > 5:
            lines.append(f"    ... and {len(violation['nodes']) - 5} more")
    return "\n".join(lines)


def check_page(context: Any, axe_source: str, url: str, status: int) -> None:
    page = context.new_page()
    try:
        response = page.goto(url)
        assert response is not None and response.status == status, f"{url}: {response.status}"
        violations = run_axe(page, axe_source)
        assert not violations, f"{url} has accessibility violations:\n{describe(violations)}"
    finally:
        page.close()


@pytest.mark.parametrize(("path", "status"), PAGES)
def test_page_has_no_serious_accessibility_violation(
    axe_context, axe_source, portal_server, path, status
):
    check_page(axe_context, axe_source, portal_server(path), status)


@pytest.mark.parametrize(("path", "status"), KOREAN_PHONE_PAGES)
def test_korean_page_has_no_serious_accessibility_violation(
    browser, axe_source, portal_server, path, status
):
    context = browser.new_context(
        viewport=PHONE,
        locale="ko-KR",
        bypass_csp=True,
        extra_http_headers={"Accept-Language": "ko"},
    )
    try:
        check_page(context, axe_source, portal_server(path), status)
    finally:
        context.close()


def test_axe_reports_what_it_should(axe_context, axe_source, portal_server):
    """The harness itself: a page with an unlabelled field and low contrast is caught."""
    page = axe_context.new_page()
    try:
        page.goto(portal_server("/"))
        page.evaluate(
            """() => {
                const input = document.createElement('input');
                input.type = 'text';
                document.querySelector('main').append(input);
                const faint = document.createElement('p');
                faint.textContent = 'Barely visible';
                faint.style.color = '#dddddd';
                document.querySelector('main').append(faint);
            }"""
        )
        ids = {v["id"] for v in run_axe(page, axe_source)}
    finally:
        page.close()
    assert {"label", "color-contrast"} <= ids


@pytest.mark.parametrize(("path", "status"), PAGES)
def test_page_runs_under_the_strict_csp(page, page_problems, portal_server, path, status):
    """No inline script or style anywhere: the browser refuses nothing and reports no error."""
    response = page.goto(portal_server(path))
    assert response is not None and response.status == status
    page.wait_for_load_state("load")
    assert page_problems.messages == []


def test_csp_refusals_are_reported(page, page_problems, portal_server):
    """The harness itself: an inline style attribute is refused and the refusal is caught."""
    page.goto(portal_server("/"))
    inline_style = "document.body.insertAdjacentHTML('beforeend', '<p style=\"color: red\">x</p>')"
    with page.expect_console_message(lambda message: "Content Security Policy" in message.text):
        page.evaluate(inline_style)
    assert any("Content Security Policy" in message for message in page_problems.messages)


@pytest.fixture(scope="module")
def learner_context(browser: Any, portal_server: Any) -> Any:
    from mooc_portal.demo import DEMO_PASSWORD

    if "learner" not in portal_server.paths:
        pytest.skip("the served catalog has no enrolled demo learner")
    context = browser.new_context(viewport=DESKTOP, locale="en-GB", bypass_csp=True)
    log_in(context, portal_server, portal_server.paths["learner"], DEMO_PASSWORD)
    yield context
    context.close()


@pytest.mark.parametrize(("path", "status"), LEARNER_PAGES)
def test_learner_page_has_no_serious_accessibility_violation(
    learner_context, axe_source, portal_server, path, status
):
    check_page(learner_context, axe_source, portal_server(path), status)
