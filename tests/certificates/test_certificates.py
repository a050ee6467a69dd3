import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from mooc_portal.certificates import services
from mooc_portal.certificates.models import Certificate
from mooc_portal.db import session, utcnow
from mooc_portal.enrollment import services as enrolment
from mooc_portal.errors import InvalidInput, NotPermitted
from mooc_portal.jobs.models import OutboxJob
from mooc_portal.signals import certificate_issued
from tests.factories import make_account, make_course, make_run


def completed(credential="certificate"):
    course = make_course(credential=credential, title="Ocean Science")
    run = make_run(course, enrollment_start_at=utcnow() - timedelta(days=1))
    learner = make_account(display_name="Min-ji Park")
    enrollment = enrolment.enroll(run, learner, actor=learner)
    return enrollment


def test_completion_issues_one_certificate_with_an_unguessable_code(app):
    enrollment = completed()
    seen = []
    with certificate_issued.connected_to(lambda sender, certificate: seen.append(certificate)):
        enrolment.complete(enrollment)
    certificate = session.query(Certificate).one()
    assert seen == [certificate]
    assert certificate.learner_name == "Min-ji Park"
    assert certificate.course_title == "Ocean Science"
    assert len(certificate.code) >= 32 and re.fullmatch(r"[A-Za-z0-9_-]+", certificate.code)
    assert services.issue_certificate(enrollment) is certificate


def test_no_certificate_when_the_course_offers_none(app):
    enrollment = completed(credential="none")
    enrolment.complete(enrollment)
    assert session.query(Certificate).count() == 0


