"""Issue 12, defect 7: an institution's name in every language is editable, and every page,
mail and new credential names it in the reader's language, else English, else the original."""

from __future__ import annotations

import io
import json
import re
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from mooc_portal.accounts.models import Account
from mooc_portal.audit.models import AuditEntry
from mooc_portal.catalog.models import CourseSearchDocument
from mooc_portal.certificates import services as certificates
from mooc_portal.certificates.models import Certificate
from mooc_portal.db import session, utcnow
from mooc_portal.enrollment import services as enrolment
from mooc_portal.publishing import staff
from tests.factories import make_account, make_course, make_institution, make_run

KOREAN = "경인열린대학교"
ENGLISH = "Gyeongin Open University"


@pytest.fixture
def gyeongin(db_session):
    """A Korean institution known only by its Korean name, with a manager and a course."""
    institution = make_institution(
        KOREAN, slug="gyeongin", original_language="ko", names={"ko": KOREAN}
    )
    manager = make_account("manager@gyeongin.example", memberships={institution: "manager"})
    course = make_course(
        "경영학 입문",
        institution=institution,
        original_language="ko",
        slug="business",
        credential="certificate",
    )
    run = make_run(course, enrollment_start_at=utcnow() - timedelta(days=1))
    return {"institution": institution, "manager": manager, "course": course, "run": run}


def complete_course(run, name: str) -> Certificate:
    learner = make_account(display_name=name)
    enrolment.complete(enrolment.enroll(run, learner, actor=learner))
    session.commit()
    return session.scalar(select(Certificate).where(Certificate.learner_name == name))


def post(client, auth, url: str, **data: str):
    return client.post(url, data={"csrf_token": auth.csrf_token(url), **data})


def test_managers_add_edit_and_remove_the_institutions_name_per_language(
    client, auth, gyeongin, db_session
):
    institution = gyeongin["institution"]
    auth.login(gyeongin["manager"].email)
    profile = client.get("/partner/gyeongin/profile").get_data(as_text=True)
    assert "Names in other languages" in profile
    assert 'href="/partner/gyeongin/names/new"' in profile

    # Checked at the field: a name is required, a short name is short, the language is one.
    empty = post(client, auth, "/partner/gyeongin/names/new", language="en", name="")
    assert empty.status_code == 400 and 'id="name-error"' in empty.get_data(as_text=True)
    long = post(
        client,
        auth,
        "/partner/gyeongin/names/new",
        language="en",
        name=ENGLISH,
        short_name="G" * 41,
    )
    assert long.status_code == 400 and 'id="short_name-error"' in long.get_data(as_text=True)
    bad = post(client, auth, "/partner/gyeongin/names/new", language="no such", name=ENGLISH)
    assert bad.status_code == 400 and 'id="language-error"' in bad.get_data(as_text=True)
    assert institution.text("name", "en").text == KOREAN

    added = post(
        client, auth, "/partner/gyeongin/names/new", language="en", name=ENGLISH, short_name="GOU"
    )
    assert added.status_code == 302 and added.location.endswith("/partner/gyeongin/profile")
    assert institution.text("name", "en").text == ENGLISH
    assert institution.text("name", "ko").text == KOREAN
    again = post(client, auth, "/partner/gyeongin/names/new", language="en", name="Other")
    assert again.status_code == 400 and 'id="language-error"' in again.get_data(as_text=True)
    listed = client.get("/partner/gyeongin/profile").get_data(as_text=True)
    assert f'<td lang="en">{ENGLISH}</td>' in listed
    audit = db_session.scalars(
        select(AuditEntry).where(AuditEntry.entity == "institution").order_by(AuditEntry.id)
    ).all()[-1]
    assert audit.after["name[en]"] == ENGLISH and "name[en]" not in audit.before
    # The search document carries the new name: the course is found by it.
    document = session.get(CourseSearchDocument, gyeongin["course"].id)
    assert ENGLISH in document.document

    edited = post(client, auth, "/partner/gyeongin/names/en", name="Gyeongin Open Univ.")
    assert edited.status_code == 302
    assert institution.text("name", "en").text == "Gyeongin Open Univ."
    assert client.get("/partner/gyeongin/names/fr").status_code == 404

    # The original language's name stays (it is edited in the profile).
    kept = post(client, auth, "/partner/gyeongin/names/ko/delete")
    assert kept.status_code == 409
    assert institution.text("name", "ko").text == KOREAN
    removed = post(client, auth, "/partner/gyeongin/names/en/delete")
    assert removed.status_code == 302
    assert institution.text("name", "en").text == KOREAN
    assert "Gyeongin Open" not in session.get(CourseSearchDocument, gyeongin["course"].id).document
    assert (
        db_session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()))
        .first()
        .before["name[en]"]
        == "Gyeongin Open Univ."
    )


