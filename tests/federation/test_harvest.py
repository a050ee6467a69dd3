import time
from decimal import Decimal

from flask import Flask, jsonify
from sqlalchemy import delete, func, select

from mooc_portal.catalog.models import Course, CourseStatus
from mooc_portal.catalog.services import public_courses
from mooc_portal.db import session
from mooc_portal.federation.harvest import harvest_peers
from mooc_portal.federation.models import (
    ChangeEntry,
    FederatedOrigin,
    HarvestRun,
    Peer,
    RejectedRecord,
)
from mooc_portal.federation.serialize import recognition_resource
from mooc_portal.publishing.recognition import RecognitionData, set_recognition
from tests.factories import make_account, make_course, make_institution, make_run
from tests.federation.conftest import live_server
from tests.federation.peer_snapshots import (
    hostile_peer,
    peer_course,
    peer_institution,
    peer_snapshot,
)


def add_peer(portal, name, url):
    with portal.app_context():
        session.add(Peer(name=name, base_url=url))
        session.commit()


def harvest(portal, name=None):
    with portal.app_context():
        runs = harvest_peers(name)
        return [
            {
                "peer": run.peer.name,
                "status": run.status,
                "created": run.created,
                "updated": run.updated,
                "withdrawn": run.withdrawn,
                "rejected": run.rejected,
                "error": run.error,
            }
            for run in runs
        ]


def federated_catalog(portal):
    with portal.app_context():
        courses = session.scalars(public_courses().order_by(Course.code)).all()
        return {
            c.code: {
                "uuid": c.uuid,
                "title": c.translations[0].title,
                "institution": c.institution.text("name", "en").text,
                "runs": sorted((r.uuid, r.capacity) for r in c.runs),
                "origin": session.scalar(
                    select(FederatedOrigin.origin_url).where(FederatedOrigin.course_id == c.id)
                ),
            }
            for c in courses
        }


def test_two_portals_initial_sync_update_and_withdrawal(app, db_session, source_url, second_portal):
    institution = make_institution("Hanoi Open University", country="VN")
    history = make_course("Vietnamese History", institution=institution, code="VH1", runs=1)
    climate = make_course("Climate Policy", institution=institution, code="CP1", runs=2)
    make_course("Unpublished", institution=institution, code="DR1", status=CourseStatus.DRAFT)
    db_session.commit()
    add_peer(second_portal, "Hanoi portal", source_url)

    [first] = harvest(second_portal)
    assert first == {
        "peer": "Hanoi portal",
        "status": "succeeded",
        "created": 3,
        "updated": 0,
        "withdrawn": 0,
        "rejected": 0,
        "error": None,
    }
    catalog = federated_catalog(second_portal)
    assert set(catalog) == {"VH1", "CP1"}
    assert catalog["VH1"]["uuid"] == history.uuid
    assert catalog["VH1"]["institution"] == "Hanoi Open University"
    assert catalog["VH1"]["origin"] == f"{source_url}/courses/{history.slug}"
    assert [r[0] for r in catalog["CP1"]["runs"]] == sorted(r.uuid for r in climate.runs)

    # Running it again changes nothing.
    with second_portal.app_context():
        entries = session.scalar(select(func.count(ChangeEntry.sequence)))
    [again] = harvest(second_portal)
    assert (again["created"], again["updated"], again["withdrawn"]) == (0, 0, 0)
    assert federated_catalog(second_portal) == catalog
    with second_portal.app_context():
        assert session.scalar(select(func.count(ChangeEntry.sequence))) == entries

    # An update and a new run travel through the change feed.
    history.translations[0].title = "A History of Viet Nam"
    climate.runs[0].capacity = 40
    new_run = make_run(history)
    db_session.commit()
    [update] = harvest(second_portal)
    assert update["status"] == "succeeded" and update["updated"] >= 2
    catalog = federated_catalog(second_portal)
    assert catalog["VH1"]["title"] == "A History of Viet Nam"
    assert new_run.uuid in [r[0] for r in catalog["VH1"]["runs"]]
    assert (climate.runs[0].uuid, 40) in catalog["CP1"]["runs"]

    # A withdrawal reaches the harvester.
    climate.status = CourseStatus.WITHDRAWN
    db_session.commit()
    [withdrawal] = harvest(second_portal)
    assert withdrawal["withdrawn"] == 1
    assert set(federated_catalog(second_portal)) == {"VH1"}
    [last] = harvest(second_portal)
    assert (last["created"], last["updated"], last["withdrawn"]) == (0, 0, 0)


