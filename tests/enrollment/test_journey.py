"""A visitor who is not logged in registers from the course page and enrols in the same run."""

import html
import re
from datetime import timedelta

from sqlalchemy import select

from mooc_portal.accounts.models import Account
from mooc_portal.db import session, utcnow
from mooc_portal.enrollment.models import Enrollment
from tests.factories import make_course, make_run


def csrf(page: str) -> str:
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page)
    assert match
    return match.group(1)


def test_a_new_visitor_registers_from_the_course_page_and_comes_back_to_the_run(client):
    course = make_course("Sustainable Cities", slug="sustainable-cities")
    run = make_run(course, enrollment_start_at=utcnow() - timedelta(days=1), capacity=10)

    page = client.get("/courses/sustainable-cities").get_data(as_text=True)
    register_link = re.search(r'href="([^"]*/account/register\?next=[^"]+)"', page)
    assert register_link, "the course page offers to register"
    register_url = html.unescape(register_link.group(1))

    form = client.get(register_url).get_data(as_text=True)
    response = client.post(
        register_url,
        data={
            "csrf_token": csrf(form),
            "display_name": "Mai Nguyen",
            "email": "mai@example.org",
            "password": "a long enough password",
            "confirm": "a long enough password",
            "country": "VN",
            "preferred_language": "en",
        },
    )
    # Registration mails a confirmation link and sends the visitor to log in, keeping the way
    # back to the run; an address not yet confirmed may already enrol.
    assert response.status_code == 302, response.get_data(as_text=True)
    login_url = response.location
    assert login_url.startswith("/account/login?next=")
    login_form = client.get(login_url).get_data(as_text=True)
    response = client.post(
        login_url,
        data={
            "csrf_token": csrf(login_form),
            "email": "mai@example.org",
            "password": "a long enough password",
        },
    )
    assert response.status_code == 302
    assert response.location == f"/courses/sustainable-cities#enrol-{run.uuid}"

    page = client.get("/courses/sustainable-cities").get_data(as_text=True)
    enrol = client.post(f"/runs/{run.uuid}/enrol", data={"csrf_token": csrf(page)})
    assert enrol.status_code == 302
    # The first enrolment with this institution: what it receives, then "agree and enrol".
    assert enrol.location == f"/runs/{run.uuid}/sharing"
    sharing = client.get(enrol.location).get_data(as_text=True)
    assert "Your e-mail address" in sharing and "My country" in sharing
    agreed = client.post(enrol.location, data={"csrf_token": csrf(sharing), "progress": "y"})
    assert agreed.location == f"/courses/sustainable-cities#enrol-{run.uuid}"
    learner = session.scalar(select(Account).where(Account.email == "mai@example.org"))
    enrollment = session.scalar(select(Enrollment).where(Enrollment.account_id == learner.id))
    assert enrollment.run_id == run.id and enrollment.state == "enrolled"
