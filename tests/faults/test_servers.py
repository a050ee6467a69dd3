"""The private Redis and SMTP servers the fault tests (and the queue's) stop and start, and the
readiness hook a Redis or queue check registers with."""

from __future__ import annotations

import smtplib

import pytest

from mooc_portal.health import add_readiness_check
from mooc_portal.mail import send_mail


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


def test_the_smtp_server_receives_the_portals_mail_and_refuses_while_stopped(
    portal_app, smtp_server
):
    portal_app.config.update(smtp_server.config())
    with portal_app.test_request_context():
        send_mail("ada@example.org", "Before", "One")
        smtp_server.stop()
        with pytest.raises((ConnectionRefusedError, smtplib.SMTPException, OSError)):
            send_mail("ada@example.org", "During", "Two")
        smtp_server.start()
        send_mail("ada@example.org", "After", "Three")
    assert [m["Subject"] for m in smtp_server.messages] == ["Before", "After"]
