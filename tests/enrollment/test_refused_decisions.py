"""Issue 12, defect 5: a decision, a promotion or a capacity the services refuse shows the
review list again, where it was (its filters and page), with the message at its field and
everything entered kept; never a bare 400 or 409 page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from mooc_portal.db import session, utcnow
from mooc_portal.enrollment import services
from mooc_portal.enrollment.models import EnrollmentTransition
from tests.factories import make_account, make_course, make_institution, make_run


@pytest.fixture
def review(db_session):
    institution = make_institution()
    course = make_course(institution=institution)
    opens = utcnow() - timedelta(days=1)
    run = make_run(course, capacity=2, requires_approval=True, enrollment_start_at=opens)
    full = make_run(course, capacity=1, enrollment_start_at=opens)
    manager = make_account(memberships={institution: "manager"})
    pending = [services.enroll(run, a := make_account(), actor=a) for _ in range(2)]
    seated = services.enroll(full, a := make_account(), actor=a)
    waiting = services.enroll(full, a := make_account(), actor=a)
    return {
        "run": run,
        "full": full,
        "manager": manager,
        "pending": pending,
        "seated": seated,
        "waiting": waiting,
        "admin": make_account(is_admin=True),
    }


def transitions() -> int:
    return session.scalar(select(func.count()).select_from(EnrollmentTransition))


def error_at(page: str, field_id: str) -> str | None:
    found = re.search(rf'id="{re.escape(field_id)}-error">(.*?)</p>', page, re.S)
    return found.group(1).strip() if found else None


def alert(page: str) -> str:
    found = re.search(r'<div class="form-errors" role="alert">(.*?)</div>', page, re.S)
    assert found, "no error summary on the page"
    return re.sub(r"<[^>]+>", "", found.group(1))


def ticked(page: str) -> set[str]:
    return set(re.findall(r'value="([0-9a-f-]{36})" id="select-[^"]+" checked', page))


def test_rejecting_without_a_reason_keeps_the_list_the_ticks_and_the_decision(client, auth, review):
    auth.login(review["manager"].email)
    listing = "/partner/enrolments?state=pending"
    chosen = [str(e.uuid) for e in review["pending"]]
    before = transitions()
    response = client.post(
        "/enrolments/decide",
        data={
            "csrf_token": auth.csrf_token(listing),
            "decision": "reject",
            "reason": "   ",
            "enrollments": chosen,
            "next": listing,
        },
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "<h1>Enrolments of your institution's runs</h1>" in page  # not an error page
    assert error_at(page, "reason") == "Give the reason for the rejection."
    assert "Give the reason for the rejection." in alert(page)
    assert ticked(page) == set(chosen)
    assert re.search(r'<option selected value="reject">|<option value="reject" selected', page)
    # Still the filtered list: its filter is kept, and so is where the next decision returns.
    assert re.search(r'<option selected value="pending">|<option value="pending" selected', page)
    assert f'name="next" value="{listing}"' in page
    assert str(review["seated"].uuid) not in page
    assert transitions() == before
    session.expire_all()
    assert {e.state for e in review["pending"]} == {"pending"}


def test_a_decision_without_ticks_says_so_on_the_list(client, auth, review):
    auth.login(review["manager"].email)
    listing = "/partner/enrolments"
    response = client.post(
        "/enrolments/decide",
        data={"csrf_token": auth.csrf_token(listing), "decision": "approve", "next": listing},
    )
    assert response.status_code == 400
    assert "Select at least one enrolment." in alert(response.get_data(as_text=True))


def test_a_half_done_decision_is_undone_and_the_list_shows_what_is_stored(client, auth, review):
    first, second = review["pending"]
    services.reject(second, "Full", actor=review["manager"])
    auth.login(review["manager"].email)
    listing = "/partner/enrolments"
    before = transitions()
    response = client.post(
        "/enrolments/decide",
        data={
            "csrf_token": auth.csrf_token(listing),
            "decision": "approve",
            "enrollments": [str(first.uuid), str(second.uuid)],
            "next": listing,
        },
    )
    assert response.status_code == 409
    assert "Only a pending enrolment can be approved." in alert(response.get_data(as_text=True))
    session.expire_all()
    assert first.state == "pending" and transitions() == before


def test_promoting_into_a_full_run_shows_the_list_with_the_message(client, auth, review):
    auth.login(review["manager"].email)
    listing = "/partner/enrolments?state=waitlisted"
    response = client.post(
        f"/enrolments/{review['waiting'].uuid}/promote",
        data={"csrf_token": auth.csrf_token(listing), "next": listing},
    )
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "The run is full. Raise its capacity first." in alert(page)
    assert review["waiting"].account.shown_name in alert(page)
    assert f'id="capacity-{review["full"].uuid}"' in page  # where to raise it, on the page
    session.expire_all()
    assert review["waiting"].state == "waitlisted"


def test_a_capacity_below_the_seats_taken_is_shown_at_that_runs_box(client, auth, review):
    auth.login(review["admin"].email)
    listing = "/admin/enrolments?state=waitlisted"
    response = client.post(
        f"/runs/{review['full'].uuid}/capacity",
        data={"csrf_token": auth.csrf_token(listing), "capacity": "0", "next": listing},
    )
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "<h1>Enrolments of every run</h1>" in page  # the administrators' list it came from
    box = f"capacity-{review['full'].uuid}"
    assert error_at(page, box) == "1 seats are taken; the capacity cannot be lower."
    assert re.search(rf'id="{box}" name="capacity" value="0"', page)
    assert f'value="{review["run"].capacity}"' in page  # the other run's box is as stored
    response = client.post(
        f"/runs/{review['full'].uuid}/capacity",
        data={"csrf_token": auth.csrf_token(listing), "capacity": "lots", "next": listing},
    )
    assert response.status_code == 400
    assert error_at(response.get_data(as_text=True), box) == "Not a valid integer value."
    session.expire_all()
    assert review["full"].capacity == 1


def test_the_shown_list_keeps_its_own_address_for_paging_and_the_language_switch(
    client, auth, review
):
    auth.login(review["manager"].email)
    listing = "/partner/enrolments?state=pending&size=1"
    response = client.post(
        "/enrolments/decide",
        data={
            "csrf_token": auth.csrf_token(listing),
            "decision": "reject",
            "enrollments": [str(review["pending"][0].uuid)],
            "next": listing,
        },
    )
    page = response.get_data(as_text=True)
    assert 'href="/partner/enrolments?state=pending&amp;size=1&amp;page=2"' in page
    assert 'name="next" value="/partner/enrolments?state=pending&amp;size=1"' in page
    assert 'action="/partner/enrolments" class="review-filters"' in page


def test_a_stranger_still_meets_the_refusal_not_the_list(client, auth, review):
    outsider = make_account(memberships={make_institution(): "manager"})
    auth.login(outsider.email)
    listing = "/partner/enrolments"
    token = auth.csrf_token(listing)
    responses = [
        client.post(
            "/enrolments/decide",
            data={
                "csrf_token": token,
                "decision": "reject",
                "reason": "No",
                "enrollments": [str(review["pending"][0].uuid)],
                "next": listing,
            },
        ),
        client.post(
            f"/enrolments/{review['waiting'].uuid}/promote",
            data={"csrf_token": token, "next": listing},
        ),
        client.post(
            f"/runs/{review['full'].uuid}/capacity",
            data={"csrf_token": token, "capacity": "5", "next": listing},
        ),
    ]
    assert [r.status_code for r in responses] == [403, 403, 403]
    session.expire_all()
    assert review["pending"][0].state == "pending" and review["full"].capacity == 1
