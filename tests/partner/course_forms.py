"""The partner course form as a test posts it: a complete, valid form, and the post with the
page's own CSRF token, shared by every test of the course form."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.conftest import AuthActions


def course_form(**overrides: Any) -> dict[str, Any]:
    """A course form that the partner pages accept; ``overrides`` replace or add fields."""
    data = {
        "code": "NEW1",
        "original_language": "en",
        "title": "Oceans and Us",
        "summary": "Why the sea matters.",
        "learning_outcomes": "Explain currents.",
        "level": "introductory",
        "pace": "self_paced",
        "effort_hours": "3",
        "length_weeks": "5",
        "credential": "certificate",
        "teaching_languages": "en, ko",
        "subjects": ["0521"],
        "accessibility_statement": "Transcripts for all videos.",
    }
    data.update(overrides)
    return data


def post_course(client: FlaskClient, auth: AuthActions, url: str, **overrides: Any) -> TestResponse:
    """Post ``course_form(**overrides)`` to ``url`` (a new or an edit page) with the CSRF token
    that page gives the logged-in visitor."""
    return client.post(url, data={**course_form(**overrides), "csrf_token": auth.csrf_token(url)})
