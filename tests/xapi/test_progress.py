"""Statements about a run move its learners' enrolments: completion with a certificate,
reported progress, undoing by ``failed`` and voiding, waiting learners applied later."""

import hashlib
import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from mooc_portal.certificates.models import Certificate
from mooc_portal.db import utcnow
from mooc_portal.enrollment import services as enrolment
from mooc_portal.pagination import PageRequest
from mooc_portal.progress.services import reported_progress
from mooc_portal.xapi import services
from mooc_portal.xapi.models import OutcomeStatus, StatementOutcome
from mooc_portal.xapi.progress import default_activity_id
from mooc_portal.xapi.validation import VOIDED
from tests.factories import make_account, make_course, make_run
from tests.xapi.conftest import Partner, statement

COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
FAILED = "http://adlnet.gov/expapi/verbs/failed"
PROGRESSED = "http://adlnet.gov/expapi/verbs/progressed"
PROGRESS = "https://w3id.org/xapi/cmi5/result/extensions/progress"


@pytest.fixture
def world(client, db_session):
    partner = Partner(client, "Delivering University")
    course = make_course(institution=partner.institution, credential="certificate")
    start = utcnow() - timedelta(days=1)
    run = make_run(course, start=start, enrollment_start_at=start - timedelta(days=3))
    learner = make_account("min-ji@example.org")
    enrollment = enrolment.enroll(run, learner, actor=learner)
    db_session.commit()
    return {"partner": partner, "run": run, "learner": learner, "enrollment": enrollment}


def about_run(world, verb, **extra):
    return statement(
        verb, mbox="mailto:min-ji@example.org", activity=default_activity_id(world["run"]), **extra
    )


def certificate(db_session, enrollment):
    db_session.expire_all()
    return db_session.scalar(select(Certificate).where(Certificate.enrollment_id == enrollment.id))


def test_progressed_sets_the_percentage_and_completed_issues_the_certificate(world, db_session):
    partner, enrollment = world["partner"], world["enrollment"]
    progressed = about_run(world, PROGRESSED, result={"extensions": {PROGRESS: 40}})
    assert partner.post(progressed).status_code == 200
    reported = reported_progress([enrollment.id])[enrollment.id]
    assert (reported.percent, reported.completed, reported.source) == (40, False, "LMS")
    assert certificate(db_session, enrollment) is None

    assert partner.post(about_run(world, COMPLETED)).status_code == 200
    db_session.refresh(enrollment)
    assert enrollment.state == "completed"
    assert certificate(db_session, enrollment).revoked_at is None
    assert reported_progress([enrollment.id])[enrollment.id].percent == 100


def test_failed_and_voiding_undo_what_they_caused(world, db_session):
    partner, enrollment = world["partner"], world["enrollment"]
    partner.post(about_run(world, "http://adlnet.gov/expapi/verbs/passed"))
    db_session.refresh(enrollment)
    assert enrollment.state == "completed"

    failed = about_run(world, FAILED)
    partner.post(failed)
    db_session.refresh(enrollment)
    assert enrollment.state == "enrolled"
    revoked = certificate(db_session, enrollment)
    assert revoked.revoked_at is not None

    voiding = statement(VOIDED, mbox="mailto:partner@example.org")
    voiding["object"] = {"objectType": "StatementRef", "id": failed["id"]}
    partner.post(voiding)
    db_session.refresh(enrollment)
    assert enrollment.state == "completed"
    assert certificate(db_session, enrollment).revoked_at is None  # the same one, reinstated


def test_the_learner_is_matched_by_mbox_sha1sum(world, db_session):
    sha1 = hashlib.sha1(b"mailto:min-ji@example.org").hexdigest()
    sent = about_run(world, COMPLETED)
    sent["actor"] = {"mbox_sha1sum": sha1}
    world["partner"].post(sent)
    db_session.refresh(world["enrollment"])
    assert world["enrollment"].state == "completed"


