"""Bulk import: dry run with row/field errors, all-or-nothing, idempotent by code, CLI."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from mooc_portal.audit.models import AuditEntry
from mooc_portal.catalog.models import Course
from mooc_portal.db import session
from mooc_portal.errors import InvalidInput, NotFound
from mooc_portal.publishing.importer import import_courses, parse_file
from tests.factories import make_account, make_course, make_institution

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def course_count(institution):
    return session.scalar(
        select(func.count(Course.id)).where(Course.institution_id == institution.id)
    )


@pytest.fixture
def home(db_session):
    return make_institution(slug="home-u")


@pytest.fixture
def editor(home):
    return make_account(memberships={home: "editor"})


@pytest.mark.parametrize("name", ["courses.csv", "courses.json"])
def test_example_files_import_then_reimport_changes_nothing(home, editor, name):
    rows = parse_file((EXAMPLES / name).read_bytes(), name)
    dry = import_courses(editor, home, rows, apply=False)
    assert dry.ok and [r.action for r in dry.rows] == ["create", "create"]
    assert course_count(home) == 0
    report = import_courses(editor, home, rows, apply=True)
    assert report.applied and course_count(home) == 2
    clim = session.scalar(select(Course).where(Course.code == "CLIM101"))
    assert clim.status == "draft"
    assert clim.text("title", "ko").text == "기후와 사회"
    assert clim.subtitle_languages == ["ko", "zh"]
    entries = session.scalar(select(func.count(AuditEntry.id)))
    again = import_courses(editor, home, rows, apply=True)
    assert [r.action for r in again.rows] == ["unchanged", "unchanged"]
    assert session.scalar(select(func.count(AuditEntry.id))) == entries


def test_changed_rows_update_the_matching_course(home, editor):
    make_course("Old title", institution=home, code="CLIM101", status="published")
    rows = parse_file((EXAMPLES / "courses.json").read_bytes(), "courses.json")
    report = import_courses(editor, home, rows, apply=True)
    assert [r.action for r in report.rows] == ["update", "create"]
    course = session.scalar(select(Course).where(Course.code == "CLIM101"))
    assert course.text("title", "en").text == "Climate and Society"
    assert course.status == "published"  # edits to a published course are live


def test_errors_name_row_and_field_and_nothing_is_stored(home, editor):
    csv_text = (
        "code,title,teaching_languages,subjects,effort_hours,credential\n"
        "OK1,Fine course,en,0521,3,none\n"
        "BAD1,Broken,en;notalanguage!!,9999,-2,ects\n"
        ",No code,en,,,none\n"
        "OK1,Duplicate,en,,,none\n"
    )
    rows = parse_file(csv_text.encode(), "courses.csv")
    report = import_courses(editor, home, rows, apply=True)
    assert not report.ok and not report.applied
    errors = {(r.row, f) for r in report.rows for f, _m in r.errors}
    assert {
        (2, "teaching_languages"),
        (2, "subjects"),
        (2, "effort_hours"),
        (2, "ects_credits"),
        (3, "code"),
        (4, "code"),
    } <= errors
    assert not any(row == 1 for row, _f in errors)
    assert course_count(home) == 0


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"[1, 2", "c.json"),
        (b'{"x": 1}', "c.json"),
        (b"title\nNo code column\n", "c.csv"),
        (b"\xff\xfe\x00garbage", "c.csv"),
        (b"code\nX\n", "c.xlsx"),
    ],
)
def test_unreadable_files_are_refused_at_the_file_field(data, name):
    with pytest.raises(InvalidInput) as refused:
        parse_file(data, name)
    assert refused.value.field == "file"


def test_json_with_wrong_value_types_reports_errors_not_500(home, editor):
    rows = [{"code": 7, "title": 12, "translations": ["ko"], "length_weeks": "many"}]
    report = import_courses(editor, home, rows, apply=False)
    fields = {f for r in report.rows for f, _m in r.errors}
    assert {"translations", "length_weeks"} <= fields


def test_staff_of_another_institution_cannot_import(home):
    stranger = make_account(memberships={make_institution(): "manager"})
    with pytest.raises(NotFound):
        import_courses(stranger, home, [{"code": "X", "title": "X"}], apply=True)


def test_web_import_dry_run_then_apply(client, auth, home, editor):
    auth.login(editor.email)
    url = f"/partner/{home.slug}/import"
    data = (EXAMPLES / "courses.csv").read_bytes()

    def post(apply):
        form = {"csrf_token": auth.csrf_token(url), "file": (io.BytesIO(data), "courses.csv")}
        if apply:
            form["apply"] = "y"
        return client.post(url, data=form, content_type="multipart/form-data")

    dry = post(False)
    assert dry.status_code == 200
    assert "Dry run" in dry.get_data(as_text=True)
    assert course_count(home) == 0
    assert post(True).status_code == 200
    assert course_count(home) == 2
    bad = client.post(
        url,
        data={
            "csrf_token": auth.csrf_token(url),
            "file": (io.BytesIO(b"code,title\n,x\n"), "bad.csv"),
            "apply": "y",
        },
        content_type="multipart/form-data",
    )
    assert bad.status_code == 400
    assert "nothing was stored" in bad.get_data(as_text=True)


def test_cli_import_with_progress_and_idempotence(runner, home, tmp_path):
    path = tmp_path / "courses.json"
    path.write_text(json.dumps(json.loads((EXAMPLES / "courses.json").read_text())))
    result = runner.invoke(args=["portal", "import", str(path), "--institution", "home-u"])
    assert result.exit_code == 0, result.output
    assert "Imported: create 2, update 0, unchanged 0." in result.output
    assert course_count(home) == 2
    result = runner.invoke(args=["portal", "import", str(path), "--institution", "home-u"])
    assert "unchanged 2" in result.output
    result = runner.invoke(args=["portal", "import", str(path), "--institution", "nowhere"])
    assert result.exit_code != 0 and "No such institution" in result.output


def test_cli_import_names_the_staff_member_given_with_as(runner, home, editor, tmp_path):
    path = tmp_path / "courses.json"
    path.write_text((EXAMPLES / "courses.json").read_text())
    args = ["portal", "import", str(path), "--institution", "home-u"]

    stranger = make_account("stranger@example.org")
    session.commit()  # a refused command rolls back its session, which is the test's here
    refused = runner.invoke(args=[*args, "--as", stranger.email])
    assert refused.exit_code != 0 and course_count(home) == 0
    unknown = runner.invoke(args=[*args, "--as", "nobody@example.org"])
    assert unknown.exit_code != 0 and "nobody@example.org" in unknown.output

    result = runner.invoke(args=[*args, "--as", editor.email.upper()])
    assert result.exit_code == 0, result.output
    entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "import")).all()
    assert entries and {entry.actor_id for entry in entries} == {editor.id}
