import csv
import io
import re
from datetime import timedelta

import pytest
from flask import render_template_string
from sqlalchemy import func, select

from mooc_portal.db import session, utcnow
from mooc_portal.enrollment import services
from mooc_portal.enrollment.models import Enrollment, EnrollmentTransition
from mooc_portal.signals import mail_sent
from tests.factories import make_account, make_course, make_institution, make_run


def open_run(course=None, **fields):
    return make_run(
        course or make_course(), enrollment_start_at=utcnow() - timedelta(days=1), **fields
    )


def token(client, path):
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def count(model=Enrollment):
    return session.scalar(select(func.count()).select_from(model))


def test_enrol_through_the_web(client, auth):
    run = open_run()
    learner = make_account()
    auth.login(learner.email)
    sent = []
    with mail_sent.connected_to(lambda sender, message: sent.append(message)):
        response = client.post(
            f"/runs/{run.uuid}/enrol", data={"csrf_token": token(client, "/my/learning")}
        )
        # First enrolment with the institution: the learner sees what it receives and agrees.
        assert response.status_code == 302
        assert response.location == f"/runs/{run.uuid}/sharing"
        assert count() == 0
        response = client.post(
            response.location, data={"csrf_token": token(client, response.location)}
        )
    assert response.status_code == 302
    assert response.location.endswith(f"/courses/{run.course.slug}#enrol-{run.uuid}")
    enrollment = session.scalar(select(Enrollment).where(Enrollment.account_id == learner.id))
    assert enrollment.state == "enrolled"
    assert sent and sent[0]["To"] == learner.email
    page = client.get("/my/learning").get_data(as_text=True)
    assert "Enrolled" in page and "History" in page


def test_anonymous_enrol_goes_to_login_and_comes_back(client, auth):
    run = open_run()
    response = client.post(f"/runs/{run.uuid}/enrol")
    assert response.status_code == 302
    assert "/account/login?next=" in response.location
    assert count() == 0
    learner = make_account()
    login_path = response.location[response.location.index("/account") :]
    page = client.get(login_path).get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
    back = client.post(
        login_path,
        data={"email": learner.email, "password": "correct horse battery", "csrf_token": csrf},
    )
    assert back.location == f"/courses/{run.course.slug}#enrol-{run.uuid}"


def test_enrolling_twice_or_in_closed_or_cancelled_run_is_refused(client, auth):
    learner = make_account()
    auth.login(learner.email)
    csrf = token(client, "/my/learning")
    run = open_run()
    assert client.post(f"/runs/{run.uuid}/sharing", data={"csrf_token": csrf}).status_code == 302
    twice = client.post(f"/runs/{run.uuid}/enrol", data={"csrf_token": csrf})
    assert twice.status_code == 409
    assert "already enrolled" in twice.get_data(as_text=True)
    closed = make_run(make_course(), enrollment_end_at=utcnow() - timedelta(hours=1))
    cancelled = open_run(cancelled=True)
    session.commit()  # a refused request rolls back what is not committed
    for target, words in ((closed, "not open"), (cancelled, "cancelled")):
        response = client.post(f"/runs/{target.uuid}/enrol", data={"csrf_token": csrf})
        assert response.status_code == 409
        assert words in response.get_data(as_text=True)
    assert count() == 1
    assert client.post("/runs/not-a-uuid/enrol", data={"csrf_token": csrf}).status_code == 404
    assert client.post(f"/runs/{run.uuid}/enrol", data={}).status_code == 400


def test_withdraw_with_confirmation_promotes_the_waitlist(client, auth):
    run = open_run(capacity=1)
    learner, waiting = make_account(), make_account()
    mine = services.enroll(run, learner, actor=learner)
    theirs = services.enroll(run, waiting, actor=waiting)
    auth.login(learner.email)
    page = client.get("/my/learning").get_data(as_text=True)
    confirm_url = f"/my/enrolments/{mine.uuid}/withdraw"
    assert confirm_url in page
    confirm = client.get(confirm_url)
    assert confirm.status_code == 200 and "Yes, withdraw" in confirm.get_data(as_text=True)
    assert mine.state == "enrolled"  # showing the confirmation changes nothing
    response = client.post(confirm_url, data={"csrf_token": token(client, confirm_url)})
    assert response.status_code == 302
    session.expire_all()
    assert (mine.state, theirs.state) == ("withdrawn", "enrolled")


def test_withdrawing_another_learners_enrolment_is_refused(client, auth):
    run = open_run()
    victim, attacker = make_account(), make_account()
    enrollment = services.enroll(run, victim, actor=victim)
    auth.login(attacker.email)
    path = f"/my/enrolments/{enrollment.uuid}/withdraw"
    assert client.get(path).status_code == 404
    csrf = token(client, "/my/learning")
    assert client.post(path, data={"csrf_token": csrf}).status_code == 404
    session.expire_all()
    assert enrollment.state == "enrolled" and len(enrollment.transitions) == 1


