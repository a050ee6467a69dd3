from datetime import timedelta

import pytest

from mooc_portal.catalog.models import CourseStatus, Credential, DeliveryMode
from mooc_portal.db import utcnow
from tests.factories import make_course, make_institution, make_run
from tests.federation.openapi_check import check


@pytest.fixture
def catalog(db_session):
    institution = make_institution(
        names={"en": "Seoul Digital University", "ko": "서울디지털대학교"},
        country="KR",
        website="https://sdu.example",
    )
    course = make_course(
        institution=institution,
        titles={"en": "Korean Language 1", "ko": "한국어 1"},
        teaching_languages=("ko", "en"),
        subjects=("0231",),
        credential=Credential.ECTS,
        ects_credits=3,
    )
    start = utcnow() + timedelta(days=10)
    run = make_run(course, start=start, capacity=200)
    make_run(course, start=start + timedelta(days=90), delivery_mode=DeliveryMode.BLENDED)
    make_run(course, start=None)  # to be scheduled: not an offering
    other = make_course(institution=institution, teaching_languages=("en",))
    make_course(institution=institution, status=CourseStatus.DRAFT)
    return {"institution": institution, "course": course, "run": run, "other": other}


def test_every_catalog_endpoint_answers_as_the_specification_says(client, catalog, ooapi_spec):
    institution, course, run = catalog["institution"], catalog["course"], catalog["run"]
    root_id = client.get("/ooapi/v5/organizations").get_json()["items"][0]["organizationId"]
    urls = [
        "/ooapi/v5/",
        "/ooapi/v5/organizations",
        "/ooapi/v5/organizations?pageSize=20&sort=-name",
        f"/ooapi/v5/organizations/{institution.uuid}",
        f"/ooapi/v5/organizations/{institution.uuid}?expand=parent",
        f"/ooapi/v5/organizations/{root_id}?expand=children",
        "/ooapi/v5/courses",
        "/ooapi/v5/courses?pageSize=50&pageNumber=1&sort=courseId&teachingLanguage=kor",
        f"/ooapi/v5/courses/{course.uuid}",
        f"/ooapi/v5/courses/{course.uuid}?expand=organization,programs,coordinators",
        f"/ooapi/v5/courses/{course.uuid}/offerings",
        f"/ooapi/v5/courses/{course.uuid}/offerings?sort=-startDate&modeOfDelivery=hybrid",
        f"/ooapi/v5/offerings/{run.uuid}",
        f"/ooapi/v5/offerings/{run.uuid}?expand=course,organization",
        # errors are OOAPI problems
        "/ooapi/v5/courses?pageSize=15",
        "/ooapi/v5/courses/00000000-0000-4000-8000-000000000000",
        "/ooapi/v5/organizations/not-an-id",
    ]
    for url in urls:
        response = client.get(url)
        check(ooapi_spec, response)


def test_organizations_have_one_root_and_the_institutions_below_it(client, catalog):
    body = client.get("/ooapi/v5/organizations?pageSize=250").get_json()
    roots = [o for o in body["items"] if o["organizationType"] == "root"]
    assert len(roots) == 1
    institute = next(
        o for o in body["items"] if o["organizationId"] == str(catalog["institution"].uuid)
    )
    assert institute["parent"] == roots[0]["organizationId"]
    assert {"language": "ko", "value": "서울디지털대학교"} in institute["name"]


def test_a_course_speaks_ooapi(client, catalog):
    body = client.get(f"/ooapi/v5/courses/{catalog['course'].uuid}").get_json()
    assert body["teachingLanguage"] == "kor"
    assert body["fieldsOfStudy"] == "0231"
    assert {"language": "ko", "value": "한국어 1"} in body["name"]
    assert body["studyLoad"] == {"studyLoadUnit": "ects", "value": 3.0}
    assert body["organization"] == str(catalog["institution"].uuid)


def test_offerings_are_the_dated_runs(client, catalog):
    course = catalog["course"]
    body = client.get(f"/ooapi/v5/courses/{course.uuid}/offerings").get_json()
    assert [o["offeringId"] for o in body["items"]] == [
        str(r.uuid) for r in course.runs if r.start_at is not None
    ]
    first = body["items"][0]
    assert first["maxNumberStudents"] == 200 and first["course"] == str(course.uuid)
    hybrid = client.get(
        f"/ooapi/v5/courses/{course.uuid}/offerings?modeOfDelivery=hybrid"
    ).get_json()
    assert [o["modeOfDelivery"] for o in hybrid["items"]] == [["hybrid"]]


def test_pages_and_teaching_language_filter(client, catalog):
    body = client.get("/ooapi/v5/courses?pageSize=10&teachingLanguage=kor").get_json()
    ids = [c["courseId"] for c in body["items"]]
    assert str(catalog["course"].uuid) in ids and str(catalog["other"].uuid) not in ids
    assert body["pageSize"] == 10 and body["pageNumber"] == 1


@pytest.mark.parametrize(
    "query",
    [
        "pageSize=15",
        "pageSize=ten",
        "pageNumber=0",
        "sort=title",
        "teachingLanguage=ko_KR",
        "teachingLanguage=k",
        "level=phd",
        "modeOfDelivery=carrier-pigeon",
    ],
)
def test_bad_parameters_are_400_problems(client, query, ooapi_spec):
    response = check(ooapi_spec, client.get(f"/ooapi/v5/courses?{query}"))
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["status"] == "400"
    assert query.split("=")[0] in response.get_json()["detail"]


def test_course_search_is_the_catalogs_full_text_search(client, db_session):
    make_course("Marine Biology", summary="Coral reefs of the Andaman Sea.")
    make_course("Urban Planning", summary="Cities and their streets.")
    found = client.get("/ooapi/v5/courses", query_string={"search": "coral"}).get_json()
    assert [c["name"][0]["value"] for c in found["items"]] == ["Marine Biology"]


def test_organization_search_takes_wildcards_literally(client, db_session):
    make_institution("Universiti Malaya", country="MY")

    def institutions(search):
        body = client.get("/ooapi/v5/organizations", query_string={"search": search}).get_json()
        return [o["name"][0]["value"] for o in body["items"] if o["organizationType"] != "root"]

    assert institutions("malaya") == ["Universiti Malaya"]
    assert institutions("%") == [] and institutions("_") == []
