import json

from mooc_portal.catalog.models import CourseStatus
from mooc_portal.federation.services import decode_cursor
from tests.factories import make_course, make_institution


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