def test_public_page_and_open_badge(client):
    enrollment = completed()
    enrolment.complete(enrollment)
    certificate = session.query(Certificate).one()
    page = client.get(f"/certificates/{certificate.code}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "This certificate is valid." in text and "Min-ji Park" in text
    badge = client.get(f"/certificates/{certificate.code}.json").get_json()
    assert badge["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json" in badge["@context"]
    assert badge["name"] == "Ocean Science"
    assert badge["@context"] == [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ]
    assert badge["validFrom"].endswith("Z") and "issuanceDate" not in badge
    assert badge["credentialSubject"]["achievement"]["description"] == "A course for testing."
    achievement = badge["credentialSubject"]["achievement"]
    assert achievement["id"].endswith(f"/courses/{enrollment.run.course.slug}")
    creator = achievement["creator"]
    assert creator["id"].endswith(f"/institutions/{enrollment.run.course.institution.slug}")
    assert badge["issuer"]["id"] == "did:web:localhost"
    assert badge["id"] == f"http://localhost/certificates/{certificate.code}.json"
    assert badge["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    assert enrollment.account.email not in str(badge)
    assert client.get("/certificates/not-a-real-code").status_code == 404


def test_only_admins_revoke_with_a_reason(client, auth):
    enrollment = completed()
    enrolment.complete(enrollment)
    certificate = session.query(Certificate).one()
    with pytest.raises(NotPermitted):
        services.revoke_certificate(certificate, "fraud", actor=enrollment.account)
    admin = make_account(is_admin=True)
    with pytest.raises(InvalidInput):
        services.revoke_certificate(certificate, " ", actor=admin)
    session.commit()
    auth.login(admin.email)
    path = f"/certificates/{certificate.code}"
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get(path).text)
    response = client.post(f"{path}/revoke", data={"csrf_token": token.group(1), "reason": ""})
    assert response.status_code == 400
    response = client.post(
        f"{path}/revoke", data={"csrf_token": token.group(1), "reason": "Plagiarism"}
    )
    assert response.status_code == 302
    assert "was revoked on" in client.get(path).get_data(as_text=True)


def test_a_refused_revocation_stays_on_the_certificate_page(client, auth):
    """Issue 12, defect 5: a blank reason is shown at the field, and a certificate revoked
    meanwhile says so on its page (409), not on a bare error page."""
    enrollment = completed()
    enrolment.complete(enrollment)
    certificate = session.query(Certificate).one()
    admin = make_account(is_admin=True)
    session.commit()
    auth.login(admin.email)
    path = f"/certificates/{certificate.code}"
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get(path).text)
    blank = client.post(f"{path}/revoke", data={"csrf_token": token.group(1), "reason": "   "})
    assert blank.status_code == 400
    assert re.search(r'id="reason-error">[^<]*(reason|required)', blank.get_data(as_text=True))
    services.revoke_certificate(certificate, "Plagiarism", actor=admin)
    session.commit()
    again = client.post(f"{path}/revoke", data={"csrf_token": token.group(1), "reason": "Twice"})
    assert again.status_code == 409
    page = again.get_data(as_text=True)
    assert '<div class="form-errors" role="alert">' in page
    assert "This certificate is already revoked." in page and "was revoked on" in page


def test_the_credential_reads_the_same_in_every_interface_language(client):
    enrollment = completed()
    enrolment.complete(enrollment)
    certificate = session.query(Certificate).one()
    url = f"/certificates/{certificate.code}.json"
    english = client.get(url, headers={"Accept-Language": "en"}).get_json()
    korean = client.get(url, headers={"Accept-Language": "ko"}).get_json()
    assert korean == english
    achievement = english["credentialSubject"]["achievement"]
    assert achievement["criteria"]["narrative"] == "Completed every lesson of Ocean Science."


def test_a_korean_course_credential_is_written_in_korean_for_everyone(client):
    course = make_course(
        title="해양 과학",
        summary="바다를 배웁니다.",
        original_language="ko",
        credential="certificate",
    )
    run = make_run(course, enrollment_start_at=utcnow() - timedelta(days=1))
    learner = make_account()
    enrollment = enrolment.enroll(run, learner, actor=learner)
    enrolment.complete(enrollment)
    certificate = session.query(Certificate).one()
    badge = client.get(
        f"/certificates/{certificate.code}.json", headers={"Accept-Language": "en"}
    ).get_json()
    achievement = badge["credentialSubject"]["achievement"]
    assert achievement["name"] == "해양 과학" and achievement["description"] == "바다를 배웁니다."
    assert achievement["criteria"]["narrative"] == "해양 과학 강좌의 모든 레슨을 이수했습니다."


def test_a_revoked_certificate_has_no_credential(client):
    enrollment = completed()
    enrolment.complete(enrollment)
    certificate = session.query(Certificate).one()
    services.revoke_certificate(
        certificate, "Plagiarism", actor=make_account(is_admin=True), reason_public=True
    )
    session.commit()
    response = client.get(f"/certificates/{certificate.code}.json")
    assert response.status_code == 410
    body = response.get_json()
    assert body["revoked"] is True and body["revocationReason"] == "Plagiarism"
    assert body["revokedAt"].endswith("Z")
    assert "credentialSubject" not in body and "OpenBadgeCredential" not in str(body)
    page = client.get(f"/certificates/{certificate.code}").get_data(as_text=True)
    assert "was revoked on" in page
    assert f"{certificate.code}.json" not in page and "Open Badge" not in page


def test_in_production_the_mailed_link_is_on_the_public_site(app, monkeypatch):
    # Production answers only its public host (TRUSTED_HOSTS): the certificate's link used to
    # be built in a made-up "localhost" request, which that refused, and completing failed.
    monkeypatch.setitem(app.config, "MOOC_PUBLIC_URL", "https://mooc.example.org")
    monkeypatch.setitem(app.config, "TRUSTED_HOSTS", ["mooc.example.org"])
    enrollment = completed()
    enrolment.complete(enrollment)
    certificate = session.query(Certificate).one()
    mail = session.scalars(
        select(OutboxJob).where(OutboxJob.dedupe_key == f"mail:certificate:{certificate.id}")
    ).one()
    assert f"https://mooc.example.org/certificates/{certificate.code}" in mail.payload["body"]
