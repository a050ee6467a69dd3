"""Large course imports (issue 10): above MOOC_IMPORT_INLINE_ROWS a background job checks and
applies the file; the partner sees its state, then the same report as the inline path."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from mooc_portal.catalog.models import Course
from mooc_portal.db import session
from mooc_portal.jobs import services as jobs
from mooc_portal.jobs.models import OutboxJob
from mooc_portal.publishing.models import CourseImport
from tests.factories import make_account, make_institution

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def home(db_session):
    return make_institution(slug="big-import-u")


@pytest.fixture
def editor(home, db_session):
    account = make_account(memberships={home: "editor"})
    db_session.commit()  # the worker's relay below commits and rolls back as it goes
    return account


def course_count(institution):
    return session.scalar(
        select(func.count(Course.id)).where(Course.institution_id == institution.id)
    )


def post(client, auth, url, data, name, *, apply):
    form = {"csrf_token": auth.csrf_token(url), "file": (io.BytesIO(data), name)}
    if apply:
        form["apply"] = "y"
    return client.post(url, data=form, content_type="multipart/form-data")


def report_table(page: str) -> str:
    match = re.search(r"<tbody>.*?</tbody>", page, re.S)
    assert match, page
    return match.group(0)


@pytest.mark.parametrize("name", ["courses.csv", "courses.json"])
def test_a_large_file_is_checked_and_applied_by_the_worker_with_the_inline_report(
    app, db_session, client, auth, home, editor, monkeypatch, name
):
    auth.login(editor.email)
    url = f"/partner/{home.slug}/import"
    data = (EXAMPLES / name).read_bytes()
    inline = post(client, auth, url, data, name, apply=False)
    assert inline.status_code == 200
    inline_table = report_table(inline.get_data(as_text=True))

    monkeypatch.setitem(app.config, "MOOC_IMPORT_INLINE_ROWS", 1)  # both rows count as large
    monkeypatch.setitem(app.config, "MOOC_REDIS_URL", "redis://127.0.0.1:1/0")  # no worker yet
    queued = post(client, auth, url, data, name, apply=False)
    assert queued.status_code == 302 and queued.headers["Location"].endswith(url)
    waiting = client.get(url).get_data(as_text=True)
    assert (
        f"Your file {name} is being checked in the background (2 rows). "
        "Reload this page to see the result."
    ) in waiting
    assert "<tbody>" not in waiting

    monkeypatch.setitem(app.config, "MOOC_REDIS_URL", None)
    db_session.commit()  # the test's own transaction ends (the relay's session rolls back)
    jobs.relay_once()  # the worker
    page = client.get(url).get_data(as_text=True)
    assert "Checked: nothing was stored yet" in page
    assert f"File: {name}" in page
    assert "To create: 2. To update: 0. Unchanged: 0." in page
    assert report_table(page) == inline_table
    assert course_count(home) == 0

    monkeypatch.setitem(app.config, "MOOC_REDIS_URL", "redis://127.0.0.1:1/0")
    assert post(client, auth, url, data, name, apply=True).status_code == 302
    waiting = client.get(url).get_data(as_text=True)
    assert "is being imported in the background (2 rows)" in waiting
    monkeypatch.setitem(app.config, "MOOC_REDIS_URL", None)
    db_session.commit()
    jobs.relay_once()
    page = client.get(url).get_data(as_text=True)
    assert "Created: 2. Updated: 0. Unchanged: 0." in page
    assert course_count(home) == 2
    stored = session.scalars(select(CourseImport).order_by(CourseImport.id)).all()
    assert [(i.state, i.apply, i.data) for i in stored] == [
        ("done", False, None),
        ("done", True, None),
    ]  # the uploaded files are not kept once imported
    assert {j.state for j in session.scalars(select(OutboxJob))} == {"done"}


def test_a_large_file_with_errors_stores_nothing_and_says_what_to_correct(
    app, client, auth, home, editor, monkeypatch
):
    monkeypatch.setitem(app.config, "MOOC_IMPORT_INLINE_ROWS", 1)
    auth.login(editor.email)
    url = f"/partner/{home.slug}/import"
    data = b"code;title;level\nOK1;Fine;introductory\nBAD;;expert\n"
    assert post(client, auth, url, data, "c.csv", apply=True).status_code == 302
    page = client.get(url).get_data(as_text=True)  # no Redis: it ran after the commit
    assert "The file has errors: nothing was stored" in page
    assert "<td>3</td><td>BAD</td>" in page and "Not imported" in page
    assert "Write one of: introductory, intermediate, advanced." in page
    assert course_count(home) == 0


def test_another_staff_member_does_not_see_my_background_import(
    app, client, auth, home, editor, monkeypatch
):
    monkeypatch.setitem(app.config, "MOOC_IMPORT_INLINE_ROWS", 1)
    auth.login(editor.email)
    url = f"/partner/{home.slug}/import"
    data = (EXAMPLES / "courses.csv").read_bytes()
    assert post(client, auth, url, data, "courses.csv", apply=False).status_code == 302
    auth.logout()
    colleague = make_account("colleague@example.org", memberships={home: "editor"})
    session.commit()
    auth.login(colleague.email)
    page = client.get(url).get_data(as_text=True)
    assert "courses.csv" not in page and "<tbody>" not in page