def test_a_re_snapshot_updates_only_what_changed(app, db_session, source_url, second_portal):
    # Teaching and subtitle languages both: stored by position, they come back interleaved.
    institution = make_institution("Polyglot University")
    for n in range(3):
        make_course(
            f"Polyglot {n}",
            institution=institution,
            code=f"PG{n}",
            teaching_languages=("ko", "en"),
            subtitle_languages=("ja", "fr", "en"),
            runs=1,
        )
    changed = make_course(
        "Changing", institution=institution, code="CH1", teaching_languages=("vi",), runs=1
    )
    db_session.commit()
    add_peer(second_portal, "Polyglot portal", source_url)
    [first] = harvest(second_portal)
    assert first["created"] == 5 and first["updated"] == 0

    changed.translations[0].title = "Changed"
    db_session.commit()
    with second_portal.app_context():  # take the snapshot again, as after a 410
        session.scalar(select(Peer).where(Peer.name == "Polyglot portal")).cursor = None
        session.commit()
    [again] = harvest(second_portal)
    assert (again["created"], again["updated"], again["rejected"]) == (0, 1, 0)
    with second_portal.app_context():
        course = session.scalar(select(Course).where(Course.code == "PG0"))
        assert course.teaching_languages == ["ko", "en"]
        assert sorted(course.subtitle_languages) == ["en", "fr", "ja"]


def test_federated_courses_are_not_republished_in_the_harvesters_feed(
    app, db_session, source_url, second_portal
):
    make_course("Shared Course", runs=1)
    db_session.commit()
    add_peer(second_portal, "Source", source_url)
    harvest(second_portal)
    client = second_portal.test_client()
    exported = client.get("/api/v1/export").get_json()
    assert exported["courses"] == []
    assert client.get("/api/v1/courses").get_json()["items"] == []


def test_a_peer_that_is_down_slow_or_malformed_fails_alone(
    app, db_session, source_url, second_portal
):
    make_course("Reachable", runs=1)
    db_session.commit()

    slow = Flask("slow")

    @slow.route("/api/v1/export")
    def slow_export():
        time.sleep(2.5)
        return jsonify({})

    garbage = Flask("garbage")

    @garbage.route("/api/v1/export")
    def garbage_export():
        return "<html>not a feed</html>"

    with live_server(slow) as slow_url, live_server(garbage) as garbage_url:
        add_peer(second_portal, "A good peer", source_url)
        add_peer(second_portal, "B down peer", "http://127.0.0.1:9")
        add_peer(second_portal, "C slow peer", slow_url)
        add_peer(second_portal, "D garbage peer", garbage_url)
        runs = {run["peer"]: run for run in harvest(second_portal)}

    assert runs["A good peer"]["status"] == "succeeded"
    assert runs["A good peer"]["created"] == 2
    assert runs["B down peer"]["status"] == "failed"
    assert "could not be reached" in runs["B down peer"]["error"]
    assert "did not answer within" in runs["C slow peer"]["error"]
    assert "did not answer JSON" in runs["D garbage peer"]["error"]
    with second_portal.app_context():
        peers = {p.name: p for p in session.scalars(select(Peer))}
        assert peers["A good peer"].last_success_at is not None
        assert peers["A good peer"].cursor is not None
        assert peers["B down peer"].last_error and peers["B down peer"].last_success_at is None
        assert peers["B down peer"].cursor is None


