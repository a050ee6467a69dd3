"""Real clients over real HTTP: TinCanPython (what Open edX's event-routing backends use) and
``@xapi/xapi`` from node move a learner from 0 % to completed with a certificate, on each
database. The node half skips without node or the package (``make test`` installs it)."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from mooc_portal.certificates.models import Certificate
from mooc_portal.db import session, utcnow
from mooc_portal.enrollment import services as enrolment
from mooc_portal.enrollment.models import Enrollment
from mooc_portal.progress.services import reported_progress
from mooc_portal.xapi.progress import default_activity_id
from tests.factories import make_account, make_course, make_run
from tests.xapi.live import live_portal

ROOT = Path(__file__).resolve().parents[2]
PROGRESS = "https://w3id.org/xapi/cmi5/result/extensions/progress"
EMAIL = "real.client@example.org"


def course_with_learner(institution: Any) -> dict[str, Any]:
    course = make_course(institution=institution, credential="certificate")
    start = utcnow() - timedelta(days=1)
    run = make_run(course, start=start, enrollment_start_at=start - timedelta(days=3))
    learner = make_account(EMAIL)
    enrollment = enrolment.enroll(run, learner, actor=learner)
    return {"activity": default_activity_id(run), "enrollment_id": enrollment.id}


def observed(portal: Any) -> tuple[str, int | None, bool]:
    """The enrolment's state, the reported percentage, and whether a valid certificate exists."""
    with portal.app.app_context():
        enrollment_id = portal.setup["enrollment_id"]
        state = session.get_one(Enrollment, enrollment_id).state
        report = reported_progress([enrollment_id]).get(enrollment_id)
        certificate = session.scalar(
            select(Certificate).where(Certificate.enrollment_id == enrollment_id)
        )
        valid = certificate is not None and certificate.revoked_at is None
        session.remove()
    return state, report.percent if report else None, valid


def test_tincan_moves_a_learner_to_completed_with_a_certificate(scratch_database):
    from tincan import Activity, Agent, Extensions, RemoteLRS, Result, Statement, Verb

    with live_portal(scratch_database, setup=course_with_learner) as portal:
        assert observed(portal) == ("enrolled", None, False)
        lrs = RemoteLRS(
            endpoint=portal.endpoint + "/",
            username=portal.key,
            password=portal.secret,
            version="1.0.3",
        )
        learner = Agent(mbox=f"mailto:{EMAIL}", name="Real Client")
        course = Activity(id=portal.setup["activity"])

        def statement(verb: str, **result: Any) -> Statement:
            return Statement(
                actor=learner,
                verb=Verb(id=f"http://adlnet.gov/expapi/verbs/{verb}"),
                object=course,
                result=Result(**result) if result else None,
            )

        sent = lrs.save_statement(statement("progressed", extensions=Extensions({PROGRESS: 40})))
        assert sent.success, sent.data
        assert observed(portal) == ("enrolled", 40, False)

        batch = lrs.save_statements(
            [
                statement("progressed", extensions=Extensions({PROGRESS: 80})),
                statement("completed", completion=True, success=True),
            ]
        )
        assert batch.success, batch.data
        assert observed(portal) == ("completed", 100, True)

        # What the platform stored can be read back by the same client.
        query = lrs.query_statements(
            {"agent": learner, "verb": Verb(id=statement("completed").verb.id)}
        )
        assert query.success
        assert len(query.content.statements) == 1


def test_xapi_js_moves_a_learner_to_completed_with_a_certificate(scratch_database, tmp_path):
    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    if not (ROOT / "node_modules" / "@xapi" / "xapi").is_dir():
        pytest.skip("@xapi/xapi is not installed (make test runs npm install)")
    with live_portal(scratch_database, setup=course_with_learner) as portal:
        activity = {"objectType": "Activity", "id": portal.setup["activity"]}
        actor = {"objectType": "Agent", "mbox": f"mailto:{EMAIL}"}

        def send(*statements: dict[str, Any]) -> list[str]:
            file = tmp_path / "statements.json"
            file.write_text(json.dumps(list(statements)))
            done = subprocess.run(
                [
                    "node",
                    str(ROOT / "tests" / "xapi" / "send_statements.cjs"),
                    portal.endpoint + "/",
                    portal.key,
                    portal.secret,
                    str(file),
                ],
                capture_output=True,
                text=True,
                timeout=120,
                cwd=ROOT,
            )
            assert done.returncode == 0, done.stderr
            return json.loads(done.stdout)

        verb = "http://adlnet.gov/expapi/verbs/"
        ids = send(
            {
                "actor": actor,
                "verb": {"id": verb + "progressed"},
                "object": activity,
                "result": {"extensions": {PROGRESS: 55}},
            },
        )
        assert len(ids) == 1
        assert observed(portal) == ("enrolled", 55, False)
        send(
            {
                "actor": actor,
                "verb": {"id": verb + "passed"},
                "object": activity,
                "result": {"success": True, "completion": True},
            }
        )
        assert observed(portal) == ("completed", 100, True)
