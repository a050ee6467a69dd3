"""My data of a large account, built by a background job: asked for, built, the learner told
by mail and on the page, downloaded only by them while signed in, expired and removed."""

from __future__ import annotations

import gzip
import json
from datetime import timedelta

from sqlalchemy import select

from mooc_portal.db import session, utcnow
from mooc_portal.privacy.downloads import open_data_download
from mooc_portal.privacy.models import DataDownload, PrivacyRequest
from mooc_portal.privacy.retention import apply_retention
from mooc_portal.signals import mail_sent
from tests.factories import make_account
from tests.privacy.conftest import EMAIL, make_full_learner


def prepare(client, auth):
    token = auth.csrf_token("/account/my-data")
    return client.post("/account/my-data/prepare", data={"csrf_token": token})


def test_a_large_accounts_data_is_built_in_the_background_and_mailed(
    app, client, auth, monkeypatch
):
    monkeypatch.setitem(app.config, "MOOC_DATA_DOWNLOAD_INLINE_ROWS", 1)
    learner = make_full_learner()
    session.commit()
    auth.login(EMAIL)
    page = client.get("/account/my-data").get_data(as_text=True)
    assert "prepares the file" in page
    assert learner.certificate.code not in page  # not gathered while the request waits
    assert client.get("/account/my-data.json").status_code == 302

    sent = []
    with mail_sent.connected_to(lambda sender, message: sent.append(message), app):
        response = prepare(client, auth)
    assert response.status_code == 302
    # Without a queue the job ran after the commit, in this process; the mail went through
    # the outbox.
    [message] = sent
    assert message["To"] == EMAIL
    assert message["Subject"] == "Your data is ready to download"
    assert "http://localhost/account/my-data" in message.get_content()

    page = client.get("/account/my-data").get_data(as_text=True)
    assert "Your file is ready" in page
    [link] = [
        part.split('"')[0] for part in page.split('href="') if part.startswith("/account/my-data/")
    ]
    download = client.get(link)
    assert download.status_code == 200
    assert download.headers["Cache-Control"] == "no-store"
    assert "attachment" in download.headers["Content-Disposition"]
    document = download.get_json()
    assert document["account"]["email"] == EMAIL
    assert learner.certificate.code in json.dumps(document)
    stored = session.scalar(select(DataDownload).where(DataDownload.token == link[17:-5]))
    assert stored.downloaded_at is not None
    assert (
        "access"
        in session.scalars(
            select(PrivacyRequest.kind).where(PrivacyRequest.account_id == learner.account.id)
        ).all()
    )


def test_only_the_learner_signed_in_downloads_it(app, client, auth, monkeypatch):
    monkeypatch.setitem(app.config, "MOOC_DATA_DOWNLOAD_INLINE_ROWS", -1)
    make_account(EMAIL)
    make_account("other@example.org")
    session.commit()
    auth.login(EMAIL)
    prepare(client, auth)
    token = session.scalar(select(DataDownload.token))
    url = f"/account/my-data/{token}.json"
    assert client.get(url).status_code == 200
    auth.logout()
    assert client.get(url).status_code == 302  # to the log-in page
    auth.login("other@example.org")
    assert client.get(url).status_code == 404
    assert client.get("/account/my-data/not-a-token.json").status_code == 404


def test_a_second_request_while_one_is_prepared_is_the_same(app, client, auth, monkeypatch):
    from mooc_portal.privacy.downloads import request_data_download

    account = make_account(EMAIL)
    first = request_data_download(account)
    assert request_data_download(account) is first
    session.rollback()
    assert session.scalar(select(DataDownload)) is None  # the request and its job go together


def test_it_expires_and_retention_removes_it(app, client, auth, monkeypatch):
    monkeypatch.setitem(app.config, "MOOC_DATA_DOWNLOAD_INLINE_ROWS", -1)
    account = make_account(EMAIL)
    session.commit()
    auth.login(EMAIL)
    prepare(client, auth)
    download = session.scalar(select(DataDownload))
    days = app.config["MOOC_DATA_DOWNLOAD_DAYS"]
    assert download.expires_at - download.ready_at == timedelta(days=days)
    later = download.expires_at + timedelta(seconds=1)
    document = gzip.decompress(open_data_download(account, download.token, now=utcnow()))
    assert EMAIL in document.decode()
    import pytest

    from mooc_portal.errors import NotFound

    with pytest.raises(NotFound):
        open_data_download(account, download.token, now=later)
    assert apply_retention(now=later).data_downloads == 1
    session.commit()
    assert session.scalar(select(DataDownload)) is None
    assert "Prepare a new file of my data" in client.get("/account/my-data").get_data(as_text=True)
