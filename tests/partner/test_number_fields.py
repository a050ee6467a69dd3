"""Issue 12: an optional number left empty is no number, on every form with the portal's
number fields (``mooc_portal.forms``): a browser sends the empty box, and a partner could not
save a course without ECTS credits ("Not a valid decimal value" at the ECTS field)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from mooc_portal.catalog.models import Course, CourseRecognition
from mooc_portal.db import session
from tests.partner.course_forms import post_course

EMPTY = ["", "   "]


def error_at(page: str, name: str) -> str | None:
    found = re.search(rf'id="{name}-error">(.*?)</', page, re.S)
    return found.group(1).strip() if found else None


def stored(code: str) -> Course | None:
    session.expire_all()
    return session.scalar(select(Course).where(Course.code == code))


@pytest.mark.parametrize("empty", EMPTY)
@pytest.mark.parametrize("credential", ["none", "certificate"])
def test_a_new_course_without_ects_credits_is_saved(client, auth, home, credential, empty):
    auth.login(home["editor"].email)
    url = f"/partner/{home['institution'].slug}/courses/new"
    response = post_course(
        client, auth, url, credential=credential, ects_credits=empty, effort_hours=empty
    )
    assert response.status_code == 302, error_at(response.get_data(as_text=True), "ects_credits")
    course = stored("NEW1")
    assert course.credential == credential
    assert course.ects_credits is None and course.effort_hours is None


@pytest.mark.parametrize("empty", EMPTY)
def test_a_certificate_course_is_edited_with_the_ects_box_empty(client, auth, home, empty):
    auth.login(home["editor"].email)
    edit = f"/partner/courses/{home['course'].uuid}/edit"
    response = post_course(client, auth, edit, code="HOME1", ects_credits=empty, length_weeks=empty)
    assert response.status_code == 302
    course = stored("HOME1")
    assert course.credential == "certificate" and course.ects_credits is None
    assert course.length_weeks is None


def test_ects_credits_with_their_credential_are_saved(client, auth, home):
    auth.login(home["editor"].email)
    url = f"/partner/{home['institution'].slug}/courses/new"
    response = post_course(client, auth, url, credential="ects", ects_credits=" 5 ")
    assert response.status_code == 302
    assert stored("NEW1").ects_credits == Decimal(5)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"credential": "ects", "ects_credits": ""}, "Give the number of ECTS credits."),
        ({"credential": "ects", "ects_credits": "0"}, "Number must be at least 0.1."),
        (
            {"credential": "certificate", "ects_credits": "5"},
            "ECTS credits need the ECTS credential.",
        ),
        ({"credential": "ects", "ects_credits": "five"}, "Not a valid decimal value."),
        ({"credential": "ects", "ects_credits": "NaN"}, "Not a valid decimal value."),
        ({"credential": "ects", "ects_credits": "Infinity"}, "Not a valid decimal value."),
    ],
)
def test_wrong_ects_credits_keep_their_message(client, auth, home, overrides, message):
    auth.login(home["editor"].email)
    url = f"/partner/{home['institution'].slug}/courses/new"
    response = post_course(client, auth, url, **overrides)
    assert response.status_code == 400
    assert error_at(response.get_data(as_text=True), "ects_credits") == message
    assert stored("NEW1") is None


def test_the_korean_form_accepts_the_empty_box_too(client, auth, home):
    auth.login(home["editor"].email)
    client.post("/language", data={"language": "ko", "csrf_token": auth.csrf_token("/")})
    edit = f"/partner/courses/{home['course'].uuid}/edit"
    response = post_course(client, auth, edit, code="HOME1", ects_credits="")
    assert response.status_code == 302
    response = post_course(client, auth, edit, code="HOME1", credential="ects", ects_credits="x")
    assert response.status_code == 400
    assert error_at(response.get_data(as_text=True), "ects_credits") not in (None, "")


RECOGNITION = {"assessment": "none", "national_framework": "", "quality_assurance": ""}


@pytest.mark.parametrize(
    ("workload", "eqf", "status", "stored_values"),
    [
        ("", "", 302, (None, None)),
        ("   ", "  ", 302, (None, None)),
        ("12.5", "6", 302, (Decimal("12.5"), 6)),
        ("lots", "6", 400, None),
        ("12", "six", 400, None),
        ("0", "6", 400, None),
    ],
)
def test_the_recognition_form_reads_its_numbers_the_same_way(
    client, auth, home, workload, eqf, status, stored_values
):
    auth.login(home["editor"].email)
    url = f"/partner/courses/{home['course'].uuid}/recognition"
    data = {**RECOGNITION, "workload_hours": workload, "eqf_level": eqf}
    response = client.post(url, data={**data, "csrf_token": auth.csrf_token(url)})
    assert response.status_code == status
    session.expire_all()
    saved = session.scalar(
        select(CourseRecognition).where(CourseRecognition.course_id == home["course"].id)
    )
    if stored_values is None:
        page = response.get_data(as_text=True)
        assert error_at(page, "workload_hours") or error_at(page, "eqf_level")
        assert saved is None
    else:
        assert (saved.workload_hours, saved.eqf_level) == stored_values


@pytest.mark.parametrize("empty", EMPTY)
def test_a_run_with_an_empty_capacity_is_unlimited(client, auth, home, empty):
    auth.login(home["manager"].email)
    url = f"/partner/courses/{home['course'].uuid}/runs/new"
    response = client.post(
        url,
        data={"csrf_token": auth.csrf_token(url), "capacity": empty, "delivery_mode": "online"},
    )
    assert response.status_code == 302
    session.expire_all()
    assert len(home["course"].runs) == 2
    assert all(run.capacity is None for run in home["course"].runs)