def test_hostile_records_are_rejected_one_by_one(second_portal):
    institution_id = "7b0e7a8e-1111-4c1e-9a55-000000000001"
    good = peer_course(
        "7b0e7a8e-2222-4c1e-9a55-000000000001",
        institution_id,
        "OK1",
        "fine-course",
        "A fine course",
    )
    snapshot = peer_snapshot(
        [
            peer_institution(institution_id, "far-away", "Far Away University"),
            {"id": "not-a-uuid", "name": {}, "country": "US"},
            "<script>alert(1)</script>",
        ],
        [
            good,
            {**good, "id": "7b0e7a8e-2222-4c1e-9a55-000000000002", "code": "X" * 500},
            {**good, "id": "7b0e7a8e-2222-4c1e-9a55-000000000003", "title": {"en": ""}},
            {**good, "id": "7b0e7a8e-2222-4c1e-9a55-000000000004", "subjects": ["9999"]},
            {
                **good,
                "id": "7b0e7a8e-2222-4c1e-9a55-000000000005",
                "institution": "7b0e7a8e-1111-4c1e-9a55-00000000dead",
            },
            {**good, "id": "7b0e7a8e-2222-4c1e-9a55-000000000006", "code": "OK1"},
        ],
    )
    with live_server(hostile_peer(snapshot)) as url:
        add_peer(second_portal, "Hostile", url)
        [run] = harvest(second_portal)
    assert run["status"] == "succeeded"
    assert run["created"] == 2  # the institution and the one good course
    assert run["rejected"] == 7
    with second_portal.app_context():
        assert [c.code for c in session.scalars(public_courses())] == ["OK1"]
        reasons = {
            r.resource_id: r.reason
            for r in session.scalars(
                select(RejectedRecord).join(HarvestRun).order_by(RejectedRecord.id)
            )
        }
        assert "Invalid" in reasons["not-a-uuid"]
        assert "Unknown ISCED-F" in reasons["7b0e7a8e-2222-4c1e-9a55-000000000004"]
        assert "not been harvested" in reasons["7b0e7a8e-2222-4c1e-9a55-000000000005"]
        assert "Conflicts" in reasons["7b0e7a8e-2222-4c1e-9a55-000000000006"]


def test_a_410_from_the_feed_resynchronises_from_the_snapshot(second_portal):
    calls = {"changes": 0}
    peer = Flask("expiring")

    @peer.route("/api/v1/export")
    def export():
        return jsonify({"cursor": "Yzo1", "institutions": [], "courses": []})

    @peer.route("/api/v1/changes")
    def changes():
        calls["changes"] += 1
        if calls["changes"] == 1:
            return jsonify({"status": 410, "message": "Resynchronise."}), 410
        return jsonify({"changes": [], "next": "Yzo1", "has_more": False})

    with live_server(peer) as url:
        add_peer(second_portal, "Expiring", url)
        with second_portal.app_context():
            session.scalar(select(Peer).where(Peer.name == "Expiring")).cursor = "Yzox"
            session.commit()
        [run] = harvest(second_portal)
    assert run["status"] == "succeeded"
    assert calls["changes"] == 2
    with second_portal.app_context():
        assert session.scalar(select(Peer).where(Peer.name == "Expiring")).cursor == "Yzo1"
        assert session.scalar(select(HarvestRun).order_by(HarvestRun.id.desc())).snapshot


def test_flask_portal_harvest_reports_each_peer(second_portal):
    add_peer(second_portal, "Unreachable", "http://127.0.0.1:9")
    result = second_portal.test_cli_runner().invoke(args=["portal", "harvest", "Unreachable"])
    assert result.exit_code == 1
    assert "Unreachable: failed" in result.output
    assert "could not be reached" in result.output


def test_a_restored_peer_is_resynchronised_from_its_snapshot(
    app, db_session, source_url, second_portal
):
    """A peer restored from an older backup refuses our cursor (400, beyond its feed's head):
    the harvester takes its snapshot again, so what the backup lacks is withdrawn and what it
    holds is as the backup has it."""
    institution = make_institution("Restored University")
    kept = make_course("Kept Course", institution=institution, code="KC1", runs=1)
    db_session.commit()
    with app.app_context():
        backup_head = session.scalar(select(func.max(ChangeEntry.sequence)))
    add_peer(second_portal, "Restored", source_url)
    [first] = harvest(second_portal)
    assert first["status"] == "succeeded"

    lost = make_course("Lost Course", institution=institution, code="LC1")
    kept.translations[0].title = "Kept Course, revised"
    db_session.commit()
    [second] = harvest(second_portal)
    assert second["status"] == "succeeded" and second["created"] == 1
    assert set(federated_catalog(second_portal)) == {"KC1", "LC1"}

    # The peer is restored from the backup taken before: no Lost Course, the old title, and a
    # change feed that ends before the harvester's cursor.
    db_session.delete(lost)
    kept.translations[0].title = "Kept Course"
    db_session.flush()
    db_session.execute(delete(ChangeEntry).where(ChangeEntry.sequence > backup_head))
    db_session.commit()

    [resync] = harvest(second_portal)
    assert resync["status"] == "succeeded", resync["error"]
    assert resync["error"] is None
    assert resync["withdrawn"] == 1
    assert resync["updated"] >= 1
    catalog = federated_catalog(second_portal)
    assert set(catalog) == {"KC1"}
    assert catalog["KC1"]["title"] == "Kept Course"
    with second_portal.app_context():
        assert session.scalar(select(HarvestRun).order_by(HarvestRun.id.desc())).snapshot
        peer = session.scalar(select(Peer).where(Peer.name == "Restored"))
        assert peer.last_error is None
    # From the new snapshot's cursor, the feed is followed as usual.
    make_course("After The Restore", institution=institution, code="AR1")
    db_session.commit()
    [after] = harvest(second_portal)
    assert after["status"] == "succeeded" and after["created"] == 1
    assert set(federated_catalog(second_portal)) == {"KC1", "AR1"}


