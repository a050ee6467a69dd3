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


def test_every_field_of_my_data_is_named_in_the_learners_language(client, auth):
    """Issue 12: My data and its download named its fields with raw English keys."""
    import html
    import re

    from flask_babel import force_locale

    from mooc_portal.privacy import export
    from mooc_portal.privacy.labels import DATA_LABELS, RECORD_CONTENTS

    learner = make_full_learner()
    learner.account.preferred_language = "fr"
    session.commit()
    document = export.personal_data(learner.account)

    def keys(value):
        if isinstance(value, dict):
            for key, item in value.items():
                yield key
                if key not in RECORD_CONTENTS:
                    yield from keys(item)
        elif isinstance(value, list):
            for item in value:
                yield from keys(item)

    unnamed = {k for k in keys(document) if k not in DATA_LABELS}
    assert not unnamed, f"fields of My data without a label: {sorted(unnamed)}"

    auth.login(EMAIL)
    with force_locale("fr"):
        french = {key: str(label) for key, label in DATA_LABELS.items()}
    assert french["preferred_language"] != "Preferred language"  # translated
    text = client.get("/account/my-data").get_data(as_text=True)
    shown = {html.unescape(dt) for dt in re.findall(r"<dt>([^<]*)</dt>", text)}
    # An audit entry's before and after are stored records: their own column names.
    recorded = {
        key
        for entry in document["audit_entries"]
        for side in RECORD_CONTENTS
        for key in (entry[side] or {})
    }
    assert f"<dt>{french['preferred_language']}</dt>" in text
    assert "preferred language" not in text and "name on certificate" not in text
    assert shown <= set(french.values()) | recorded
    download = client.get("/account/my-data.json").get_json()
    assert download["field_names"]["preferred_language"] == french["preferred_language"]
    assert download["account"]["preferred_language"] == "fr"  # the keys stay the format
