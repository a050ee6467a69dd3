"""OOAPI v5 as its consumers query it (eduXchange-style: from an organization, with ``q``,
filters and both language forms); every response checked against the official bundle."""

import json
from datetime import timedelta

import pytest
from openapi_schema_validator import OAS30Validator

from mooc_portal.catalog.models import Credential, DeliveryMode, Level
from mooc_portal.db import utcnow
from tests.factories import make_course, make_institution, make_run
from tests.federation.conftest import SPEC_PATH
from tests.federation.openapi_check import check


@pytest.fixture(scope="module")
def problem_schema():
    document = json.loads(SPEC_PATH.read_text())
    return OAS30Validator(document["components"]["schemas"]["Problem"])


@pytest.fixture
def world(db_session):
    seoul = make_institution("Seoul Digital University", country="KR", slug="sdu")
    berlin = make_institution("Freie Akademie Berlin", country="DE", slug="fab")
    marine = make_course(
        "Marine Biology",
        institution=seoul,
        summary="Coral reefs of the Andaman Sea.",
        level=Level.ADVANCED,
        credential=Credential.CERTIFICATE,
    )
    german = make_course(
        "Deutsch für Anfänger", institution=berlin, teaching_languages=("de",), code="DE-101"
    )
    chinese = make_course("Mandarin 1", institution=seoul, teaching_languages=("zh-CN",))
    now = utcnow()
    under_way = make_run(marine, start=now - timedelta(days=10), weeks=6)
    future = make_run(marine, start=now + timedelta(days=30), delivery_mode=DeliveryMode.BLENDED)
    past = make_run(marine, start=now - timedelta(days=200), weeks=4)
    berlin_run = make_run(german, start=now + timedelta(days=5))
    make_run(chinese, start=now + timedelta(days=5), cancelled=True)
    return {
        "seoul": seoul,
        "berlin": berlin,
        "marine": marine,
        "german": german,
        "chinese": chinese,
        "under_way": under_way,
        "future": future,
        "past": past,
        "berlin_run": berlin_run,
    }


def get(client, spec, url, **params):
    response = check(spec, client.get(url, query_string=params))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def names(body):
    return [item["name"][0]["value"] for item in body["items"]]


def ids(body, key):
    return [item[key] for item in body["items"]]


def root_id(client):
    items = client.get("/ooapi/v5/organizations?organizationType=root").get_json()["items"]
    return items[0]["organizationId"]


def test_q_filters_courses_organizations_and_offerings(client, world, ooapi_spec):
    marine = world["marine"]
    assert names(get(client, ooapi_spec, "/ooapi/v5/courses", q="coral")) == ["Marine Biology"]
    # an exact partial match, case insensitive, in the name or the abbreviation
    assert names(get(client, ooapi_spec, "/ooapi/v5/courses", q="MARINE BIO")) == ["Marine Biology"]
    assert names(get(client, ooapi_spec, "/ooapi/v5/courses", q="de-10")) == [
        "Deutsch für Anfänger"
    ]
    assert names(get(client, ooapi_spec, "/ooapi/v5/courses", search="coral")) == ["Marine Biology"]
    orgs = get(client, ooapi_spec, "/ooapi/v5/organizations", q="akademie")
    assert names(orgs) == ["Freie Akademie Berlin"]
    offerings = get(
        client, ooapi_spec, f"/ooapi/v5/organizations/{world['seoul'].uuid}/offerings", q="coral"
    )
    assert {o["course"] for o in offerings["items"]} == {str(marine.uuid)}
    none = get(client, ooapi_spec, f"/ooapi/v5/courses/{marine.uuid}/offerings", q="mandarin")
    assert none["items"] == []


def test_every_error_is_a_problem_document_unknown_paths_and_methods_too(
    client, world, ooapi_spec, problem_schema
):
    for response in (
        client.get("/ooapi/v5/persons"),
        client.get("/ooapi/v5/no/such/thing"),
        client.post("/ooapi/v5/courses", json={}),
        client.delete(f"/ooapi/v5/courses/{world['marine'].uuid}"),
        client.put("/ooapi/v5/organizations"),
    ):
        assert response.mimetype == "application/problem+json"
        assert response.status_code in (404, 405)
        problem_schema.validate(response.get_json())
        assert response.get_json()["status"] == str(response.status_code)
        if response.status_code == 405:
            assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
    assert client.get("/ooapi/v5/persons").status_code == 404
    assert client.post("/ooapi/v5/courses").status_code == 405
    # documented errors are checked against their operation in the bundle
    check(ooapi_spec, client.get("/ooapi/v5/organizations/00000000-0000-4000-8000-000000000000"))
    check(ooapi_spec, client.get("/ooapi/v5/courses?level=phd"))


def test_an_organizations_courses_and_offerings(client, world, ooapi_spec):
    seoul, berlin = world["seoul"], world["berlin"]
    courses = get(client, ooapi_spec, f"/ooapi/v5/organizations/{seoul.uuid}/courses")
    assert sorted(names(courses)) == ["Mandarin 1", "Marine Biology"]
    assert {c["organization"] for c in courses["items"]} == {str(seoul.uuid)}
    paged = get(
        client,
        ooapi_spec,
        f"/ooapi/v5/organizations/{seoul.uuid}/courses",
        pageSize=10,
        sort="-name",
        teachingLanguage="zho",
    )
    assert names(paged) == ["Mandarin 1"] and paged["totalPages"] == 1
    # the root organization holds every course
    everything = get(client, ooapi_spec, f"/ooapi/v5/organizations/{root_id(client)}/courses")
    assert {"Marine Biology", "Deutsch für Anfänger", "Mandarin 1"} <= set(names(everything))
    offerings = get(client, ooapi_spec, f"/ooapi/v5/organizations/{berlin.uuid}/offerings")
    assert ids(offerings, "offeringId") == [str(world["berlin_run"].uuid)]
    types = get(
        client,
        ooapi_spec,
        f"/ooapi/v5/organizations/{seoul.uuid}/offerings",
        offeringType="program",
    )
    assert types["items"] == []
    for url in ("courses", "offerings"):
        missing = client.get(f"/ooapi/v5/organizations/00000000-0000-4000-8000-000000000000/{url}")
        assert check(ooapi_spec, missing).status_code == 404