def test_statements_about_an_unknown_learner_wait_until_the_account_is_linked(world, db_session):
    partner, enrollment = world["partner"], world["enrollment"]
    sent = about_run(world, COMPLETED)
    sent["actor"] = {"account": {"homePage": "https://lms.example.org", "name": "u-4711"}}
    partner.post(sent)
    waiting = services.waiting_statements(world["run"], actor=partner.manager, page=PageRequest())
    assert [str(w.statement.statement_id) for w in waiting.items] == [sent["id"]]
    assert json.loads(waiting.items[0].agent)["account"]["name"] == "u-4711"
    db_session.refresh(enrollment)
    assert enrollment.state == "enrolled"

    _link, applied = services.link_platform_account(
        world["learner"], "https://lms.example.org", "u-4711"
    )
    assert applied == 1
    db_session.refresh(enrollment)
    assert enrollment.state == "completed"
    left = services.waiting_statements(world["run"], actor=partner.manager, page=PageRequest())
    assert left.items == [] and left.total == 0


def test_a_learner_who_enrols_later_gets_what_waited(world, db_session):
    partner, run = world["partner"], world["run"]
    late = make_account("late@example.org")
    db_session.commit()
    partner.post(
        statement(
            PROGRESSED,
            mbox="mailto:late@example.org",
            activity=default_activity_id(run),
            result={"extensions": {PROGRESS: 70}},
        )
    )
    outcome = db_session.scalar(select(StatementOutcome))
    assert outcome.status == OutcomeStatus.NOT_ENROLLED
    enrollment = enrolment.enroll(run, late, actor=late)
    assert reported_progress([enrollment.id])[enrollment.id].percent == 70


def test_a_mapped_iri_and_other_institutions_runs(world, db_session, other_partner):
    partner, run, enrollment = world["partner"], world["run"], world["enrollment"]
    services.add_mapping(run, "https://lms.example.org/course/42", actor=partner.manager)
    db_session.commit()
    # Another institution cannot report about this run, even by its default IRI.
    other_partner.post(about_run(world, COMPLETED))
    db_session.refresh(enrollment)
    assert enrollment.state == "enrolled"
    partner.post(
        statement(
            COMPLETED,
            mbox="mailto:min-ji@example.org",
            activity="https://lms.example.org/course/42",
        )
    )
    db_session.refresh(enrollment)
    assert enrollment.state == "completed"


def test_a_batch_costs_the_same_queries_whatever_its_size(
    world, db_session, count_queries, backend
):
    partner, run = world["partner"], world["run"]
    learners = [make_account(f"batch-{n}@example.org") for n in range(20)]
    for learner in learners:
        enrolment.enroll(run, learner, actor=learner)
    db_session.commit()
    activity = default_activity_id(run)

    def batch(accounts, *percents):
        return [
            statement(
                PROGRESSED,
                mbox=f"mailto:{account.email}",
                activity=activity,
                result={"extensions": {PROGRESS: percent}},
            )
            for percent in percents
            for account in accounts
        ]

    assert partner.post(batch(learners, 10)).status_code == 200  # every learner has a figure
    two, all_three_times = batch(learners[:2], 20), batch(learners, 30, 45, 60)
    with count_queries() as small:
        assert partner.post(two).status_code == 200
    with count_queries() as large:  # 20 learners, three statements each
        assert partner.post(all_three_times).status_code == 200
    if backend == "postgresql":  # SQLite (make run) inserts the statements one by one
        assert large.count == small.count
    # Applied once per enrolment: the batch's last figure about each learner is the one shown.
    enrollment_ids = [e.id for e in enrolment_of(db_session, learners)]
    figures = reported_progress(enrollment_ids)
    assert {figures[e].percent for e in enrollment_ids} == {60}


def enrolment_of(db_session, accounts):
    from mooc_portal.enrollment.models import Enrollment

    return db_session.scalars(
        select(Enrollment).where(Enrollment.account_id.in_([a.id for a in accounts]))
    ).all()
