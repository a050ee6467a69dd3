"""Issue 8, finding 6: every exported CSV cell is neutralised against spreadsheet formulas."""

import csv
import io
from datetime import timedelta

import pytest

from mooc_portal.csv_export import csv_cell
from mooc_portal.db import session, utcnow
from mooc_portal.enrollment import services as enrolment
from tests.factories import make_account, make_course, make_institution, make_run

ATTACKS = ['=HYPERLINK("https://evil.example")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]


@pytest.mark.parametrize("value", ATTACKS)
def test_a_cell_that_starts_like_a_formula_gets_a_quote(value):
    assert csv_cell(value) == "'" + value


def test_plain_cells_and_numbers_stay_as_they_are():
    assert csv_cell("Kim Minji") == "Kim Minji"
    assert csv_cell(-3) == -3 and csv_cell(None) == ""


def rows(response):
    assert response.status_code == 200 and response.mimetype == "text/csv"
    body = response.get_data()
    # UTF-8 with a byte order mark: spreadsheet software then reads Hangul as Hangul.
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_enrolment_and_progress_exports_neutralise_codes_names_and_emails(client, auth):
    institution = make_institution()
    manager = make_account(memberships={institution: "manager"})
    course = make_course(institution=institution, code='=HYPERLINK("https://evil.example")')
    start = utcnow() - timedelta(days=1)
    run = make_run(course, start=start, enrollment_start_at=start - timedelta(days=5))
    learner = make_account("-cmd@example.org", display_name="@SUM(A1)")
    enrolment.enroll(run, learner, actor=learner)
    session.commit()
    auth.login(manager.email)

    enrolments = rows(client.get("/partner/enrolments.csv"))
    header, line = enrolments[0], enrolments[1]
    cells = dict(zip(header, line, strict=True))
    assert cells["course"] == '\'=HYPERLINK("https://evil.example")'
    assert cells["learner"] == "'@SUM(A1)" and cells["email"] == "'-cmd@example.org"

    progress = rows(client.get(f"/partner/runs/{run.uuid}/progress.csv"))
    cells = dict(zip(progress[0], progress[1], strict=True))
    assert cells["email"] == "'-cmd@example.org"
    assert not any(c and c[0] in "=+-@\t\r" for line in progress for c in line)
