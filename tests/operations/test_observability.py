"""Metrics for Prometheus, JSON log lines with a request id, HTTPS headers."""

from __future__ import annotations

import json
import logging

import pytest

from mooc_portal.operations import JsonLogFormatter
from tests.conftest import make_test_app, reset_shared_state, rolled_back


@pytest.fixture
def make_app(databases, backend):
    made = []

    databases.app(backend)  # the database, migrated

    def make(**config):
        app = make_test_app(databases.url(backend), **config)
        reset_shared_state(app)
        made.append(app)
        return app

    yield make
    for app in made:
        with app.app_context():
            app.extensions["sqlalchemy"].engine.dispose()


def test_metrics_count_requests_by_endpoint_and_status_with_latency(make_app):
    app = make_app(MOOC_METRICS=True)
    with rolled_back(app):
        client = app.test_client()
        client.get("/courses")
        client.get("/courses/no-such-course")
        text = client.get("/metrics").get_data(as_text=True)
    assert 'flask_http_request_total{method="GET",status="200"}' in text
    assert 'endpoint="portal.catalog.course_list"' in text
    assert 'status="404"' in text
    assert "flask_http_request_duration_seconds_bucket" in text
    # Ready for the background jobs and harvests to count.
    assert "mooc_jobs_total" in text
    assert "mooc_harvest_runs_total" in text


def test_no_metrics_unless_asked(client):
    assert client.get("/metrics").status_code == 404


def test_every_response_names_its_request_and_keeps_a_proxys_id(client):
    first = client.get("/courses").headers["X-Request-Id"]
    second = client.get("/courses").headers["X-Request-Id"]
    assert first != second
    given = "req-0123456789abcdef"
    assert client.get("/", headers={"X-Request-Id": given}).headers["X-Request-Id"] == given
    forged = client.get("/", headers={"X-Request-Id": "<script>"}).headers["X-Request-Id"]
    assert forged != "<script>"


def test_log_lines_are_json_with_the_request_id(app):
    record = logging.LogRecord(
        "mooc_portal", logging.WARNING, __file__, 1, "Peer %s slow", ("x",), None
    )
    with app.test_request_context("/courses?q=x"):
        from mooc_portal.operations import _assign_request_id

        _assign_request_id()
        from flask import g

        line = json.loads(JsonLogFormatter().format(record))
        assert line["request_id"] == g.mooc_request_id
    assert line["message"] == "Peer x slow"
    assert line["level"] == "WARNING"
    assert line["path"] == "/courses"


def test_over_https_cookies_are_secure_and_hsts_is_sent(make_app):
    app = make_app(MOOC_PUBLIC_URL="https://mooc.example.org")
    with rolled_back(app):
        response = app.test_client().get("/account/login")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert "Secure" in response.headers["Set-Cookie"]