def test_waitlisted_learner_sees_position(client, auth):
    run = open_run(capacity=1)
    services.enroll(run, first := make_account(), actor=first)
    learner = make_account()
    services.enroll(run, learner, actor=learner)
    auth.login(learner.email)
    page = client.get("/my/learning").get_data(as_text=True)
    assert "You are number 1 on the waitlist." in page


def render_action(app, course, run, account=None):
    from flask_login import login_user

    with app.test_request_context("/"):
        if account is not None:
            login_user(account)
        return render_template_string(
            '{% include "mooc_portal/enrollment/_run_action.html" %}',
            course=course,
            run=run,
            availability=run.availability(),
        )


def test_run_action_on_course_page(app, count_queries):
    course = make_course()
    run = open_run(course, capacity=2)
    anonymous = render_action(app, course, run)
    assert "Log in to enrol" in anonymous and "2 seats left" in anonymous
    assert f"next=/courses/{course.slug}%23enrol-{run.uuid}" in anonymous
    learner = make_account()
    assert "Enrol" in render_action(app, course, run, learner)
    services.enroll(run, learner, actor=learner)
    assert "You are enrolled." in render_action(app, course, run, learner)
    assert "1 seat left" in render_action(app, course, run)  # not "1 seats left"
    services.enroll(run, other := make_account(), actor=other)
    waiting = make_account()
    assert "Join the waitlist" in render_action(app, course, run, waiting)
    services.enroll(run, waiting, actor=waiting)
    assert "position 1" in render_action(app, course, run, waiting)
    for _ in range(3):
        open_run(course)
    session.expire_all()
    course = session.get(type(course), course.id)
    with count_queries() as few:
        render_action_many(app, course, waiting)
    open_run(course)
    open_run(course)
    session.expire_all()
    course = session.get(type(course), course.id)
    with count_queries() as more:
        render_action_many(app, course, waiting)
    assert more.count == few.count


def render_action_many(app, course, account):
    from flask_login import login_user

    with app.test_request_context("/"):
        login_user(account)
        for run in course.runs:
            render_template_string(
                '{% include "mooc_portal/enrollment/_run_action.html" %}',
                course=course,
                run=run,
                availability=run.availability(),
            )


@pytest.fixture
def review_setup():
    inst = make_institution()
    run = open_run(make_course(institution=inst), capacity=1, requires_approval=True)
    other_run = open_run(requires_approval=True)
    manager = make_account(memberships={inst: "manager"})
    outsider = make_account(memberships={make_institution(): "manager"})
    admin = make_account(is_admin=True)
    pending = services.enroll(run, a := make_account(country="DE"), actor=a)
    waiting = services.enroll(run, b := make_account(country="KR"), actor=b)
    elsewhere = services.enroll(other_run, c := make_account(), actor=c)
    return {
        "run": run,
        "manager": manager,
        "outsider": outsider,
        "admin": admin,
        "pending": pending,
        "waiting": waiting,
        "elsewhere": elsewhere,
    }


def test_partner_review_shows_own_runs_and_decides(client, auth, review_setup):
    s = review_setup
    auth.login(s["manager"].email)
    page = client.get("/partner/enrolments")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert str(s["pending"].uuid) in text and str(s["elsewhere"].uuid) not in text
    csrf = token(client, "/partner/enrolments")
    response = client.post(
        "/enrolments/decide",
        data={
            "csrf_token": csrf,
            "decision": "reject",
            "reason": "",
            "enrollments": [str(s["pending"].uuid)],
        },
    )
    assert response.status_code == 400
    response = client.post(
        "/enrolments/decide",
        data={
            "csrf_token": csrf,
            "decision": "reject",
            "reason": "Course prerequisites",
            "enrollments": [str(s["pending"].uuid)],
            "next": "/partner/enrolments",
        },
    )
    assert response.status_code == 302 and response.location == "/partner/enrolments"
    session.expire_all()
    assert s["pending"].state == "rejected"
    assert s["waiting"].state == "pending"  # promoted into the freed seat, awaiting approval
    client.post(
        "/enrolments/decide",
        data={"csrf_token": csrf, "decision": "approve", "enrollments": [str(s["waiting"].uuid)]},
    )
    session.expire_all()
    assert s["waiting"].state == "enrolled"


def test_manager_of_another_institution_cannot_act(client, auth, review_setup):
    s = review_setup
    auth.login(s["outsider"].email)
    text = client.get("/partner/enrolments").get_data(as_text=True)
    assert str(s["pending"].uuid) not in text
    assert client.get("/admin/enrolments").status_code == 403
    csrf = token(client, "/partner/enrolments")
    before = count(EnrollmentTransition)
    responses = [
        client.post(
            "/enrolments/decide",
            data={
                "csrf_token": csrf,
                "decision": "approve",
                "enrollments": [str(s["pending"].uuid)],
            },
        ),
        client.post(f"/runs/{s['run'].uuid}/capacity", data={"csrf_token": csrf, "capacity": "9"}),
        client.post(f"/enrolments/{s['waiting'].uuid}/promote", data={"csrf_token": csrf}),
    ]
    assert [r.status_code for r in responses] == [403, 403, 403]
    session.expire_all()
    assert s["pending"].state == "pending" and s["run"].capacity == 1
    assert count(EnrollmentTransition) == before


