"""The password-reset mail through a real SMTP server, and the link it carries."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

from tests.accounts.conftest import link_in, token_from
from tests.factories import make_account

NEW_PASSWORD = "sunrise over the mekong"


class Inbox:
    """An aiosmtpd handler keeping every message it receives."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_inbox(app, monkeypatch) -> Iterator[Inbox]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, server_hostname="localhost")
    controller.start()
    monkeypatch.setitem(app.config, "MOOC_MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MOOC_MAIL_PORT", port)
    try:
        yield inbox
    finally:
        controller.stop()


def test_reset_mail_arrives_by_smtp_and_its_link_sets_a_new_password(
    app, client, auth, db_session, smtp_inbox
):
    make_account("mai@example.org", display_name="Mai Tran")
    token = token_from(client, "/account/password/forgot")
    response = client.post(
        "/account/password/forgot", data={"email": "mai@example.org", "csrf_token": token}
    )
    assert response.status_code == 302

    [message] = smtp_inbox.messages
    assert message["X-Envelope-To"] == "mai@example.org"
    assert message["Subject"] == "Reset your password"
    assert message["From"] == app.config["MOOC_MAIL_SENDER"]
    assert "Hello Mai Tran" in message.get_content()

    path = link_in(message)
    page = client.get(path)
    assert page.status_code == 200
    data = {
        "password": NEW_PASSWORD,
        "confirm": NEW_PASSWORD,
        "csrf_token": token_from(client, path),
    }
    assert client.post(path, data=data).status_code == 302

    assert auth.login("mai@example.org").status_code == 200  # the old password no longer works
    response = auth.login("mai@example.org", NEW_PASSWORD)
    assert response.status_code == 302
    assert "Mai Tran" in client.get("/account/").get_data(as_text=True)
