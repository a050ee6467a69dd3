"""Recognition details and audience marks: set by partner staff, shown on the course page,
filterable in the catalog, carried in the OOAPI course, the export and the Open Badge."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from mooc_portal.catalog.models import CourseRecognition
from mooc_portal.certificates.services import recognition_terms
from mooc_portal.db import session
from mooc_portal.errors import InvalidInput, NotFound
from mooc_portal.federation.serialize import recognition_resource
from mooc_portal.publishing.recognition import RecognitionData, set_recognition
from tests.factories import make_account, make_course, make_institution
from tests.federation import conftest as federation_fixtures
from tests.federation.openapi_check import check

ooapi_spec = federation_fixtures.ooapi_spec  # the OOAPI v5 document, as a fixture here too

FORM = {
    "workload_hours": "120",
    "eqf_level": "6",
    "national_framework": "Korean Qualifications Framework, level 6",
    "assessment": "supervised_on_site",
    "identity_check": "y",
    "quality_assurance": "Korean Council for University Education",
    "prerequisites": "Basic statistics.",
    "stackable": "y",
    "tvet": "y",
    "with_industry": "y",
}


@pytest.fixture
def place(db_session):
    home = make_institution("Recognition Home", slug="recognition-home", country="KR")
    other = make_institution("Recognition Other", slug="recognition-other", country="DE")
    course = make_course("Welding Robots", institution=home, slug="welding-robots")
    plain = make_course("Plain Course", institution=home, slug="plain-course")
    editor = make_account("editor@recognition.example", memberships={home: "editor"})
    stranger = make_account("editor@other.example", memberships={other: "editor"})
    session.commit()
    return {"course": course, "plain": plain, "editor": editor, "stranger": stranger}


def test_staff_set_recognition_and_the_course_page_shows_it(client, auth, place):
    course = place["course"]
    auth.login(place["editor"].email)
    url = f"/partner/courses/{course.uuid}/recognition"
    assert client.get(url).status_code == 200
    token = auth.csrf_token(url)
    response = client.post(url, data={**FORM, "csrf_token": token})
    assert response.status_code == 302
    stored = session.scalar(
        select(CourseRecognition).where(CourseRecognition.course_id == course.id)
    )
    assert (stored.workload_hours, stored.eqf_level, stored.assessment) == (
        Decimal("120.0"),
        6,
        "supervised_on_site",
    )
    assert stored.audiences == ["tvet", "with_industry"] and stored.stackable
    page = client.get(f"/courses/{course.slug}").get_data(as_text=True)
    for text in (
        "120 hours in total",
        "EQF level 6",
        "Korean Qualifications Framework, level 6",
        "Supervised on site",
        "identity checked",
        "Korean Council for University Education",
        "Basic statistics.",
        "Technical and vocational (TVET)",
        "Made with industry",
    ):
        assert text in page, text


def test_bad_recognition_input_is_refused_with_a_message(client, auth, place):
    course = place["course"]
    auth.login(place["editor"].email)
    url = f"/partner/courses/{course.uuid}/recognition"
    token = auth.csrf_token(url)
    response = client.post(url, data={**FORM, "eqf_level": "9", "csrf_token": token})
    assert response.status_code == 400
    assert "Number must be between 1 and 8." in response.get_data(as_text=True)
    assert session.get(CourseRecognition, course.id) is None
    with pytest.raises(InvalidInput):
        set_recognition(place["editor"], course, RecognitionData(assessment="oral exam"))


def test_another_institutions_staff_cannot_set_it(client, auth, place):
    course = place["course"]
    with pytest.raises(NotFound):
        set_recognition(place["stranger"], course, RecognitionData(tvet=True))
    auth.login(place["stranger"].email)
    url = f"/partner/courses/{course.uuid}/recognition"
    assert client.get(url).status_code == 404
    assert session.get(CourseRecognition, course.id) is None


def test_the_catalog_filters_by_audience_and_counts_each_mark(client, place):
    set_recognition(
        place["editor"], place["course"], RecognitionData(tvet=True, lifelong_learning=True)
    )
    session.commit()
    page = client.get("/courses?audience=tvet").get_data(as_text=True)
    assert "Welding Robots" in page and "Plain Course" not in page
    everything = client.get("/courses").get_data(as_text=True)
    assert 'Technical and vocational (TVET) <span class="facet-count">(1)</span>' in everything
    assert "Plain Course" in everything
    assert client.get("/courses?audience=nonsense").status_code == 200  # ignored, said so


def test_ooapi_export_and_open_badge_carry_it(client, place, ooapi_spec):
    course = place["course"]
    set_recognition(
        place["editor"],
        course,
        RecognitionData(
            workload_hours=Decimal(40),
            eqf_level=6,
            assessment="proctored",
            identity_check=True,
            prerequisites="None.",
            stackable=True,
            lifelong_learning=True,
        ),
    )
    session.commit()
    response = client.get(f"/ooapi/v5/courses/{course.uuid}")
    ooapi = response.get_json()
    assert ooapi["level"] == "bachelor"
    assert ooapi["admissionRequirements"] == [{"language": "en", "value": "None."}]
    assert ooapi["ext"]["recognition"]["stackable"] is True
    assert ooapi["ext"]["recognition"]["audiences"] == ["lifelong_learning"]
    exported = recognition_resource(course)
    assert exported["workload_hours"] == 40.0 and exported["assessment"] == "proctored"
    terms = recognition_terms(course)
    assert terms["humanCode"] == course.code
    assert {"assessment:proctored", "EQF level 6", "identity-checked", "stackable"} <= set(
        terms["tag"]
    )
    assert "lifelong_learning" in terms["tag"]
    assert "prerequisites: None." in terms["tag"]
    assert recognition_resource(place["plain"]) is None
    check(ooapi_spec, response)  # still what the OOAPI v5 specification allows