def test_learner_cannot_open_review_pages(client, auth):
    auth.login(make_account().email)
    assert client.get("/partner/enrolments").status_code == 403
    assert client.get("/admin/enrolments").status_code == 403
    assert client.get("/admin/enrolments.csv").status_code == 403


def test_admin_raises_capacity_promotes_and_exports(client, auth, review_setup):
    s = review_setup
    auth.login(s["admin"].email)
    page = client.get("/admin/enrolments")
    assert page.status_code == 200
    csrf = token(client, "/admin/enrolments")
    too_low = client.post(
        f"/runs/{s['run'].uuid}/capacity", data={"csrf_token": csrf, "capacity": "-1"}
    )
    assert too_low.status_code == 400
    response = client.post(
        f"/runs/{s['run'].uuid}/capacity", data={"csrf_token": csrf, "capacity": "2"}
    )
    assert response.status_code == 302
    session.expire_all()
    assert s["run"].capacity == 2 and s["waiting"].state == "pending"
    export = client.get("/admin/enrolments.csv?state=pending&country=kr")
    assert export.status_code == 200 and export.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(export.get_data().decode("utf-8-sig"))))
    assert [r["enrolment"] for r in rows] == [str(s["waiting"].uuid)]
    assert client.get("/admin/enrolments?since=not-a-date").status_code == 400
    assert client.get("/admin/enrolments?state=bogus").status_code == 400


def test_admin_promotes_by_hand(client, auth):
    run = open_run(capacity=1)
    admin = make_account(is_admin=True)
    services.enroll(run, a := make_account(), actor=a)
    waiting = services.enroll(run, b := make_account(), actor=b)
    auth.login(admin.email)
    csrf = token(client, "/admin/enrolments")
    full = client.post(f"/enrolments/{waiting.uuid}/promote", data={"csrf_token": csrf})
    assert full.status_code == 409
    services.set_capacity(run, 2, actor=admin)  # promotes automatically
    session.expire_all()
    assert waiting.state == "enrolled"


def test_my_enrolments_page_issues_a_fixed_number_of_queries(client, auth, count_queries):
    learner = make_account()
    auth.login(learner.email)

    def add(n):
        for _ in range(n):
            run = open_run(capacity=0)
            services.enroll(run, learner, actor=learner)  # waitlisted: positions are computed
        session.commit()

    add(2)
    with count_queries() as few:
        assert client.get("/my/learning").status_code == 200
    add(8)
    with count_queries() as many:
        page = client.get("/my/learning").get_data(as_text=True)
    assert page.count("enrolment-item") == 10
    assert many.count == few.count


def test_review_link_in_the_partner_and_admin_areas_not_the_header(client, auth, review_setup):
    slug = review_setup["run"].course.institution.slug
    admin_email = review_setup["admin"].email
    auth.login(review_setup["manager"].email)
    dashboard = client.get(f"/partner/{slug}/").get_data(as_text=True)
    assert '<a href="/partner/enrolments">Review enrolments</a>' in dashboard
    assert "Review enrolments" not in client.get("/my/learning").get_data(as_text=True)
    auth.logout()
    auth.login(admin_email)
    queue = client.get("/admin/").get_data(as_text=True)
    assert '<a href="/admin/enrolments">Enrolments</a>' in queue
    assert '<a href="/admin/peers">Peer portals</a>' in queue
    assert "Review enrolments" not in client.get("/my/learning").get_data(as_text=True)
    auth.logout()
    auth.login(make_account().email)
    assert "Review enrolments" not in client.get("/my/learning").get_data(as_text=True)


def test_the_country_filter_is_a_menu_of_names_in_the_visitors_language(client, auth, review_setup):
    s = review_setup
    auth.login(s["manager"].email)
    text = client.get("/partner/enrolments?country=kr").get_data(as_text=True)
    menu = text[
        text.index('<select id="country"') : text.index("</select>", text.index('id="country"'))
    ]
    assert '<option value="">Any country</option>' in menu
    assert '<option selected value="KR">South Korea</option>' in menu
    names = re.findall(r'<option (?:selected )?value="[A-Z]{2}">([^<]+)</option>', menu)
    assert names == sorted(names, key=str.casefold) and "Germany" in names
    korean = client.get("/partner/enrolments", headers={"Accept-Language": "ko"})
    assert ">대한민국</option>" in korean.get_data(as_text=True)
