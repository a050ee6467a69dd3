"""The signed credential, the issuer's DID document, revocation status lists, the PDF."""

from __future__ import annotations

import base64
import gzip
import io
import re
from datetime import timedelta

from pypdf import PdfReader

from mooc_portal.certificates import issuer, services, signing
from mooc_portal.certificates.models import Certificate
from mooc_portal.db import session, utcnow
from mooc_portal.enrollment import services as enrolment
from mooc_portal.signals import mail_sent
from mooc_portal.urls import external_url
from tests.factories import make_account, make_course, make_run


def issued(title: str = "Ocean Science", learner_name: str = "Min-ji Park") -> Certificate:
    course = make_course(credential="certificate", title=title)
    run = make_run(course, enrollment_start_at=utcnow() - timedelta(days=1))
    learner = make_account(display_name=learner_name)
    enrollment = enrolment.enroll(run, learner, actor=learner)
    enrolment.complete(enrollment)
    session.commit()
    return session.query(Certificate).filter_by(learner_name=learner_name).one()


def bits(status_list: dict) -> bytes:
    encoded = status_list["credentialSubject"]["encodedList"]
    assert encoded.startswith("u")
    data = encoded[1:]
    return gzip.decompress(base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)))


def bit(raw: bytes, index: int) -> bool:
    return bool(raw[index // 8] & (0x80 >> (index % 8)))


def test_the_credential_is_signed_by_the_did_web_key_it_names(client, app):
    certificate = issued()
    badge = client.get(f"/certificates/{certificate.code}.json").get_json()
    proof = badge["proof"]
    assert proof["type"] == "DataIntegrityProof" and proof["cryptosuite"] == "eddsa-rdfc-2022"
    assert proof["proofPurpose"] == "assertionMethod" and proof["proofValue"].startswith("z")
    did_doc = client.get("/.well-known/did.json")
    assert did_doc.mimetype == "application/did+json"
    document = did_doc.get_json()
    assert document["id"] == badge["issuer"]["id"] == "did:web:localhost"
    assert proof["verificationMethod"] in document["assertionMethod"]
    method = next(
        m for m in document["verificationMethod"] if m["id"] == proof["verificationMethod"]
    )
    assert method["type"] == "Multikey" and method["publicKeyMultibase"].startswith("z6Mk")
    key = signing.public_key_from_multibase(method["publicKeyMultibase"])
    assert signing.verify_proof(badge, key) is True
    assert services.verify_credential(badge) is True
    badge["credentialSubject"]["achievement"]["name"] = "Rocket Science"
    assert services.verify_credential(badge) is False
    # Served again, the credential is the same document (deterministic Ed25519, fixed dates).
    again = client.get(f"/certificates/{certificate.code}.json").get_json()
    assert again["proof"] == proof


def test_retired_keys_stay_in_the_did_document(client, app, monkeypatch):
    old = signing.public_key_multibase(
        signing.public_key_from_multibase("z6MkfcHmmmK5EXJEaTKa1nbACTiCEeAhmZCeuPqD7FZm2GDY")
    )
    monkeypatch.setitem(app.config, "MOOC_CREDENTIAL_RETIRED_KEYS", [old])
    document = client.get("/.well-known/did.json").get_json()
    keys = [m["publicKeyMultibase"] for m in document["verificationMethod"]]
    assert len(keys) == 2 and keys[1] == old
    assert f"did:web:localhost#{old}" in document["assertionMethod"]


def test_did_web_encodes_the_port_and_path_of_the_public_url(app, monkeypatch):
    monkeypatch.setitem(app.config, "MOOC_PUBLIC_URL", "https://example.org:8443/mooc/")
    with app.test_request_context("/"):
        assert issuer.did() == "did:web:example.org%3A8443:mooc"
        assert issuer.did_document_path() == "/did.json"
        url = external_url("portal.certificates.certificate_badge", code="abc")
        assert url == "https://example.org:8443/mooc/certificates/abc.json"
    monkeypatch.setitem(app.config, "MOOC_PUBLIC_URL", "https://mooc.example.org")
    with app.test_request_context("/", base_url="http://evil.example"):
        assert issuer.did() == "did:web:mooc.example.org"
        assert issuer.did_document_path() == "/.well-known/did.json"


def test_the_status_list_sets_the_bit_of_a_revoked_certificate(client, app):
    kept = issued("Ocean Science", "Min-ji Park")
    revoked = issued("Sea Birds", "Jae-won Kim")
    entry = client.get(f"/certificates/{revoked.code}.json").get_json()["credentialStatus"]
    assert entry["type"] == "BitstringStatusListEntry" and entry["statusPurpose"] == "revocation"
    list_url = entry["statusListCredential"]
    path = list_url.removeprefix("http://localhost")
    before = client.get(path)
    assert before.mimetype == "application/vc+ld+json"
    assert not bit(bits(before.get_json()), int(entry["statusListIndex"]))
    services.revoke_certificate(revoked, "Plagiarism", actor=make_account(is_admin=True))
    session.commit()
    status_list = client.get(path).get_json()
    raw = bits(status_list)
    assert len(raw) >= 16 * 1024
    assert bit(raw, int(entry["statusListIndex"]))
    assert not bit(raw, kept.status_list_index)
    assert status_list["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert status_list["id"] == list_url
    assert status_list["credentialSubject"]["statusPurpose"] == "revocation"
    assert services.verify_credential(status_list) is True
    assert client.get("/certificates/status/0").status_code == 404


def test_the_reason_is_private_unless_the_admin_makes_it_public_and_the_learner_is_told(
    client, auth
):
    certificate = issued()
    admin = make_account(is_admin=True)
    session.commit()
    auth.login(admin.email)
    path = f"/certificates/{certificate.code}"
    page = client.get(path).text
    assert "Show the reason publicly" in page
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    sent = []
    with mail_sent.connected_to(lambda sender, message: sent.append(message)):
        response = client.post(
            f"{path}/revoke", data={"csrf_token": token, "reason": "Copied the final essay"}
        )
    assert response.status_code == 302
    assert [m["To"] for m in sent] == [certificate.enrollment.account.email]
    assert "Copied the final essay" in sent[0].get_content()
    assert "Ocean Science" in sent[0]["Subject"]
    assert "(shown to administrators only)" in client.get(path).text
    auth.logout()
    public = client.get(path).text
    assert "was revoked on" in public and "Copied the final essay" not in public
    gone = client.get(f"{path}.json")
    assert gone.status_code == 410 and "revocationReason" not in gone.get_json()


def test_a_public_reason_is_shown_to_everyone(client, auth):
    certificate = issued()
    admin = make_account(is_admin=True)
    session.commit()
    auth.login(admin.email)
    path = f"/certificates/{certificate.code}"
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get(path).text)
    client.post(
        f"{path}/revoke",
        data={"csrf_token": token.group(1), "reason": "Identity fraud", "reason_public": "y"},
    )
    auth.logout()
    assert "Identity fraud" in client.get(path).text
    assert client.get(f"{path}.json").get_json()["revocationReason"] == "Identity fraud"


def test_the_page_offers_the_pdf_the_signed_file_and_linkedin(client):
    certificate = issued("해양 과학", "박민지")
    page = client.get(f"/certificates/{certificate.code}").text
    assert f'/certificates/{certificate.code}.pdf"' in page
    assert f'/certificates/{certificate.code}/download"' in page
    linkedin = re.search(r'href="(https://www.linkedin.com/profile/add\?[^"]+)"', page).group(1)
    assert "startTask=CERTIFICATION_NAME" in linkedin
    assert f"certId={certificate.code}" in linkedin
    assert "name=%ED%95%B4%EC%96%91" in linkedin  # the course title, URL-encoded
    download = client.get(f"/certificates/{certificate.code}/download")
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert services.verify_credential(download.get_json()) is True
    pdf = client.get(f"/certificates/{certificate.code}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(pdf.data))
    # pypdf reads fpdf2's embedded CMap encoding as two-byte codes with a NUL first.
    text = reader.pages[0].extract_text().replace("\x00", "")
    assert "박민지" in text and "해양 과학" in text
    assert f"http://localhost/certificates/{certificate.code}" in text.replace("\n", "")
    assert len(reader.pages[0].images) == 1  # the QR code of that address


def test_an_institution_page_answers_json_with_its_profile(client):
    certificate = issued()
    badge = client.get(f"/certificates/{certificate.code}.json").get_json()
    creator = badge["credentialSubject"]["achievement"]["creator"]
    path = creator["id"].removeprefix("http://localhost")
    profile = client.get(path, headers={"Accept": "application/ld+json"})
    assert profile.mimetype == "application/ld+json"
    assert profile.get_json()["id"] == creator["id"]
    assert profile.get_json()["type"] == ["Profile"]
    assert profile.get_json()["name"] == creator["name"]
    html = client.get(path, headers={"Accept": "text/html,application/xhtml+xml"})
    assert html.mimetype == "text/html" and "Accept" in html.headers["Vary"]


def test_the_issuers_address_answers_json_with_its_profile(client):
    """The credential's ``issuer``: its ``id`` is the portal's did:web (the DID document holds
    the keys), its ``url`` the home page, which answers the issuer Profile as JSON."""
    certificate = issued()
    issuer_ = client.get(f"/certificates/{certificate.code}.json").get_json()["issuer"]
    path = issuer_["url"].removeprefix("http://localhost")
    profile = client.get(path, headers={"Accept": "application/ld+json"})
    assert profile.mimetype == "application/ld+json" and "Accept" in profile.headers["Vary"]
    assert {k: profile.get_json()[k] for k in issuer_} == issuer_
    did = client.get("/.well-known/did.json").get_json()
    assert did["id"] == issuer_["id"]
    html = client.get(path, headers={"Accept": "text/html,application/xhtml+xml"})
    assert html.mimetype == "text/html" and "Accept" in html.headers["Vary"]


def test_the_pdf_speaks_the_visitors_language_in_its_own_script(client):
    """Issue 14: a Thai or Vietnamese visitor's PDF is printed in their language, with a font
    that has its letters (not boxes or question marks)."""
    for language, label, name in (
        ("th", "ประกาศนียบัตรการเรียนจบ", "สมชาย วงศ์สกุล"),
        ("vi", "Chứng chỉ hoàn thành", "Nguyễn Thị Lan"),
    ):
        certificate = issued("Ocean Science", name)
        pdf = client.get(
            f"/certificates/{certificate.code}.pdf", headers={"Accept-Language": language}
        )
        assert pdf.status_code == 200
        text = PdfReader(io.BytesIO(pdf.data)).pages[0].extract_text().replace("\x00", "")
        assert name in text and label in text, (language, text)


def test_without_unicode_fonts_the_pdf_is_still_made(client, monkeypatch):
    from mooc_portal.certificates import pdf as certificate_pdf

    monkeypatch.setattr(certificate_pdf, "CJK_FONTS", (("/nonexistent/font.ttc", 0),))
    monkeypatch.setattr(certificate_pdf, "LATIN_FONTS", ())
    certificate = issued("Ocean Science", "박민지")
    response = client.get(f"/certificates/{certificate.code}.pdf")
    assert response.status_code == 200
    text = PdfReader(io.BytesIO(response.data)).pages[0].extract_text()
    assert "Ocean Science" in text and certificate.code in text.replace("\n", "")
