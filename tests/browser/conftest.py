"""Headless Chromium (Debian's, through Playwright) against the portal served by a real server.

One browser and one server for the whole session: the server is werkzeug's, in a thread, on a
free port of 127.0.0.1, serving the portal on its own migrated SQLite file filled with committed
data (the demo catalog when the package has it, else a small fixture catalog).

Without /usr/bin/chromium or axe-core the tests skip with the reason; with MOOC_REQUIRE_BROWSER
set (CI) they fail instead.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from mooc_portal.db import session, utcnow
from mooc_portal.migrate import upgrade_database
from tests.conftest import make_test_app

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("MOOC_CHROMIUM", "/usr/bin/chromium"))
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def unavailable(reason: str) -> None:
    """Skip with ``reason``; fail when the environment promises a browser (CI)."""
    if os.environ.get("MOOC_REQUIRE_BROWSER"):
        pytest.fail(f"MOOC_REQUIRE_BROWSER is set but {reason}", pytrace=False)
    pytest.skip(reason)


@dataclass
class PortalServer:
    """The running portal and the public things the tests visit."""

    url: str
    app: Any
    paths: dict[str, str] = field(default_factory=dict)
    course_title: str = ""
    search_word: str = ""

    def __call__(self, path: str) -> str:
        return self.url + path.format(**self.paths)


@pytest.fixture(scope="session")
def portal_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PortalServer]:
    database = tmp_path_factory.mktemp("browser") / "portal.sqlite3"
    app = make_test_app(f"sqlite:///{database}")
    with app.app_context():
        upgrade_database()
        fill_catalog()
        session.commit()
        server_data = describe_catalog()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="portal-server", daemon=True)
    thread.start()
    try:
        yield PortalServer(url=f"http://127.0.0.1:{server.server_port}", app=app, **server_data)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            app.extensions["sqlalchemy"].engine.dispose()


def fill_catalog() -> None:
    """The demo catalog when this tree has its loader, else a small catalog of our own."""
    if importlib.util.find_spec("mooc_portal.demo") is None:
        fixture_catalog()
    else:
        from mooc_portal.demo import load_demo_data  # type: ignore[import-not-found]

        load_demo_data()


def fixture_catalog() -> None:
    from tests.factories import make_course, make_institution, make_run

    seoul = make_institution(
        "Seoul Open University",
        country="KR",
        slug="seoul-open-university",
        names={"en": "Seoul Open University", "ko": "서울열린대학교"},
    )
    lyon = make_institution("Université de Lyon", country="FR", slug="universite-de-lyon")
    make_course(
        "Climate and Society in Asia and Europe",
        institution=seoul,
        slug="climate-and-society",
        titles={
            "en": "Climate and Society in Asia and Europe",
            "ko": "아시아와 유럽의 기후와 사회",
        },
        summary="How two continents adapt to a warming world.",
        runs=1,
    )
    make_course(
        "Introduction to Data Science",
        institution=lyon,
        slug="introduction-to-data-science",
        subjects=("0542",),
        runs=2,
    )
    korean = make_course(
        "한국어 입문",
        institution=seoul,
        slug="korean-for-beginners",
        original_language="ko",
        teaching_languages=("ko", "en"),
        summary="처음 배우는 한국어.",
        subjects=("0231",),
    )
    make_run(korean, start=utcnow() - timedelta(days=7))


def describe_catalog() -> dict[str, Any]:
    """Pick a public course and partner to visit, and a word that finds the course."""
    from mooc_portal.catalog.models import Course
    from mooc_portal.catalog.services import public_courses
    from mooc_portal.institutions.models import Institution

    courses = session.scalars(public_courses().order_by(Course.slug))
    course = next((c for c in courses if len(c.text("title", "en").text.split()) > 1), None)
    assert course is not None, "the browser tests need a public course with a title in English"
    institution = session.scalar(
        select(Institution).where(Institution.active.is_(True)).order_by(Institution.slug)
    )
    assert institution is not None
    title = course.text("title", "en").text
    word = max(title.split(), key=len).strip(",.:;()")
    return {
        "paths": {
            "course": f"/courses/{course.slug}",
            "institution": f"/institutions/{institution.slug}",
            **describe_learning(),
        },
        "course_title": title,
        "search_word": word,
    }


def describe_learning() -> dict[str, str]:
    """A valid certificate, and a demo learner's course space (empty without the demo step)."""
    from mooc_portal.certificates.models import Certificate
    from mooc_portal.enrollment.models import Enrollment
    from mooc_portal.progress import services as progress

    paths: dict[str, str] = {}
    code = session.scalar(
        select(Certificate.code).where(Certificate.revoked_at.is_(None)).order_by(Certificate.id)
    )
    if code:
        paths["certificate"] = f"/certificates/{code}"
    for enrollment in session.scalars(
        select(Enrollment).where(Enrollment.state == "enrolled").order_by(Enrollment.id)
    ):
        lessons = progress.outline_of(enrollment.course_id).lessons
        if lessons and progress.has_started(enrollment.run):
            paths["learner"] = enrollment.account.email
            paths["learn"] = f"/learn/{enrollment.run.uuid}"
            paths["lesson"] = f"/learn/{enrollment.run.uuid}/lessons/{lessons[0].uuid}"
            break
    return paths


def log_in(context: Any, server: PortalServer, email: str, password: str) -> None:
    """Log ``context`` (a browser context) in through the real login form."""
    page = context.new_page()
    try:
        page.goto(server("/account/login"))
        page.fill("input[name=email]", email)
        page.fill("input[name=password]", password)
        page.click("main button[type=submit]")
        page.wait_for_load_state("load")
        assert "/account/login" not in page.url, f"could not log in as {email}"
    finally:
        page.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.is_file():
        unavailable(f"no Chromium at {CHROMIUM} (Debian package `chromium`)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the `playwright` package is not installed (pip install -e '.[test]')")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE.is_file():
        unavailable(f"axe-core is not installed at {AXE} (`npm install`, run by `make test`)")
    return AXE.read_text()


class PageProblems:
    """What the browser reported while the test ran: CSP refusals, script errors, failed loads."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def watch(self, page: Any) -> None:
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.messages.append(f"script error: {error}"))
        page.on("requestfailed", self._request_failed)

    def _request_failed(self, request: Any) -> None:
        # A load the browser itself gave up because the page navigated away (an image or the
        # icon still coming when the visitor clicked on) is no failure of the portal's.
        if request.failure != "net::ERR_ABORTED":
            self.messages.append(f"failed: {request.url} ({request.failure})")

    def _console(self, message: Any) -> None:
        # A 404 page's own status is reported as a console error; it is what the test asked for.
        if message.type == "error" and "status of 404" not in message.text:
            self.messages.append(f"console: {message.text}")


@pytest.fixture
def page_problems() -> PageProblems:
    return PageProblems()


@pytest.fixture
def page(browser: Any, page_problems: PageProblems) -> Iterator[Any]:
    """A fresh English-speaking visitor (own cookies) on a desktop screen, under the real CSP."""
    context = browser.new_context(viewport=DESKTOP, locale="en-GB", timezone_id="Europe/Paris")
    page = context.new_page()
    page.set_default_timeout(10_000)
    page_problems.watch(page)
    try:
        yield page
    finally:
        context.close()
