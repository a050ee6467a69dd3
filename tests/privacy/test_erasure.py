"""Deleting an account: nothing names the learner afterwards, figures and kept certificates stay."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import func, select

import mooc_portal.models  # noqa: F401
from mooc_portal.accounts.models import PLACEHOLDER_NAMES, Account
from mooc_portal.certificates.models import Certificate
from mooc_portal.db import Base, session
from mooc_portal.enrollment import services as enrolment
from mooc_portal.enrollment.models import Enrollment
from mooc_portal.errors import InvalidInput, NotPermitted
from mooc_portal.privacy import erasure
from mooc_portal.privacy.models import PrivacyRequest
from mooc_portal.privacy.registry import ACCOUNT_TABLE
from mooc_portal.progress import services as progress
from tests.factories import make_account
from tests.privacy.conftest import make_full_learner


def every_value() -> list[tuple[str, str, str]]:
    """(table, column, value as text) for every non-empty value in the database."""
    found = []
    for table in Base.metadata.sorted_tables:
        for row in session.execute(select(table)).mappings():
            for column, value in row.items():
                if value is not None:
                    found.append((table.name, column, str(value)))
    return found


def figures(run) -> dict[str, Any]:
    report = progress.run_progress(run, actor=make_account(is_admin=True), scope="admin")
    return {
        "counts": enrolment.run_figures([run])[run.id].counts,
        "enrolled": report.enrolled,
        "completed": report.completed,
        "average": report.average_progress,
        "rate": report.completion_rate,
    }


@pytest.mark.parametrize("certificates", ["keep", "revoke"])
def test_after_erasure_no_table_names_the_learner(app, certificates):
    learner = make_full_learner()
    values = learner.values
    code = learner.certificate.code
    erasure.erase_account(
        learner.account, keep_certificates=certificates == "keep", channel="self-service"
    )
    session.commit()
    secrets = {
        "e-mail": values["email"],
        "name": values["name"],
        "account id": str(values["uuid"]),
        "account id (hex)": values["uuid"].hex,
    }
    for table, column, text in every_value():
        for what, secret in secrets.items():
            if what == "name" and certificates == "keep" and table == "mooc_certificate":
                continue  # the learner chose to keep the certificate under their name
            assert secret not in text, f"{table}.{column} still holds the learner's {what}"
    # The number that identified the account is gone from every reference to accounts.
    assert session.get(Account, values["id"]) is None
    for table in Base.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table.name == ACCOUNT_TABLE:
                column = table.c[fk.parent.name]
                held = session.scalar(
                    select(func.count()).select_from(table).where(column == values["id"])
                )
                assert held == 0, f"{table.name}.{column.name} still refers to the account"
    kept = session.scalar(select(Certificate).where(Certificate.code == code))
    assert (kept.learner_name == values["name"]) is (certificates == "keep")


def test_partner_figures_stay_right(app):
    learner = make_full_learner()
    runs = [learner.completed.run, learner.rejected.run]
    before = [figures(run) for run in runs]
    erasure.erase_account(learner.account, keep_certificates=False, channel="self-service")
    session.commit()
    assert [figures(run) for run in runs] == before
    placeholder = session.get(Enrollment, learner.completed.id).account
    assert placeholder.display_name == erasure.ERASED_NAME
    assert placeholder.email.endswith("@erased.invalid") and not placeholder.active


def test_a_kept_certificate_still_verifies_under_the_name(client):
    learner = make_full_learner()
    code, name = learner.certificate.code, learner.values["name"]
    badge_before = client.get(f"/certificates/{code}.json").get_json()
    erasure.erase_account(learner.account, keep_certificates=True, channel="self-service")
    session.commit()
    page = client.get(f"/certificates/{code}").get_data(as_text=True)
    assert "This certificate is valid." in page and name in page
    badge = client.get(f"/certificates/{code}.json").get_json()
    identity = badge["credentialSubject"]["identifier"][0]
    assert identity == badge_before["credentialSubject"]["identifier"][0]
    assert learner.values["email"] not in str(badge)


def test_a_revoked_certificate_says_why_without_naming(client):
    learner = make_full_learner()
    code, name = learner.certificate.code, learner.values["name"]
    erasure.erase_account(learner.account, keep_certificates=False, channel="self-service")
    session.commit()
    page = client.get(f"/certificates/{code}").get_data(as_text=True)
    assert "request, when they deleted their account" in page
    assert name not in page
    assert client.get(f"/certificates/{code}.json").status_code == 410


def test_pending_and_waitlisted_enrolments_are_withdrawn(app):
    learner = make_full_learner()
    run = learner.completed.run.__class__  # noqa: F841  (keeps the import list honest)
    from datetime import timedelta

    from mooc_portal.db import utcnow
    from tests.factories import make_course, make_run

    full = make_run(make_course(), capacity=0, enrollment_start_at=utcnow() - timedelta(days=1))
    waiting = enrolment.enroll(full, learner.account, actor=learner.account)
    erasure.erase_account(learner.account, keep_certificates=False, channel="self-service")
    assert session.get(Enrollment, waiting.id).state == "withdrawn"


def test_the_request_log_shows_the_erasure_without_the_person(app):
    learner = make_full_learner()
    request = erasure.erase_account(learner.account, keep_certificates=True, channel="self-service")
    assert request.kind == "erasure" and request.completed_at is not None
    requests = session.scalars(
        select(PrivacyRequest).where(PrivacyRequest.account_id == request.account_id)
    ).all()
    # The earlier access request moved to the pseudonym with the erasure.
    assert sorted(r.kind for r in requests) == ["access", "erasure"]


def test_deleting_needs_the_password_and_refuses_the_last_administrator(app):
    learner = make_account()
    with pytest.raises(InvalidInput) as wrong:
        erasure.delete_own_account(
            learner, password="wrong password", certificates="keep", actor=learner
        )
    assert wrong.value.field == "password"
    with pytest.raises(NotPermitted):
        erasure.delete_own_account(
            learner, password="correct horse battery", certificates="keep", actor=make_account()
        )
    only_admin = make_account(is_admin=True)
    session.execute(
        Account.__table__.update().where(Account.id != only_admin.id).values(is_admin=False)
    )
    with pytest.raises(NotPermitted, match="last administrator"):
        erasure.delete_own_account(
            only_admin, password="correct horse battery", certificates="keep", actor=only_admin
        )
    assert session.get(Account, learner.id) is not None


def csrf(page: str) -> str:
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)


def test_delete_my_account_through_the_pages(client, auth):
    learner = make_account("leaving@example.org", display_name="Leaving Learner")
    session.commit()
    auth.login(learner.email)
    page = client.get("/account/delete").get_data(as_text=True)
    wrong = client.post(
        "/account/delete",
        data={
            "csrf_token": csrf(page),
            "password": "nope",
            "certificates": "revoke",
            "confirm": "y",
        },
    )
    assert wrong.status_code == 400 and "Your password is not correct." in wrong.get_data(True)
    unconfirmed = client.post(
        "/account/delete",
        data={
            "csrf_token": csrf(page),
            "password": "correct horse battery",
            "certificates": "revoke",
        },
    )
    assert unconfirmed.status_code == 400
    assert session.scalar(select(Account).where(Account.email == "leaving@example.org"))
    done = client.post(
        "/account/delete",
        data={
            "csrf_token": csrf(page),
            "password": "correct horse battery",
            "certificates": "revoke",
            "confirm": "y",
        },
    )
    assert done.status_code == 302
    assert session.scalar(select(Account).where(Account.email == "leaving@example.org")) is None
    assert client.get("/account/").status_code == 302  # logged out
    assert auth.login("leaving@example.org").status_code == 200  # no such account any more


def test_the_command_erases_on_a_request_received_by_mail(app, runner):
    make_full_learner()
    session.commit()
    result = runner.invoke(
        args=["portal", "erase-account", "erika.privatova@example.org", "--certificates", "keep"],
        input="y\n",
    )
    assert result.exit_code == 0, result.output
    assert "logged as request" in result.output
    gone = session.scalar(select(Account).where(Account.email == "erika.privatova@example.org"))
    assert gone is None
    request = session.scalars(select(PrivacyRequest).where(PrivacyRequest.kind == "erasure")).one()
    assert request.channel == "administrator"


def test_an_erased_learner_is_named_in_the_viewers_language(client, auth):
    """Issue 12: erased learners showed as "Erased learner" in English in enrolment lists."""
    from flask_babel import force_locale

    from tests.factories import make_institution
    from tests.progress.conftest import build_space, enrol

    institution = make_institution()
    manager = make_account(memberships={institution: "manager"})
    run = build_space(institution=institution).run
    enrollment = enrol(run)
    # What erasure does to the enrolment: it moves to a placeholder that names nobody.
    enrollment.account = erasure.new_placeholder("erasure")
    session.commit()
    with force_locale("ko"):
        korean = str(PLACEHOLDER_NAMES["erasure"])
    assert korean != erasure.ERASED_NAME
    auth.login(manager.email)
    review = client.get(
        "/partner/enrolments",
        query_string={"run": str(run.uuid)},
        headers={"Accept-Language": "ko"},
    ).get_data(as_text=True)
    assert korean in review and erasure.ERASED_NAME not in review
