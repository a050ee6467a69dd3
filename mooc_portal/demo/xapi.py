"""Demo step: a partner whose own platform reports progress through xAPI.

The first partner institution with a manager gets an xAPI credential. One of its running
certificate courses is delivered "on its platform": a mapping from a Moodle course address to
the run, one demo learner whose progress (65 %) came from a ``progressed`` statement, another
whose completion (and so the certificate) came from a ``completed`` statement, and one
statement about a learner the portal does not know, waiting on the run's xAPI page. The
statements go through the real store (``xapi.statements.store_statements``), as a
platform's would. Moodle also keeps a state document (where the 65 % learner stopped) under
that learner's identity: it is in their data download and goes when they erase their account.
"""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any

from mooc_portal.accounts.models import Account, StaffRole
from mooc_portal.catalog.availability import Availability
from mooc_portal.catalog.models import CourseRun, CourseStatus, Credential
from mooc_portal.db import session
from mooc_portal.demo.learning import _try_enrol
from mooc_portal.institutions.models import Institution
from mooc_portal.xapi import documents
from mooc_portal.xapi.credentials import create_credential
from mooc_portal.xapi.models import DocumentKind
from mooc_portal.xapi.services import add_mapping
from mooc_portal.xapi.statements import agent_identity, store_statements

if TYPE_CHECKING:
    from mooc_portal.demo import DemoContext

MOODLE_COURSE = "https://moodle.{domain}/course/view.php?id=42"
PROGRESS = "https://w3id.org/xapi/cmi5/result/extensions/progress"
_NAMESPACE = uuid.UUID("0b1c8c7e-6a61-4c43-8f53-3a6f0d1e2c77")


def _statement(name: str, mbox: str, verb: str, activity: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid5(_NAMESPACE, name)),
        "actor": {"objectType": "Agent", "mbox": mbox},
        "verb": {"id": f"http://adlnet.gov/expapi/verbs/{verb}", "display": {"en-US": verb}},
        "object": {"objectType": "Activity", "id": activity},
        **extra,
    }


def _delivered_run(context: DemoContext) -> tuple[Account, Institution, CourseRun] | None:
    """A manager, their institution and one of its open or running certificate runs."""
    for account in context.accounts.values():
        for membership in account.memberships:
            if membership.role != StaffRole.MANAGER:
                continue
            institution = membership.institution
            for course in context.courses:
                if (
                    course.institution_id != institution.id
                    or course.status != CourseStatus.PUBLISHED
                    or course.credential == Credential.NONE
                ):
                    continue
                for run in course.runs:
                    open_now = run.availability() in (Availability.OPEN, Availability.IN_PROGRESS)
                    if open_now and not run.requires_approval and not run.capacity:
                        return account, institution, run
    return None


def add_xapi(context: DemoContext) -> None:
    found = _delivered_run(context)
    learners = [a for a in context.accounts.values() if not a.is_admin and not a.memberships]
    if found is None or len(learners) < 2:
        return
    manager, institution, run = found
    # The secret is not kept: the institution's manager makes a new credential to try the
    # endpoint (docs/xapi.md); this one is the platform's that sent the demo statements.
    credential, _secret = create_credential(manager, institution, "Moodle (demo)")
    domain = (institution.website or "https://partner.example").split("//", 1)[-1].strip("/")
    activity = MOODLE_COURSE.format(domain=domain.removeprefix("www."))
    add_mapping(run, activity, actor=manager)
    enrolled = [e for e in (_try_enrol(run, learner) for learner in learners) if e][:2]
    statements = []
    if enrolled:
        statements.append(
            _statement(
                "progressed",
                f"mailto:{enrolled[0].account.email}",
                "progressed",
                activity,
                result={"extensions": {PROGRESS: 65}},
            )
        )
    if len(enrolled) > 1:
        statements.append(
            _statement(
                "completed",
                f"mailto:{enrolled[1].account.email}",
                "completed",
                activity,
                result={"completion": True, "success": True},
            )
        )
    statements.append(
        _statement("unknown", "mailto:someone.else@moodle.example", "completed", activity)
    )
    store_statements(credential, statements)
    if enrolled:
        learner = {"objectType": "Agent", "mbox": f"mailto:{enrolled[0].account.email}"}
        documents.put_document(
            institution.id,
            documents.Scope(DocumentKind.STATE, activity, agent_identity(learner) or ""),
            "bookmark",
            json.dumps({"module": 3, "page": 7}).encode(),
            "application/json",
        )
    session.flush()
