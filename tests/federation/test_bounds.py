"""Numbers in URLs beyond what the database stores are a clear 400 (or 404), never a 500."""

from __future__ import annotations

import pytest
from itsdangerous import URLSafeSerializer

from tests.conftest import make_test_app
from tests.factories import make_account

HUGE = 100000000000000000000


def _signed(app, kind, value) -> str:
    # Signed with the portal's own key and salt: only the value is out of range.
    return URLSafeSerializer(app.config["SECRET_KEY"], salt="mooc-portal.federation.cursor").dumps(
        [kind, value]
    )


@pytest.mark.parametrize(
    "path, kind, value, field",
    [
        ("/api/v1/changes?after=", "c", HUGE, "after"),
        ("/api/v1/changes?after=", "c", 2147483648, "after"),
        ("/api/v1/courses?cursor=", "k", HUGE, "cursor"),
        ("/api/v1/institutions?cursor=", "k", HUGE, "cursor"),
        ("/api/v1/courses?cursor=", "k", "²", "cursor"),
        ("/api/v1/courses?cursor=", "k", int("9" * 500), "cursor"),
        ("/api/v1/courses?cursor=", "k", -1, "cursor"),
    ],
)
def test_an_out_of_range_cursor_is_a_json_400_naming_the_field(
    app, client, path, kind, value, field
):
    response = client.get(path + _signed(app, kind, value))
    assert response.status_code == 400
    assert response.is_json
    assert response.get_json()["field"] == field


@pytest.mark.parametrize("resource", ["courses", "organizations"])
@pytest.mark.parametrize("number", ["99999999999999999999", "2147483648", "²"])
def test_an_out_of_range_ooapi_page_number_is_a_400_problem(client, resource, number):
    response = client.get(f"/ooapi/v5/{resource}?pageNumber={number}")
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert "pageNumber" in response.get_json()["detail"]


def test_the_largest_page_number_is_an_empty_page(client):
    response = client.get("/ooapi/v5/courses?pageNumber=2147483647")
    assert response.status_code == 200
    assert response.get_json()["items"] == []


def test_a_refused_api_filter_does_not_say_it_was_ignored(client):
    body = client.get("/api/v1/courses?country=US").get_json()
    assert body["field"] == "country"
    assert "ignored" not in body["message"] and "not valid" in body["message"]
    body = client.get("/api/v1/courses", query_string={"q": "x" * 500}).get_json()
    assert body["field"] == "q"
    assert "shortened" not in body["message"]


@pytest.mark.parametrize("page", [HUGE, "²"])
def test_the_audit_log_shows_the_first_page_for_an_impossible_page(client, auth, page):
    make_account("admin@portal.example", is_admin=True)
    auth.login("admin@portal.example")
    response = client.get(f"/admin/audit?page={page}")
    assert response.status_code == 200
    assert "is not valid; showing the first page" in response.get_data(as_text=True)


@pytest.mark.parametrize("page", [HUGE, "²"])
def test_the_catalog_shows_the_first_page_for_an_impossible_page(client, page):
    response = client.get(f"/courses?page={page}")
    assert response.status_code == 200
    assert "is not valid; showing the first page" in response.get_data(as_text=True)


def test_a_database_id_beyond_the_column_is_a_404(client, auth):
    make_account("admin@portal.example", is_admin=True)
    auth.login("admin@portal.example")
    token = auth.csrf_token("/admin/peers")
    response = client.post(
        f"/admin/peers/{HUGE}/enabled", data={"csrf_token": token, "enabled": "1"}
    )
    assert response.status_code == 404


@pytest.fixture
def broken_app(tmp_path):
    """The portal on a database it cannot open, with errors handled as in production."""
    return make_test_app(f"sqlite:///{tmp_path}/missing/portal.db", PROPAGATE_EXCEPTIONS=False)


def test_an_unexpected_error_in_the_apis_is_answered_as_json(broken_app):
    client = broken_app.test_client()
    response = client.get("/api/v1/institutions")
    assert response.status_code == 500
    assert response.is_json and response.get_json()["status"] == 500
    response = client.get("/ooapi/v5/organizations")
    assert response.status_code == 500
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["status"] == "500"
