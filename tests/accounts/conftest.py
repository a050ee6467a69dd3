from __future__ import annotations

import re
from email.message import EmailMessage
from urllib.parse import urlsplit

from flask.testing import FlaskClient

from tests.conftest import AuthActions


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
