from __future__ import annotations

import re
from collections.abc import Iterator
from email.message import EmailMessage
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from mooc_portal.signals import mail_sent
from tests.conftest import AuthActions


@pytest.fixture
def outbox(app: Flask) -> Iterator[list[EmailMessage]]:
    """The messages the portal sends during the test (through the ``mail_sent`` signal)."""
    sent: list[EmailMessage] = []

    def record(sender: Flask, message: EmailMessage) -> None:
        sent.append(message)

    with mail_sent.connected_to(record, app):
        yield sent


def link_in(message: EmailMessage) -> str:
    """The path of the first link in a plain-text message."""
    body = message.get_content()
    match = re.search(r"https?://\S+", body)
    assert match, f"no link in {body!r}"
    parts = urlsplit(match.group(0))
    return parts.path


def token_from(client: FlaskClient, path: str) -> str:
    """The CSRF token of the form on ``path``."""
    return AuthActions(client).csrf_token(path)
