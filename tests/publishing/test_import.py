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
from mooc_portal.publishing.importer import field_label, import_courses, parse_file
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
    assert "Checked: nothing was stored yet" in dry.get_data(as_text=True)
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


def test_a_semicolon_csv_from_a_european_spreadsheet_imports(home, editor):
    text = (
        "\ufeffcode;title;teaching_languages;subjects;title:ko\n"
        'SEMI1;"Data, Society and You";en,ko;0521;데이터와 사회\n'
    )
    report = import_courses(editor, home, parse_file(text.encode(), "export.csv"), apply=True)
    assert report.ok and report.applied, report.rows
    course = session.scalar(select(Course).where(Course.code == "SEMI1"))
    assert course.text("title", "en").text == "Data, Society and You"
    assert course.text("title", "ko").text == "데이터와 사회"
    assert sorted(course.teaching_languages) == ["en", "ko"]


def test_errors_are_worded_for_the_person_who_fills_the_file(home, editor):
    text = (
        "code,original_language,title,level,title:xx!!,summary:ko\n"
        "A1,notalanguage!!,Title,expert,,\n"
        "A2,en,Fine,introductory,Oops,Only a summary\n"
        "A3,en,Good,advanced,,\n"
    )
    report = import_courses(editor, home, parse_file(text.encode(), "c.csv"), apply=False)
    first, second, third = report.rows
    # The bad tag once, at the column that holds it; the choices named.
    assert [f for f, _m in first.errors].count("original_language") == 1
    assert not any(f in ("language", "title") for f, _m in first.errors)
    assert ("level", "Write one of: introductory, intermediate, advanced.") in first.errors
    # A translation's errors at its column (title:xx!!, title:ko), never "xx!!:title".
    columns = {f for f, _m in second.errors}
    assert columns == {"title:xx!!", "title:ko"}, second.errors
    assert any("is not a language tag" in m for _f, m in second.errors)
    # Rows with errors are not imported, whatever the others; a clean row says what it does.
    assert (first.action, second.action, third.action) == ("", "", "create")
    assert field_label("title:ko", lambda tag: {"ko": "Korean"}[tag]) == "Title in Korean"
    assert field_label("learning_outcomes") == "What you will learn"


@pytest.mark.parametrize("kind", ["csv", "json"])
def test_the_template_downloads_and_checks_clean(client, auth, home, editor, kind):
    auth.login(editor.email)
    page = client.get(f"/partner/{home.slug}/import").get_data(as_text=True)
    url = f"/partner/{home.slug}/import/template.{kind}"
    assert f'href="{url}"' in page
    response = client.get(url)
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.get_data()
    if kind == "csv":
        assert body.startswith(b"\xef\xbb\xbf")  # spreadsheets read the Hangul as Hangul
        assert "title:ko" in body.decode("utf-8-sig").splitlines()[0]
    report = import_courses(editor, home, parse_file(body, f"template.{kind}"), apply=True)
    assert report.ok and [r.action for r in report.rows] == ["create"]
    # The CSV's formula guard (a ' before "- One thing...") is not stored.
    stored = session.scalar(select(Course).where(Course.code == "EXAMPLE101"))
    outcomes = stored.text("learning_outcomes", "en").text
    assert outcomes == "- One thing learners will be able to do\n- Another one"
    stranger = make_account(memberships={make_institution(): "manager"})
    session.commit()
    auth.logout()
    auth.login(stranger.email)
    assert client.get(url).status_code in (403, 404)


def test_the_report_names_spreadsheet_rows_and_columns(client, auth, home, editor):
    auth.login(editor.email)
    url = f"/partner/{home.slug}/import"
    data = b"code;title;level\nOK1;Fine;introductory\nBAD;;expert\n"
    response = client.post(
        url,
        data={"csrf_token": auth.csrf_token(url), "file": (io.BytesIO(data), "c.csv")},
        content_type="multipart/form-data",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Spreadsheet row" in page and "<td>3</td><td>BAD</td>" in page
    assert "Not imported" in page and "1 course has errors" in page
    assert "<strong>Level</strong>" in page and "<code>level</code>" in page
    assert "Write one of: introductory, intermediate, advanced." in page
    assert "en:title" not in page
