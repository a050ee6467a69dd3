"""Issue 8, finding 8: bulk import keeps the forms' limits; no file gives a 500.

Before, a 3,000,000-character summary went live through import, a CSV cell over 131,072
characters and deeply nested JSON answered 500.
"""

import io
import json

import pytest
from sqlalchemy import func, select

from mooc_portal.catalog.models import Course
from mooc_portal.db import session
from mooc_portal.errors import InvalidInput
from mooc_portal.publishing.importer import import_courses, parse_file
from mooc_portal.publishing.validation import TEXT_LIMITS
from tests.factories import make_account, make_institution


@pytest.fixture
def home(db_session):
    return make_institution(slug="home-u")


@pytest.fixture
def editor(home):
    return make_account(memberships={home: "editor"})


def courses(home):
    return session.scalar(select(func.count(Course.id)).where(Course.institution_id == home.id))


def upload(client, auth, home, name, data):
    url = f"/partner/{home.slug}/import"
    form = {
        "csrf_token": auth.csrf_token(url),
        "file": (io.BytesIO(data), name),
        "apply": "y",
    }
    return client.post(url, data=form, content_type="multipart/form-data")


@pytest.mark.parametrize(
    ("field", "limit"),
    [(name, TEXT_LIMITS[name]) for name in ("summary", "description", "learning_outcomes")]
    + [("accessibility_statement", TEXT_LIMITS["accessibility_statement"])],
)
def test_import_refuses_texts_longer_than_the_forms_allow(home, editor, field, limit):
    row = {"code": "LONG1", "title": "Long", field: "x" * (limit + 1)}
    report = import_courses(editor, home, [row], apply=True)
    assert not report.applied and courses(home) == 0
    [result] = report.rows
    assert any(
        f.endswith(field) and f"at most {limit} characters" in m for f, m in result.errors
    ), result.errors


def test_a_three_million_character_summary_is_a_row_error_on_the_web(client, auth, home, editor):
    auth.login(editor.email)
    body = "code,title,summary\nBIG1,Big,{}\n".format("y" * 100_000).encode()
    response = upload(client, auth, home, "big.csv", body)
    assert response.status_code == 400
    assert "at most 2000 characters" in response.get_data(as_text=True)
    # Kept under the 500 KB beyond which Werkzeug's test client spools the upload to a file.
    large = json.dumps([{"code": "BIG2", "title": "Big", "summary": "z" * 400_000}])
    response = upload(client, auth, home, "big.json", large.encode())
    assert response.status_code == 400
    assert "at most 2000 characters (this has 400000)" in response.get_data(as_text=True)
    huge = json.dumps([{"code": "BIG3", "title": "Big", "summary": "z" * 3_000_000}])
    report = import_courses(editor, home, parse_file(huge.encode(), "huge.json"), apply=True)
    assert not report.applied and "at most 2000" in report.rows[0].errors[0][1]
    assert courses(home) == 0


def test_a_csv_cell_over_the_parsers_limit_is_a_row_error(client, auth, home, editor):
    auth.login(editor.email)
    body = "code,title,summary\nOK1,Fine,short\nBIG1,Big,{}\n".format("y" * 131_073).encode()
    rows = parse_file(body, "big.csv")
    report = import_courses(editor, home, rows, apply=False)
    assert report.rows[0].errors == []
    assert report.rows[1].row == 2
    assert "A cell is longer than 131072 characters." in report.rows[1].errors[0][1]
    response = upload(client, auth, home, "big.csv", body)
    assert response.status_code == 400
    assert "A cell is longer than 131072 characters." in response.get_data(as_text=True)
    assert courses(home) == 0


def test_a_nul_in_a_csv_is_a_row_error_not_a_database_error(client, auth, home, editor):
    auth.login(editor.email)
    response = upload(client, auth, home, "nul.csv", b"code,title\nN1,Nul\x00title\n")
    assert response.status_code == 400
    assert courses(home) == 0
    report = import_courses(
        editor, home, [{"code": "N2", "title": "T", "summary": "a\x00b"}], apply=True
    )
    assert report.rows[0].errors == [("summary", "Remove the NUL character from this text.")]


def test_deeply_nested_json_is_a_clear_error(client, auth, home, editor):
    auth.login(editor.email)
    deep = "[" * 100_000 + "]" * 100_000
    response = upload(client, auth, home, "deep.json", deep.encode())
    assert response.status_code == 400
    assert "nested more than 20 levels deep" in response.get_data(as_text=True)
    with pytest.raises(InvalidInput):
        parse_file(deep.encode(), "deep.json")

    nested = {"code": "N1", "title": {"en": {"deeper": ["x"]}}, "subjects": [["0613"]]}
    rows = parse_file(json.dumps([nested]).encode(), "rows.json")
    report = import_courses(editor, home, rows, apply=True)
    assert dict(report.rows[0].errors) == {
        "title": "Give a text or a number here, not a list or object.",
        "subjects": "Give a list of texts.",
    }
    assert courses(home) == 0