def test_administrators_edit_the_names_from_the_institutions_page(client, auth, gyeongin):
    admin = make_account(is_admin=True)
    auth.login(admin.email)
    page = client.get("/admin/institutions/gyeongin").get_data(as_text=True)
    assert 'href="/partner/gyeongin/names/new"' in page
    added = post(client, auth, "/partner/gyeongin/names/new", language="en", name=ENGLISH)
    assert added.status_code == 302 and added.location.endswith("/admin/institutions/gyeongin")
    assert f'<td lang="en">{ENGLISH}</td>' in client.get(added.location).get_data(as_text=True)


def test_editors_may_not_change_the_names(client, auth, gyeongin):
    editor = make_account(memberships={gyeongin["institution"]: "editor"})
    auth.login(editor.email)
    assert client.get("/partner/gyeongin/names/new").status_code == 403
    refused = post(client, auth, "/partner/gyeongin/names/new", language="en", name=ENGLISH)
    assert refused.status_code == 403
    assert gyeongin["institution"].text("name", "en").text == KOREAN


def test_certificates_name_the_institution_in_the_visitors_language_and_keep_their_credential(
    client, auth, gyeongin
):
    before = complete_course(gyeongin["run"], "Min-ji Park")
    assert before.institution_name == KOREAN  # no English name when it was issued
    credential = client.get(f"/certificates/{before.code}.json").get_data(as_text=True)

    staff.save_institution_name(
        gyeongin["manager"],
        gyeongin["institution"],
        staff.InstitutionNameData(language="en", name=ENGLISH),
        new=True,
    )
    session.commit()
    page = client.get(f"/certificates/{before.code}", headers={"Accept-Language": "en"})
    assert f"offered by <span>{ENGLISH}</span>" in page.get_data(as_text=True)
    korean = client.get(f"/certificates/{before.code}", headers={"Accept-Language": "ko"})
    assert KOREAN in korean.get_data(as_text=True)
    assert ENGLISH not in korean.get_data(as_text=True)
    pdf = client.get(f"/certificates/{before.code}.pdf", headers={"Accept-Language": "en"})
    text = PdfReader(io.BytesIO(pdf.data)).pages[0].extract_text().replace("\x00", "")
    assert f"offered by {ENGLISH}" in text
    # The credential issued before is the same signed document, and still verifies.
    assert client.get(f"/certificates/{before.code}.json").get_data(as_text=True) == credential
    assert certificates.verify_credential(json.loads(credential)) is True

    after = complete_course(gyeongin["run"], "Jae-won Kim")
    badge = client.get(f"/certificates/{after.code}.json").get_json()
    assert badge["credentialSubject"]["achievement"]["creator"]["name"] == ENGLISH
    assert certificates.verify_credential(badge) is True
    creator = client.get("/institutions/gyeongin", headers={"Accept": "application/ld+json"})
    assert creator.get_json()["name"] == ENGLISH

    admin = make_account(is_admin=True)
    auth.login(admin.email)
    listing = client.get("/admin/certificates", headers={"Accept-Language": "en"})
    rows = listing.get_data(as_text=True).split("<tbody>")[1]
    assert rows.count(ENGLISH) == 2 and KOREAN not in rows


def test_the_invitation_speaks_the_invitees_language(client, auth, gyeongin, outbox):
    staff.save_institution_name(
        gyeongin["manager"],
        gyeongin["institution"],
        staff.InstitutionNameData(language="en", name=ENGLISH),
        new=True,
    )
    korean_reader = make_account("ko.reader@example.org", preferred_language="ko")
    auth.login(gyeongin["manager"].email)
    # The manager reads the portal in Korean; the new person has no language yet: English.
    for email in ("new.person@example.org", korean_reader.email):
        url = "/partner/gyeongin/staff"
        response = client.post(
            url,
            data={"csrf_token": auth.csrf_token(url), "email": email, "role": "editor"},
            headers={"Accept-Language": "ko"},
        )
        assert response.status_code == 302
    new, known = (m.get_content() for m in outbox)
    assert f"edit the courses of {ENGLISH}" in new and KOREAN not in new
    assert KOREAN in known and ENGLISH not in known
    assert outbox[1]["Subject"] != "Invitation to the ASEM MOOC Portal"
    link = re.search(r"https?://\S+/partner/invitation/\S+", new).group(0)
    auth.logout()
    page = client.get(link.split("localhost", 1)[1], headers={"Accept-Language": "en"})
    assert f"staff of {ENGLISH}." in page.get_data(as_text=True)
    invited = session.scalar(select(Account).where(Account.email == "new.person@example.org"))
    assert invited.preferred_language is None
