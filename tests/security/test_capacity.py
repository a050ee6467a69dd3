"""Issue 8, finding 7: every capacity change keeps the enrolment rules.

Before, the partner run form and the partner API set ``capacity`` directly: raising it left the
waitlist waiting while a newcomer took the seat, and it could drop below the seats taken.
"""

import re
from datetime import timedelta

from sqlalchemy import select

from mooc_portal.db import session, utcnow
from mooc_portal.enrollment import services as enrolment
from mooc_portal.enrollment.models import Enrollment
from tests.factories import make_account, make_course, make_institution, make_run


def full_run():
    institution = make_institution()
    course = make_course(institution=institution)
    run = make_run(course, capacity=1, enrollment_start_at=utcnow() - timedelta(days=1))
    first, waiting = make_account(), make_account()
    enrolment.enroll(run, first, actor=first)
    enrolment.enroll(run, waiting, actor=waiting)
    manager = make_account(memberships={institution: "manager"})
    editor = make_account(memberships={institution: "editor"})
    session.commit()
    return run, first, waiting, manager, editor


def run_form(client, run, **changes):
    path = f"/partner/courses/{run.course.uuid}/runs/{run.uuid}"
    page = client.get(path).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    data = {
        "csrf_token": token,
        "start_at": run.start_at.strftime("%Y-%m-%dT%H:%M"),
        "end_at": run.end_at.strftime("%Y-%m-%dT%H:%M"),
        "enrollment_start_at": run.enrollment_start_at.strftime("%Y-%m-%dT%H:%M"),
        "capacity": str(run.capacity),
        "delivery_mode": run.delivery_mode,
        **changes,
    }
    return client.post(path, data=data)


def state_of(account, run):
    return session.scalar(
        select(Enrollment.state).where(
            Enrollment.account_id == account.id, Enrollment.run_id == run.id
        )
    )


def test_raising_capacity_on_the_run_form_seats_the_waitlist_before_newcomers(client, auth):
    run, _first, waiting, manager, _editor = full_run()
    auth.login(manager.email)
    assert run_form(client, run, capacity="2").status_code == 302
    assert state_of(waiting, run) == "enrolled"
    newcomer = make_account()
    assert enrolment.enroll(run, newcomer, actor=newcomer).state == "waitlisted"


def test_the_run_form_cannot_drop_capacity_below_the_seats_taken(client, auth):
    run, first, _waiting, manager, _editor = full_run()
    auth.login(manager.email)
    response = run_form(client, run, capacity="0", delivery_mode="blended")
    assert response.status_code == 400
    assert "1 seats are taken; the capacity cannot be lower." in response.get_data(as_text=True)
    session.expire_all()
    assert run.capacity == 1 and run.delivery_mode == "online"
    assert state_of(first, run) == "enrolled"


def test_editors_keep_editing_runs_but_only_managers_change_capacity(client, auth):
    run, _first, waiting, _manager, editor = full_run()
    auth.login(editor.email)
    refused = run_form(client, run, capacity="5")
    assert refused.status_code == 400
    assert "Only the institution&#39;s managers change a run&#39;s capacity." in (
        refused.get_data(as_text=True)
    )
    session.expire_all()
    assert run.capacity == 1 and state_of(waiting, run) == "waitlisted"
    assert run_form(client, run, delivery_mode="blended").status_code == 302
    session.expire_all()
    assert run.delivery_mode == "blended"


def test_the_partner_api_cannot_change_capacity_with_an_editors_token(client, db_session):
    from mooc_portal.federation.partner import create_api_token

    run, _first, waiting, manager, _editor = full_run()
    _token, plain = create_api_token(manager, run.course.institution, "LMS")
    session.commit()
    response = client.patch(
        f"/api/v1/runs/{run.uuid}",
        json={"capacity": 3},
        headers={"Authorization": f"Bearer {plain}"},
    )
    assert response.status_code == 403
    assert response.get_json()["field"] == "capacity"
    session.expire_all()
    assert run.capacity == 1 and state_of(waiting, run) == "waitlisted"
