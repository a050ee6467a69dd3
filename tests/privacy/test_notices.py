"""The privacy notice: versions per language, shown at registration and after a new version."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from mooc_portal.accounts.models import Account
from mooc_portal.db import session
from mooc_portal.errors import InvalidInput, NotPermitted
from mooc_portal.privacy import notices
from mooc_portal.privacy.models import NoticeAcknowledgement
from tests.factories import make_account


def csrf(page: str, prefix: str = "") -> str:
    pattern = rf'name="{prefix}csrf_token" (?:type="hidden" )?value="([^"]+)"'
    return re.search(pattern, page).group(1)


def publish(version_text: str = "First words", admin=None):
    admin = admin or make_account(is_admin=True)
    return notices.publish_notice(
        {"en": f"## {version_text}", "ko": f"## {version_text} (한국어)"}, changes="", actor=admin
    )


def test_only_administrators_publish_and_the_default_language_is_needed(app):
    with pytest.raises(NotPermitted):
        notices.publish_notice({"en": "x", "ko": "y"}, changes="", actor=make_account())
    with pytest.raises(InvalidInput) as missing:
        notices.publish_notice({"ko": "y"}, changes="", actor=make_account(is_admin=True))
    assert missing.value.field == "body_en"
    assert [publish().version, publish("Second").version] == [1, 2]
    # The other interface languages are optional: English alone is a complete notice.
    english_only = notices.publish_notice(
        {"en": "x"}, changes="", actor=make_account(is_admin=True)
    )
    assert [text.language for text in english_only.texts] == ["en"]


def test_administrator_publishes_through_the_page(client, auth):
    admin = make_account(is_admin=True)
    session.commit()
    auth.login(admin.email)
    page = client.get("/admin/privacy/notice").get_data(as_text=True)
    empty = client.post("/admin/privacy/notice", data={"csrf_token": csrf(page), "body_ko": "안녕"})
    assert empty.status_code == 400 and "Write the notice at least in English" in empty.get_data(
        True
    )
    done = client.post(
        "/admin/privacy/notice",
        data={"csrf_token": csrf(page), "body_en": "Hello", "body_ko": "안녕", "changes": "New"},
    )
    assert done.status_code == 302
    assert notices.current_notice().version == 1
    learner = make_account()
    session.commit()
    auth.logout()
    auth.login(learner.email)
    assert client.get("/admin/privacy/notice").status_code == 403
    assert client.get("/admin/privacy").status_code == 403


def test_the_notice_page_in_each_language_with_the_settings(client, app):
    publish("Our promise")
    session.commit()
    english = client.get("/privacy").get_data(as_text=True)
    assert "Our promise" in english and "Version 1" in english
    assert app.config["MOOC_PRIVACY_CONTROLLER"] in english
    assert app.config["MOOC_PRIVACY_CONTACT"] in english
    assert "mooc_tz" in english and "365 days" in english  # cookies explained
    assert "30 days" in english  # log-in attempts, from MOOC_RETENTION_LOGIN_ATTEMPT_DAYS
    korean = client.get("/privacy", headers={"Accept-Language": "ko"}).get_data(as_text=True)
    assert "Our promise (한국어)" in korean
    # No Japanese text: a Japanese visitor reads the English one, marked as English.
    japanese = client.get("/privacy", headers={"Accept-Language": "ja"}).get_data(as_text=True)
    assert '<html lang="ja">' in japanese
    assert re.search(r'<div class="notice-body" lang="en">\s*<h\d[^>]*>Our promise<', japanese)


def test_a_language_without_text_reads_the_default_language_publishing_requires(
    client, app, monkeypatch
):
    """One rule: the language publishing requires is the one a missing translation falls back
    to, whatever the portal's default language is (here French, with an English text too)."""
    monkeypatch.setitem(app.config, "MOOC_DEFAULT_LANGUAGE", "fr")
    admin = make_account(is_admin=True)
    with pytest.raises(InvalidInput) as missing:
        notices.publish_notice({"en": "## Our promise"}, changes="", actor=admin)
    assert missing.value.field == "body_fr"
    notices.publish_notice(
        {"en": "## Our promise", "fr": "## Notre promesse"}, changes="", actor=admin
    )
    session.commit()
    japanese = client.get("/privacy", headers={"Accept-Language": "ja"}).get_data(as_text=True)
    assert re.search(r'<div class="notice-body" lang="fr">\s*<h\d[^>]*>Notre promesse<', japanese)


def test_registration_records_the_version_shown(client, auth):
    publish()
    session.commit()
    page = client.get("/account/register").get_data(as_text=True)
    assert 'name="privacy_notice_version" value="1"' in page
    response = client.post(
        "/account/register",
        data={
            "csrf_token": csrf(page),
            "display_name": "New Learner",
            "email": "new@example.org",
            "password": "a long enough password",
            "confirm": "a long enough password",
            "preferred_language": "en",
            "privacy_notice_version": "1",
        },
    )
    assert response.status_code == 302
    account = session.scalar(select(Account).where(Account.email == "new@example.org"))
    shown = session.scalars(
        select(NoticeAcknowledgement).where(NoticeAcknowledgement.account_id == account.id)
    ).all()
    assert [(a.notice.version, a.context) for a in shown] == [(1, "registration")]
    # Registration no longer logs in (the address is confirmed first): the first log-in asks
    # nothing more to acknowledge.
    auth.login("new@example.org", "a long enough password")
    assert client.get("/my/learning").status_code == 200


def test_a_new_version_is_shown_at_the_next_login_and_acknowledged(client, auth):
    learner = make_account()
    first = publish()
    notices.acknowledge(learner, first, language="en", context="registration")
    session.commit()
    auth.login(learner.email)
    assert client.get("/my/learning").status_code == 200
    publish("Second version words")
    session.commit()
    # Not in the middle of a session: at the next log-in.
    assert client.get("/my/learning").status_code == 200
    auth.logout()
    auth.login(learner.email)
    response = client.get("/my/learning")
    assert response.status_code == 302
    assert response.location.startswith("/privacy/acknowledge?next=")
    page = client.get(response.location).get_data(as_text=True)
    assert "Second version words" in page and "has changed" in page
    done = client.post(
        "/privacy/acknowledge", data={"csrf_token": csrf(page), "next": "/my/learning"}
    )
    assert done.status_code == 302 and done.location == "/my/learning"
    assert notices.acknowledged_version(learner) == 2
    assert client.get("/my/learning").status_code == 200
    auth.logout()
    auth.login(learner.email)
    assert client.get("/my/learning").status_code == 200
