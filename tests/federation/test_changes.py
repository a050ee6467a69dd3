from datetime import timedelta

from mooc_portal.catalog.models import CourseStatus, CourseTranslation
from mooc_portal.db import utcnow
from mooc_portal.federation.models import ChangeEntry
from mooc_portal.federation.services import encode_cursor, prune_changes
from tests.factories import make_course, make_institution, make_run


def feed(client, after=None, **params):
    if after:
        params["after"] = after
    response = client.get("/api/v1/changes", query_string=params)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def kinds(body):
    return [(c["type"], c["kind"]) for c in body["changes"]]


def test_creating_updating_and_withdrawing_a_course_reach_the_feed_in_order(client, db_session):
    start = feed(client)["next"]
    course = make_course("Ocean Science", runs=1)
    body = feed(client, start)
    assert ("course", "created") in kinds(body)
    created = next(c for c in body["changes"] if c["type"] == "course")
    assert created["id"] == str(course.uuid)
    assert created["resource"]["title"] == {"en": "Ocean Science"}
    assert [r["id"] for r in created["resource"]["runs"]] == [str(course.runs[0].uuid)]

    course.translations[0].title = "Ocean Science and Policy"
    db_session.flush()
    body = feed(client, body["next"])
    assert kinds(body) == [("course", "updated")]
    assert body["changes"][0]["resource"]["title"] == {"en": "Ocean Science and Policy"}

    course.status = CourseStatus.WITHDRAWN
    db_session.flush()
    body = feed(client, body["next"])
    assert kinds(body) == [("course", "withdrawn")]
    assert body["changes"][0]["resource"] == {
        "type": "course",
        "id": str(course.uuid),
        "deleted": True,
    }
    sequences = [c.sequence for c in db_session.query(ChangeEntry).order_by(ChangeEntry.sequence)]
    assert sequences == sorted(set(sequences))


def test_drafts_are_not_in_the_feed_until_published(client, db_session):
    start = feed(client)["next"]
    course = make_course(status=CourseStatus.DRAFT, runs=1)
    course.translations[0].summary = "Still drafting."
    db_session.flush()
    assert feed(client, start)["changes"] == [
        c for c in feed(client, start)["changes"] if c["type"] == "institution"
    ]
    course.status = CourseStatus.PUBLISHED
    db_session.flush()
    assert ("course", "created") in kinds(feed(client, start))


def test_runs_of_a_public_course_are_created_updated_and_deleted(client, db_session):
    course = make_course()
    start = feed(client)["next"]
    run = make_run(course)
    body = feed(client, start)
    assert ("run", "created") in kinds(body)
    run.capacity = 30
    db_session.flush()
    body = feed(client, body["next"])
    assert kinds(body) == [("run", "updated")]
    assert body["changes"][0]["resource"]["capacity"] == 30
    db_session.delete(run)
    db_session.flush()
    body = feed(client, body["next"])
    assert ("run", "deleted") in kinds(body)


def test_deactivating_an_institution_tombstones_it_and_its_courses(client, db_session):
    institution = make_institution("Closing University")
    public = make_course(institution=institution)
    make_course(institution=institution, status=CourseStatus.DRAFT)
    start = feed(client)["next"]
    institution.active = False
    db_session.flush()
    body = feed(client, start)
    assert sorted(kinds(body)) == [("course", "withdrawn"), ("institution", "withdrawn")]
    assert {c["id"] for c in body["changes"]} == {str(institution.uuid), str(public.uuid)}

    institution.active = True
    db_session.flush()
    body = feed(client, body["next"])
    assert sorted(kinds(body)) == [("course", "created"), ("institution", "created")]


def test_a_change_superseded_by_a_withdrawal_carries_no_resource(client, db_session):
    start = feed(client)["next"]
    course = make_course()
    course.status = CourseStatus.WITHDRAWN
    db_session.flush()
    changes = [c for c in feed(client, start)["changes"] if c["type"] == "course"]
    assert [c["kind"] for c in changes] == ["created", "withdrawn"]
    assert changes[0]["resource"] is None


def test_the_feed_pages_with_next_and_link(client, db_session):
    start = feed(client)["next"]
    institution = make_institution()
    for _ in range(3):
        make_course(institution=institution)
    first = client.get("/api/v1/changes", query_string={"after": start, "limit": 2})
    body = first.get_json()
    assert len(body["changes"]) == 2 and body["has_more"] is True
    assert 'rel="next"' in first.headers["Link"]
    second = feed(client, body["next"], limit=2)
    assert second["changes"][0]["sequence"] == body["changes"][-1]["sequence"] + 1
    assert second["has_more"] is False
    assert feed(client, second["next"])["changes"] == []


def test_a_malformed_cursor_is_a_400_naming_the_field(client):
    for bad in ("garbage", encode_cursor("k", 3), "YzotMQ"):
        response = client.get("/api/v1/changes", query_string={"after": bad})
        assert response.status_code == 400
        assert response.get_json()["field"] == "after"
    response = client.get("/api/v1/changes", query_string={"limit": "many"})
    assert response.status_code == 400
    assert response.get_json()["field"] == "limit"


def test_a_cursor_older_than_the_retention_answers_410(app, client, db_session):
    start = feed(client)["next"]
    make_course()
    old = db_session.query(ChangeEntry).order_by(ChangeEntry.sequence.desc()).first()
    for entry in db_session.query(ChangeEntry).filter(ChangeEntry.sequence <= old.sequence):
        entry.recorded_at = utcnow() - timedelta(days=181)
    db_session.flush()
    assert prune_changes() >= 1
    response = client.get("/api/v1/changes", query_string={"after": start})
    assert response.status_code == 410
    assert "snapshot" in response.get_json()["message"]
    fresh = client.get("/api/v1/export").get_json()["cursor"]
    assert feed(client, fresh)["changes"] == []


def test_changes_in_translations_only_update_the_course(client, db_session):
    course = make_course()
    start = feed(client)["next"]
    course.translations.append(CourseTranslation(language="ko", title="해양 과학"))
    db_session.flush()
    body = feed(client, start)
    assert kinds(body) == [("course", "updated")]
    assert body["changes"][0]["resource"]["title"]["ko"] == "해양 과학"


def test_a_tampered_cursor_is_refused(client, db_session):
    make_course()
    cursor = feed(client)["next"]
    payload, _, signature = cursor.rpartition(".")
    forged = payload + "." + ("A" if signature[0] != "A" else "B") + signature[1:]
    for bad in (forged, payload, encode_cursor("c", 0).replace("WyJj", "WyJr")):
        response = client.get("/api/v1/changes", query_string={"after": bad})
        assert response.status_code == 400
        assert response.get_json()["field"] == "after"


def test_a_cursor_beyond_the_feeds_head_is_refused_not_echoed(client, db_session):
    # A consumer of a provider restored from an older backup holds a cursor from its future.
    head = feed(client)["changes"]
    ahead = encode_cursor("c", (head[-1]["sequence"] if head else 0) + 5)
    response = client.get("/api/v1/changes", query_string={"after": ahead})
    assert response.status_code == 400
    assert response.get_json()["field"] == "after"
    assert "snapshot" in response.get_json()["message"]
