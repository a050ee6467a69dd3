import json
from decimal import Decimal

from mooc_portal.catalog.models import CourseStatus
from mooc_portal.federation.services import decode_cursor
from mooc_portal.publishing.recognition import RecognitionData, set_recognition
from tests.factories import make_account, make_course, make_institution
from tests.federation.openapi_check import check, openapi


def test_export_streams_the_public_catalog_with_a_cursor(client, db_session):
    institution = make_institution("Seoul Open University", country="KR")
    public = make_course("Korean History", institution=institution, runs=2)
    make_course("Draft", institution=institution, status=CourseStatus.DRAFT)
    hidden = make_institution("Inactive Institute", active=False)
    make_course("Hidden", institution=hidden)

    response = client.get("/api/v1/export")
    assert response.status_code == 200
    # Streamed: the server sent no Content-Length, the body went out in pieces.
    assert "Content-Length" not in response.headers
    snapshot = json.loads(response.get_data(as_text=True))
    assert snapshot["format"] == "asem-mooc-portal/snapshot"
    ids = {i["id"] for i in snapshot["institutions"]}
    assert str(institution.uuid) in ids and str(hidden.uuid) not in ids
    courses = {c["id"]: c for c in snapshot["courses"]}
    assert str(public.uuid) in courses
    titles = [c["title"]["en"] for c in courses.values()]
    assert "Draft" not in titles and "Hidden" not in titles
    exported = courses[str(public.uuid)]
    assert exported["institution"] == str(institution.uuid)
    assert exported["url"].endswith(f"/courses/{public.slug}")
    assert [r["id"] for r in exported["runs"]] == [str(r.uuid) for r in public.runs]
    # The cursor continues the feed from the snapshot: nothing has changed since.
    assert decode_cursor(snapshot["cursor"], "c", field="after") >= 0
    feed = client.get("/api/v1/changes", query_string={"after": snapshot["cursor"]}).get_json()
    assert feed["changes"] == []


def test_flask_portal_export_writes_the_same_document(runner, db_session, tmp_path):
    course = make_course("Exported by the CLI", runs=1)
    target = tmp_path / "catalog.json"
    result = runner.invoke(args=["portal", "export", str(target)])
    assert result.exit_code == 0, result.output
    snapshot = json.loads(target.read_text())
    assert str(course.uuid) in {c["id"] for c in snapshot["courses"]}
    assert "Exported" in result.output


def test_the_export_and_the_api_carry_a_courses_recognition(client, db_session):
    """Issue 14: the recognition details are in the snapshot and the API pages (read with
    plain rows), as the OpenAPI document declares them; a course without any says null."""
    recognised = make_course("Welding Robots", runs=1)
    plain = make_course("Plain Course")
    admin = make_account(is_admin=True)
    set_recognition(
        admin,
        recognised,
        RecognitionData(
            workload_hours=Decimal("37.5"),
            eqf_level=5,
            national_framework="Korean Qualifications Framework, level 5",
            assessment="supervised_on_site",
            identity_check=True,
            quality_assurance="Korean Council for University Education",
            prerequisites="Basic welding.",
            stackable=True,
            tvet=True,
            with_industry=True,
        ),
    )
    db_session.commit()
    expected = {
        "workload_hours": 37.5,
        "eqf_level": 5,
        "national_framework": "Korean Qualifications Framework, level 5",
        "assessment": "supervised_on_site",
        "identity_check": True,
        "quality_assurance": "Korean Council for University Education",
        "prerequisites": "Basic welding.",
        "stackable": True,
        "audiences": ["tvet", "with_industry"],
    }
    api = openapi(client.get("/api/v1/openapi.json").get_json())
    exported = check(api, client.get("/api/v1/export"))
    courses = {c["id"]: c for c in json.loads(exported.get_data(as_text=True))["courses"]}
    assert courses[str(recognised.uuid)]["recognition"] == expected
    assert courses[str(plain.uuid)]["recognition"] is None
    page = check(api, client.get("/api/v1/courses"))
    listed = {c["id"]: c for c in page.get_json()["items"]}
    assert listed[str(recognised.uuid)]["recognition"] == expected
    one = check(api, client.get(f"/api/v1/courses/{recognised.uuid}"))
    assert one.get_json()["recognition"] == expected