def test_a_400_that_is_not_about_the_cursor_fails_the_run(second_portal):
    peer = Flask("picky")

    @peer.route("/api/v1/export")
    def export():
        return jsonify({"cursor": "Yzo1", "institutions": [], "courses": []})

    @peer.route("/api/v1/changes")
    def changes():
        return jsonify({"status": 400, "message": "limit: too big", "field": "limit"}), 400

    with live_server(peer) as url:
        add_peer(second_portal, "Picky", url)
        [run] = harvest(second_portal)
    assert run["status"] == "failed"
    assert "answered HTTP 400" in run["error"]


def test_a_harvested_course_keeps_its_recognition(app, db_session, source_url, second_portal):
    """Issue 14: the recognition details travel in the snapshot and the feed, and the
    harvesting portal's course page shows them."""
    course = make_course("Welding Robots", code="WR1", runs=1)
    admin = make_account(is_admin=True)
    set_recognition(
        admin,
        course,
        RecognitionData(
            workload_hours=Decimal(120),
            eqf_level=6,
            national_framework="Korean Qualifications Framework, level 6",
            assessment="proctored",
            identity_check=True,
            quality_assurance="Korean Council for University Education",
            prerequisites="Basic statistics.",
            stackable=True,
            tvet=True,
        ),
    )
    db_session.commit()
    add_peer(second_portal, "Recognising", source_url)
    [first] = harvest(second_portal)
    assert first["status"] == "succeeded" and first["rejected"] == 0

    def harvested():
        with second_portal.app_context():
            copy = session.scalar(select(Course).where(Course.uuid == course.uuid))
            return recognition_resource(copy), copy.slug

    recognition, slug = harvested()
    assert recognition == {
        "workload_hours": 120.0,
        "eqf_level": 6,
        "national_framework": "Korean Qualifications Framework, level 6",
        "assessment": "proctored",
        "identity_check": True,
        "quality_assurance": "Korean Council for University Education",
        "prerequisites": "Basic statistics.",
        "stackable": True,
        "audiences": ["tvet"],
    }
    page = second_portal.test_client().get(f"/courses/{slug}", headers={"Accept-Language": "en"})
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Recognition" in text and "EQF level 6" in text
    assert "Korean Council for University Education" in text
    assert "Technical and vocational (TVET)" in text

    # A change of it travels through the feed; nothing else is "updated" again.
    set_recognition(admin, course, RecognitionData(eqf_level=7, lifelong_learning=True))
    db_session.commit()
    [update] = harvest(second_portal)
    assert update["status"] == "succeeded" and update["updated"] == 1
    recognition, _slug = harvested()
    assert recognition["eqf_level"] == 7 and recognition["workload_hours"] is None
    assert recognition["audiences"] == ["lifelong_learning"]
    [again] = harvest(second_portal)
    assert (again["created"], again["updated"]) == (0, 0)


def test_a_peer_still_building_its_export_fails_the_run_with_a_clear_reason(second_portal):
    peer = Flask("building")

    @peer.route("/api/v1/export")
    def export():
        body = {"status": 503, "message": "The export is being prepared.", "field": None}
        return jsonify(body), 503, {"Retry-After": "60"}

    with live_server(peer) as url:
        add_peer(second_portal, "Building", url)
        [run] = harvest(second_portal)
    assert run["status"] == "failed"
    assert "not ready (HTTP 503, retry after 60)" in run["error"]
    with second_portal.app_context():
        assert session.scalar(select(Peer).where(Peer.name == "Building")).cursor is None
