import json

import pytest
from flask import Flask
from openapi_spec_validator import validate

from mooc_portal import MoocPortal
from mooc_portal.catalog.models import CourseStatus, Level
from tests.factories import make_course, make_institution, make_run
from tests.federation.openapi_check import check, openapi


@pytest.fixture
def api_doc(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return openapi(response.get_json())


def test_the_openapi_document_is_valid_and_describes_every_endpoint(client):
    document = client.get("/api/v1/openapi.json").get_json()
    validate(document)
    assert set(document["paths"]) >= {
        "/api/v1/institutions",
        "/api/v1/institutions/{institution_id}",
        "/api/v1/courses",
        "/api/v1/courses/{course_id}",
        "/api/v1/runs/{run_id}",
        "/api/v1/changes",
        "/api/v1/export",
    }
    assert {"Course", "Institution", "Run", "Error"} <= set(document["components"]["schemas"])


def test_the_documentation_page_lists_the_endpoints(client):
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    assert "/api/v1/courses" in page.get_data(as_text=True)


def test_real_responses_match_the_document(client, db_session, api_doc):
    institution = make_institution(names={"en": "Kyoto Online", "ja": "京都オンライン"})
    course = make_course(
        institution=institution,
        titles={"en": "Japanese Gardens", "ja": "日本庭園"},
        teaching_languages=("ja", "en"),
        runs=1,
    )
    make_run(course, start=None)
    for url in (
        "/api/v1/institutions",
        f"/api/v1/institutions/{institution.uuid}",
        "/api/v1/courses?limit=1",
        f"/api/v1/courses/{course.uuid}",
        f"/api/v1/runs/{course.runs[0].uuid}",
        "/api/v1/changes?limit=5",
        "/api/v1/export",
        "/api/v1/courses?cursor=nonsense",
        "/api/v1/courses/00000000-0000-4000-8000-000000000000",
    ):
        check(api_doc, client.get(url))


def test_multilingual_fields_are_maps_of_language_tags(client, db_session):
    course = make_course(titles={"en": "Korean Cuisine", "ko": "한국 요리"}, original_language="ko")
    body = client.get(f"/api/v1/courses/{course.uuid}").get_json()
    assert body["title"] == {"en": "Korean Cuisine", "ko": "한국 요리"}
    assert body["original_language"] == "ko"


def test_course_list_pages_with_an_opaque_cursor_and_link_header(client, db_session):
    institution = make_institution()
    made = [make_course(institution=institution) for _ in range(5)]
    seen, url = [], "/api/v1/courses?limit=2&institution=" + str(institution.uuid)
    while url:
        response = client.get(url)
        assert response.status_code == 200
        body = response.get_json()
        seen += [c["id"] for c in body["items"]]
        if body["next"]:
            link = response.headers["Link"]
            assert link.endswith('rel="next"')
            url = link[1 : link.index(">")]
        else:
            assert "Link" not in response.headers
            url = None
    assert seen == [str(c.uuid) for c in made]


def test_course_filters(client, db_session):
    europe = make_institution(country="FR")
    asia = make_institution(country="TH")
    french = make_course(institution=europe, teaching_languages=("fr",), subjects=("0222",))
    thai = make_course(institution=asia, level=Level.ADVANCED, runs=1)
    make_course(institution=asia, status=CourseStatus.DRAFT)

    def ids(**params):
        response = client.get("/api/v1/courses", query_string=params)
        assert response.status_code == 200, response.get_json()
        return {c["id"] for c in response.get_json()["items"]} & {
            str(french.uuid),
            str(thai.uuid),
        }

    assert ids(region="europe") == {str(french.uuid)}
    assert ids(country="TH") == {str(thai.uuid)}
    assert ids(language="fr") == {str(french.uuid)}
    assert ids(subject="02") == {str(french.uuid)}
    assert ids(level="advanced") == {str(thai.uuid)}
    assert ids(availability="open") == {str(thai.uuid)}
    assert ids(availability="to-be-scheduled") == {str(french.uuid)}


@pytest.mark.parametrize(
    "params, field",
    [
        ({"country": "US"}, "country"),
        ({"language": "not a language"}, "language"),
        ({"limit": "0"}, "limit"),
        ({"cursor": "%%%"}, "cursor"),
        ({"availability": "soon"}, "availability"),
        ({"institution": "Not A Slug!"}, "institution"),
        ({"country": "kr"}, "country"),  # the documented form only: KR
        ({"q": "x" * 201}, "q"),
    ],
)
def test_a_bad_filter_is_a_400_with_the_field(client, params, field):
    response = client.get("/api/v1/courses", query_string=params)
    assert response.status_code == 400
    body = response.get_json()
    assert body["field"] == field
    assert body["message"]


def test_a_well_formed_institution_the_portal_lacks_is_a_422(client, db_session):
    for institution in ("nope", "00000000-0000-4000-8000-000000000000"):
        response = client.get("/api/v1/courses", query_string={"institution": institution})
        assert response.status_code == 422
        assert response.get_json()["field"] == "institution"


def test_unknown_or_hidden_ids_are_404_in_json(client, db_session):
    draft = make_course(status=CourseStatus.DRAFT)
    for url in (
        f"/api/v1/courses/{draft.uuid}",
        "/api/v1/institutions/00000000-0000-4000-8000-000000000000",
        "/api/v1/runs/00000000-0000-4000-8000-000000000000",
        "/api/v1/courses/not-a-uuid",
    ):
        response = client.get(url)
        assert response.status_code == 404
        assert response.is_json and response.get_json()["status"] == 404


def test_etag_and_last_modified_answer_304(client, db_session):
    course = make_course(runs=1)
    url = f"/api/v1/courses/{course.uuid}"
    first = client.get(url)
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert not first.headers["ETag"].startswith("W/")
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    assert client.get(url, headers={"If-Modified-Since": modified}).status_code == 304
    course.translations[0].title = "Changed"
    db_session.flush()
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    listing = client.get("/api/v1/courses")
    assert (
        client.get(
            "/api/v1/courses", headers={"If-None-Match": listing.headers["ETag"]}
        ).status_code
        == 304
    )


def test_the_api_leaves_a_hosts_error_handling_alone():
    host = Flask("host")
    host.config.update(TESTING=True, SECRET_KEY="x", MOOC_DATABASE_URL="sqlite://")

    @host.route("/boom")
    def boom():
        from flask import abort

        abort(400)

    MoocPortal(host, url_prefix="/mooc")
    response = host.test_client().get("/boom")
    assert response.status_code == 400
    assert not response.is_json
    assert "flask-smorest" not in host.extensions
    assert json.loads(host.test_client().get("/mooc/api/v1/openapi.json").data)["paths"]


def test_the_course_list_cache_follows_every_public_change(app, client, db_session, count_queries):
    institution = make_institution()
    course = make_course("Cached Course", institution=institution)
    url = f"/api/v1/courses?institution={institution.uuid}"
    with count_queries() as first:
        assert client.get(url).get_json()["items"][0]["title"] == {"en": "Cached Course"}
    with count_queries() as second:
        assert client.get(url).get_json()["items"][0]["title"] == {"en": "Cached Course"}
    # Served from the cache: only the change feed's head is read (the cache key), no course.
    assert second.count == 1 < first.count
    assert "mooc_change_entry" in second.statements[0]
    course.translations[0].title = "Renamed Course"
    db_session.flush()
    assert client.get(url).get_json()["items"][0]["title"] == {"en": "Renamed Course"}
    course.status = CourseStatus.WITHDRAWN
    db_session.flush()
    assert client.get(url).get_json()["items"] == []


def test_an_unknown_api_path_is_a_json_404(client):
    response = client.get("/api/v1/nothing/here")
    assert response.status_code == 404
    assert response.get_json()["message"] == "No such API endpoint."


def test_a_course_leaving_the_list_changes_its_last_modified(client, db_session):
    from datetime import timedelta

    from mooc_portal.db import utcnow
    from mooc_portal.federation.models import ChangeEntry

    institution = make_institution()
    kept = make_course(institution=institution)
    leaving = make_course(institution=institution)
    an_hour_ago = utcnow() - timedelta(hours=1)
    for course in (kept, leaving):
        course.modified_at = an_hour_ago
    db_session.flush()
    db_session.query(ChangeEntry).update({ChangeEntry.recorded_at: an_hour_ago})
    url = f"/api/v1/courses?institution={institution.uuid}"
    first = client.get(url)
    assert len(first.get_json()["items"]) == 2
    leaving.status = CourseStatus.WITHDRAWN
    db_session.flush()
    later = client.get(url, headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert later.status_code == 200
    assert [c["id"] for c in later.get_json()["items"]] == [str(kept.uuid)]


def test_the_course_list_searches_like_the_catalog(client, db_session):
    europe = make_institution(country="FR", names={"en": "Lyon Open University"})
    asia = make_institution(country="TH")
    glaciers = make_course("Glaciers and Climate", institution=europe, level=Level.ADVANCED)
    rivers = make_course("Rivers of Asia", institution=asia, teaching_languages=("th", "en"))
    make_course("Glaciers in Draft", institution=europe, status=CourseStatus.DRAFT)

    def ids(query):
        response = client.get("/api/v1/courses", query_string=query)
        assert response.status_code == 200, response.get_json()
        return [c["id"] for c in response.get_json()["items"]]

    # Free text: word prefixes, any language stored, the institution's name too.
    assert ids({"q": "glacier"}) == [str(glaciers.uuid)]
    assert ids({"q": "lyon"}) == [str(glaciers.uuid)]
    assert ids({"q": "glacier", "region": "asia"}) == []
    # Facets take the catalog's values, repeatable (any of them), combined across facets.
    assert ids({"language": "th"}) == [str(rivers.uuid)]
    assert set(ids({"country": ["FR", "TH"]})) == {str(glaciers.uuid), str(rivers.uuid)}
    assert ids({"country": ["FR", "TH"], "level": "advanced"}) == [str(glaciers.uuid)]
    assert ids({"institution": europe.slug}) == [str(glaciers.uuid)]
    assert ids({"institution": str(asia.uuid)}) == [str(rivers.uuid)]
    # The same filters on the catalog page find the same course.
    page = client.get("/courses", query_string={"q": "glacier", "region": "europe"})
    assert "Glaciers and Climate" in page.get_data(as_text=True)


def test_a_too_long_search_text_is_a_400_at_q(client):
    response = client.get("/api/v1/courses", query_string={"q": "x" * 500})
    assert response.status_code == 400
    assert response.get_json()["field"] == "q"
