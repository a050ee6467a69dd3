"""A learner with data in every table that can hold a learner reference."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from mooc_portal.accounts.models import Account, LoginAttempt
from mooc_portal.audit.services import record_change
from mooc_portal.certificates.models import Certificate
from mooc_portal.certificates.services import revoke_certificate
from mooc_portal.db import session, utcnow
from mooc_portal.enrollment import services as enrolment
from mooc_portal.enrollment.models import Enrollment
from mooc_portal.federation.partner import create_api_token
from mooc_portal.privacy import downloads, export, notices, sharing
from mooc_portal.progress import services as progress
from mooc_portal.publishing.importer import import_in_background
from mooc_portal.publishing.models import ReviewEvent
from mooc_portal.xapi import documents
from mooc_portal.xapi import services as xapi_services
from mooc_portal.xapi.credentials import create_credential
from mooc_portal.xapi.models import DocumentKind
from mooc_portal.xapi.progress import PROGRESS_EXTENSIONS, default_activity_id
from mooc_portal.xapi.statements import agent_identity, store_statements
from tests.factories import make_account, make_course, make_institution, make_run
from tests.progress.conftest import Space, build_space

NAME = "Erika Privatova-Mustermann"
EMAIL = "erika.privatova@example.org"


@dataclass
class FullLearner:
    account: Account
    space: Space
    completed: Enrollment
    rejected: Enrollment
    certificate: Certificate
    manager: Account
    admin: Account
    values: dict[str, Any]


def make_full_learner() -> FullLearner:
    """A learner (also staff and administrator) with a row in every learner table."""
    institution = make_institution()
    space = build_space(institution=institution)
    admin = space.editor
    manager = make_account(memberships={institution: "manager"})
    learner = make_account(EMAIL, display_name=NAME, country="KR", is_admin=True)
    learner.memberships  # noqa: B018 (loaded before the membership is added)
    other = make_institution()
    session.flush()
    from mooc_portal.accounts.models import StaffRole
    from mooc_portal.accounts.services import add_membership

    add_membership(learner, other, StaffRole.MANAGER)
    # As an administrator the learner published the privacy notice.
    notice = notices.publish_notice(
        {"en": "We care.", "ko": "개인정보를 보호합니다."}, changes="", actor=learner
    )
    notices.acknowledge(learner, notice, language="en", context="registration")
    completed = sharing.enrol_with_consent(
        space.run, learner, country=False, progress=True, completion=True
    )
    for lesson in space.lessons:
        if lesson.counts_toward_completion:
            progress.mark_complete(completed, lesson, actor=learner)
    progress.record_visit(completed, space.lessons[0], actor=learner)
    certificate = session.query(Certificate).filter_by(enrollment_id=completed.id).one()
    approval = make_run(
        make_course(institution=institution),
        requires_approval=True,
        enrollment_start_at=utcnow() - timedelta(days=1),
    )
    rejected = enrolment.enroll(approval, learner, actor=learner)
    enrolment.reject(rejected, f"Sorry {NAME}, prerequisites missing", actor=manager)
    session.add(LoginAttempt(email=EMAIL, remote_addr="192.0.2.7"))
    record_change(learner, "update", "course", space.course.id, summary=f"Changed by {EMAIL}")
    session.add(
        ReviewEvent(
            course=space.course,
            actor_id=learner.id,
            action="approve",
            from_status="in_review",
            to_status="published",
        )
    )
    create_api_token(learner, other, "Learner's own token")
    # As an administrator the learner revoked someone else's certificate.
    someone = make_account()
    theirs = sharing.enrol_with_consent(
        make_run(
            make_course(credential="certificate"),
            enrollment_start_at=utcnow() - timedelta(days=1),
            start=utcnow() - timedelta(hours=1),
        ),
        someone,
        country=True,
        progress=True,
        completion=True,
    )
    enrolment.complete(theirs)
    revoke_certificate(
        session.query(Certificate).filter_by(enrollment_id=theirs.id).one(),
        "Plagiarism",
        actor=learner,
    )
    # As a partner manager the learner made an xAPI credential; as a learner, the partner's
    # platform reported progress about them and they linked their account there.
    create_credential(learner, other, "Learner's own LRS client")
    platform, _secret = create_credential(manager, institution, "Moodle")
    xapi_services.link_platform_account(learner, "https://moodle.example.org", "erika-p")
    # As a manager the learner uploaded a course import large enough to run as a job.
    import_in_background(learner, other, b"code;title\n", "courses.csv", 1, apply=False)
    store_statements(
        platform,
        [
            {
                "actor": {"mbox": f"mailto:{EMAIL}", "name": NAME},
                "verb": {"id": "http://adlnet.gov/expapi/verbs/progressed"},
                "object": {"id": default_activity_id(space.run)},
                "result": {"extensions": {PROGRESS_EXTENSIONS[0]: 90}},
            }
        ],
    )
    # The platform keeps a state document (by e-mail) and an agent profile (by the linked
    # account) about the learner: stored under a hash of the identity, they name the learner.
    documents.put_document(
        institution.id,
        documents.Scope(
            DocumentKind.STATE,
            activity_id=default_activity_id(space.run),
            agent=agent_identity({"mbox": f"mailto:{EMAIL}"}),
        ),
        "bookmark",
        json.dumps({"learner": EMAIL, "page": 7}).encode(),
        "application/json",
    )
    documents.put_document(
        institution.id,
        documents.Scope(
            DocumentKind.AGENT_PROFILE,
            agent=agent_identity(
                {"account": {"homePage": "https://moodle.example.org", "name": "erika-p"}}
            ),
        ),
        "preferences",
        f"contact: {EMAIL}".encode(),
        "text/plain",
        if_none_match="*",
    )
    export.record_access_request(learner, channel="self-service")
    downloads.request_data_download(learner)
    session.flush()
    return FullLearner(
        account=learner,
        space=space,
        completed=completed,
        rejected=rejected,
        certificate=certificate,
        manager=manager,
        admin=admin,
        values={"id": learner.id, "uuid": learner.uuid, "email": EMAIL, "name": NAME},
    )


@pytest.fixture
def full_learner(app) -> FullLearner:
    return make_full_learner()