def test_level_is_the_specifications_level_and_filters(client, world, ooapi_spec):
    marine = get(client, ooapi_spec, f"/ooapi/v5/courses/{world['marine'].uuid}")
    assert marine["level"] == "master"
    german = get(client, ooapi_spec, f"/ooapi/v5/courses/{world['german'].uuid}")
    assert german["level"] == "bachelor"  # introductory
    masters = get(client, ooapi_spec, "/ooapi/v5/courses", level="master")
    assert names(masters) == ["Marine Biology"]
    assert get(client, ooapi_spec, "/ooapi/v5/courses", level="doctoral")["items"] == []


def test_the_root_organization_sorts_and_filters_like_the_others(client, world, ooapi_spec):
    root = get(client, ooapi_spec, "/ooapi/v5/organizations", primaryCode="asem-mooc-portal")
    assert [o["organizationType"] for o in root["items"]] == ["root"]
    by_code = get(client, ooapi_spec, "/ooapi/v5/organizations", primaryCode="fab")
    assert names(by_code) == ["Freie Akademie Berlin"]
    institutes = get(client, ooapi_spec, "/ooapi/v5/organizations", organizationType="institute")
    assert "root" not in {o["organizationType"] for o in institutes["items"]}
    for sort in ("name", "-name"):
        body = get(client, ooapi_spec, "/ooapi/v5/organizations", sort=sort, pageSize=250)
        listed = [o["name"][0]["value"] for o in body["items"]]
        assert listed == sorted(listed, reverse=sort.startswith("-"))
        assert "ASEM MOOC Portal" in listed
    # paging over the root keeps every organization exactly once
    whole = get(client, ooapi_spec, "/ooapi/v5/organizations", pageSize=250, sort="organizationId")
    seen = []
    number = 1
    while True:
        page = get(
            client,
            ooapi_spec,
            "/ooapi/v5/organizations",
            pageSize=10,
            pageNumber=number,
            sort="organizationId",
        )
        seen += ids(page, "organizationId")
        if not page["hasNextPage"]:
            break
        number += 1
    assert seen == ids(whole, "organizationId") == sorted(seen)


@pytest.mark.parametrize("code", ["ger", "deu", "de", "DE"])
def test_german_in_every_form(client, world, ooapi_spec, code):
    body = get(client, ooapi_spec, "/ooapi/v5/courses", teachingLanguage=code)
    assert names(body) == ["Deutsch für Anfänger"]
    assert body["items"][0]["teachingLanguage"] == "deu"


@pytest.mark.parametrize("code", ["chi", "zho", "zh", "zh-CN", "zh-cn"])
def test_chinese_in_every_form(client, world, ooapi_spec, code):
    body = get(client, ooapi_spec, "/ooapi/v5/courses", teachingLanguage=code)
    assert names(body) == ["Mandarin 1"]


def test_dutch_and_french_bibliographic_codes_are_understood(client, db_session, ooapi_spec):
    make_course("Nederlands", teaching_languages=("nl",))
    make_course("Français", teaching_languages=("fr-FR",))
    assert names(get(client, ooapi_spec, "/ooapi/v5/courses", teachingLanguage="dut")) == [
        "Nederlands"
    ]
    assert names(get(client, ooapi_spec, "/ooapi/v5/courses", teachingLanguage="fre")) == [
        "Français"
    ]


def test_a_course_with_only_cancelled_runs_claims_no_mode_of_delivery(client, world, ooapi_spec):
    chinese = get(client, ooapi_spec, f"/ooapi/v5/courses/{world['chinese'].uuid}")
    assert "modeOfDelivery" not in chinese
    online = get(client, ooapi_spec, "/ooapi/v5/courses", modeOfDelivery="online")
    assert "Mandarin 1" not in names(online)
    marine = get(client, ooapi_spec, f"/ooapi/v5/courses/{world['marine'].uuid}")
    assert marine["modeOfDelivery"] == ["hybrid", "online"]


def test_offerings_follow_the_default_window_and_runs_under_way_are_found(
    client, world, ooapi_spec
):
    url = f"/ooapi/v5/courses/{world['marine'].uuid}/offerings"
    default = get(client, ooapi_spec, url)
    assert ids(default, "offeringId") == [str(world["under_way"].uuid), str(world["future"].uuid)]
    long_ago = (utcnow() - timedelta(days=365)).date().isoformat()
    everything = get(client, ooapi_spec, url, since=long_ago)
    assert str(world["past"].uuid) in ids(everything, "offeringId")
    soon = (utcnow() + timedelta(days=40)).date().isoformat()
    ending_soon = get(client, ooapi_spec, url, until=soon)
    assert ids(ending_soon, "offeringId") == [str(world["under_way"].uuid)]
    latest_first = get(client, ooapi_spec, url, sort="-startDate")
    assert ids(latest_first, "offeringId")[0] == str(world["future"].uuid)
    both_forms = get(client, ooapi_spec, url, sort=["-endDate", "offeringId"])
    assert ids(both_forms, "offeringId") == ids(latest_first, "offeringId")
    bad = check(ooapi_spec, client.get(url, query_string={"since": "yesterday"}))
    assert bad.status_code == 400 and "since" in bad.get_json()["detail"]
