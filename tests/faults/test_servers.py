"""The private Redis and SMTP servers the fault tests (and the queue's) stop and start, and the
readiness hook a Redis or queue check registers with."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

import pytest

from mooc_portal.health import add_readiness_check


def test_readyz_follows_a_registered_redis_check_as_the_server_stops_and_returns(
    portal_app, redis_server
):
    add_readiness_check(portal_app, "redis", redis_server.ping)
    client = portal_app.test_client()
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json["checks"] == {"database": "ok", "redis": "ok"}

    redis_server.stop()
    down = client.get("/readyz")
    assert down.status_code == 503
    assert down.headers["Retry-After"] == "5"
    assert down.json == {
        "status": "not ready",
        "checks": {"database": "ok", "redis": "unreachable (ConnectionRefusedError)"},
    }
    assert client.get("/healthz").status_code == 200
    assert client.get("/courses").status_code == 200  # the pages need no Redis yet

    redis_server.start()
    assert client.get("/readyz").status_code == 200


def test_the_smtp_server_receives_mail_and_refuses_while_stopped(smtp_server):
    # The portal's own mail waits in the outbox while the server is down (the queue's fault
    # tests); here the private server itself: it receives, refuses while stopped, returns.
    config = smtp_server.config()
    host, port = config["MOOC_MAIL_SERVER"], int(config["MOOC_MAIL_PORT"])

    def send(subject: str) -> None:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = (
            "p@example.org",
            "a@example.org",
            subject,
        )
        message.set_content("body")
        with smtplib.SMTP(host, port, timeout=5) as client:
            client.send_message(message)

    send("Before")
    smtp_server.stop()
    with pytest.raises((ConnectionRefusedError, smtplib.SMTPException, OSError)):
        send("During")
    smtp_server.start()
    send("After")
    assert [m["Subject"] for m in smtp_server.messages] == ["Before", "After"]
