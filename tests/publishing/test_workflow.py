"""The review state machine: every transition, allowed and refused."""

from __future__ import annotations

import pytest

from mooc_portal.catalog.models import CourseStatus
from mooc_portal.errors import Conflict, InvalidInput, NotFound, NotPermitted
from mooc_portal.publishing.models import ReviewEvent
from mooc_portal.publishing.workflow import TRANSITIONS, allowed_actions, transition_course
from mooc_portal.signals import course_published
from tests.factories import make_account, make_course, make_institution

STATES = [s.value for s in CourseStatus]


@pytest.fixture
def people(db_session):
    home = make_institution()
    other = make_institution()
    return {
        "home": home,
        "editor": make_account(memberships={home: "editor"}),
        "manager": make_account(memberships={home: "manager"}),
        "admin": make_account(is_admin=True),
        "learner": make_account(),
        "stranger": make_account(memberships={other: "manager"}),
    }


# (action, source, who may) for every transition of the workflow
ALLOWED = {
    ("submit", "draft"): {"editor", "manager"},
    ("resubmit", "withdrawn"): {"editor", "manager"},
    ("approve", "in_review"): {"admin"},
    ("request_changes", "in_review"): {"admin"},
    ("withdraw", "published"): {"manager", "admin"},
}


def test_the_table_covers_every_transition():
    assert {(t.action, t.source.value) for t in TRANSITIONS.values()} == set(ALLOWED)


@pytest.mark.parametrize(("action", "source"), sorted(ALLOWED))
@pytest.mark.parametrize("who", ["editor", "manager", "admin", "learner", "stranger"])
def test_transition_from_its_state_by_each_role(people, action, source, who):
    course = make_course(institution=people["home"], status=source)
    actor = people[who]
    if who in ALLOWED[(action, source)]:
        transition_course(actor, course, action, comment="Please add outcomes.")
        assert course.status == TRANSITIONS[action].target
    else:
        expected = NotFound if who in ("learner", "stranger") else NotPermitted
        with pytest.raises(expected):
            transition_course(actor, course, action, comment="x")
        assert course.status == source


WRONG_STATES = [(a, s) for a, t in sorted(TRANSITIONS.items()) for s in STATES if s != t.source]


@pytest.mark.parametrize(("action", "state"), WRONG_STATES)
def test_transition_from_a_wrong_state_is_refused(people, action, state):
    transition = TRANSITIONS[action]
    course = make_course(institution=people["home"], status=state)
    actor = (
        people["admin"] if "admin" in ALLOWED[(action, transition.source)] else people["manager"]
    )
    with pytest.raises(Conflict):
        transition_course(actor, course, action, comment="x")
    assert course.status == state


def test_request_changes_needs_a_comment_the_partner_sees(people, db_session):
    course = make_course(institution=people["home"], status="in_review")
    with pytest.raises(InvalidInput) as refused:
        transition_course(people["admin"], course, "request_changes", comment="  ")
    assert refused.value.field == "comment"
    transition_course(people["admin"], course, "request_changes", comment="State the outcomes.")
    event = db_session.query(ReviewEvent).filter_by(course_id=course.id).one()
    assert (event.from_status, event.to_status, event.comment) == (
        "in_review",
        "draft",
        "State the outcomes.",
    )


def test_publication_sets_published_at_and_sends_the_signal(app, people):
    course = make_course(institution=people["home"], status="in_review")
    course.published_at = None
    received = []

    def listener(sender, course, actor):
        received.append((course, actor))

    with course_published.connected_to(listener, app):
        transition_course(people["admin"], course, "approve")
    assert course.published_at is not None
    assert received == [(course, people["admin"])]


def test_full_cycle_withdraw_and_republish_after_review(people):
    course = make_course(institution=people["home"], status="draft")
    transition_course(people["editor"], course, "submit")
    transition_course(people["admin"], course, "approve")
    transition_course(people["admin"], course, "withdraw")
    assert not course.is_public
    transition_course(people["editor"], course, "resubmit")
    assert course.status == "in_review"
    transition_course(people["admin"], course, "approve")
    assert course.is_public


def test_allowed_actions_match_the_roles(people):
    course = make_course(institution=people["home"], status="published")
    assert allowed_actions(people["editor"], course) == []
    assert allowed_actions(people["manager"], course) == ["withdraw"]
    assert allowed_actions(people["admin"], course) == ["withdraw"]
