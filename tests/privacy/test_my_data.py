"""My data: the readable page and the JSON download; the access request is logged."""

from __future__ import annotations

from click.testing import Result
from sqlalchemy import select

from mooc_portal.db import session
from mooc_portal.privacy.models import PrivacyRequest
from tests.privacy.conftest import EMAIL, NAME, make_full_learner


def test_page_and_download(client, auth):
    learner = make_full_learner()
    session.commit()
    auth.login(EMAIL)
    page = client.get("/account/my-data")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    text = page.get_data(as_text=True)
    # (the successful log-in cleared the failed attempts)
    assert NAME in text and learner.certificate.code in text and "Log-in history" in text
    download = client.get("/account/my-data.json")
    assert download.status_code == 200 and download.mimetype == "application/json"
    assert "attachment" in download.headers["Content-Disposition"]
    document = download.get_json()
    assert document["account"]["email"] == EMAIL
    assert len(document["enrolments"]) == 2
    kinds = session.scalars(
        select(PrivacyRequest.kind).where(PrivacyRequest.account_id == learner.account.id)
    ).all()
    # The learner's own request and prepared file (make_full_learner), and this download.
    assert kinds == ["access", "access", "access"]


def test_my_data_needs_a_login(client):
    assert client.get("/account/my-data.json").status_code == 302


def test_command_writes_the_same_document(app, runner, tmp_path):
    make_full_learner()
    session.commit()
    target = tmp_path / "data.json"
    result: Result = runner.invoke(
        args=["portal", "export-personal-data", EMAIL, "-o", str(target)]
    )
    assert result.exit_code == 0, result.output
    assert EMAIL in target.read_text()
    missing = runner.invoke(args=["portal", "export-personal-data", "nobody@example.org"])
    assert missing.exit_code != 0 and "No account" in missing.output
