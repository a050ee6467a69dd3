"""Cross-origin reads, as a browser on another site makes them, over real HTTP: the public
read endpoints say any origin may read them (no credentials); writes get no permission."""

import httpx
import pytest

from tests.certificates.test_credentials import issued
from tests.factories import make_course

ORIGIN = "https://catalog.partner.example"


@pytest.fixture
def public(db_session):
    course = make_course("Shared Course", runs=1)
    certificate = issued()
    db_session.commit()
    return {"course": course, "certificate": certificate}


def test_public_reads_may_be_read_from_any_origin_without_credentials(source_url, public):
    code = public["certificate"].code
    paths = [
        "/api/v1/courses",
        f"/api/v1/courses/{public['course'].uuid}",
        "/api/v1/changes",
        "/api/v1/export",
        "/api/v1/openapi.json",
        "/api/v1/courses/00000000-0000-4000-8000-000000000000",  # an error is readable too
        "/ooapi/v5/courses",
        "/ooapi/v5/organizations",
        "/ooapi/v5/persons",
        "/sitemap.xml",
        f"/certificates/{code}.json",
        "/certificates/status/1",
        "/.well-known/did.json",
    ]
    with httpx.Client(base_url=source_url) as http:
        for path in paths:
            response = http.get(path, headers={"Origin": ORIGIN})
            assert response.headers.get("Access-Control-Allow-Origin") == "*", path
            assert "Access-Control-Allow-Credentials" not in response.headers, path
        listed = http.get("/api/v1/courses", headers={"Origin": ORIGIN})
        assert "ETag" in listed.headers["Access-Control-Expose-Headers"]
        # a preflight for a read is granted
        preflight = http.options(
            "/ooapi/v5/courses",
            headers={"Origin": ORIGIN, "Access-Control-Request-Method": "GET"},
        )
        assert "GET" in preflight.headers["Access-Control-Allow-Methods"]


def test_pages_and_writes_are_not_opened_to_other_origins(source_url, public):
    code = public["certificate"].code
    with httpx.Client(base_url=source_url) as http:
        for path in ("/", "/courses", f"/certificates/{code}", "/admin/peers"):
            response = http.get(path, headers={"Origin": ORIGIN})
            assert "Access-Control-Allow-Origin" not in response.headers, path
        # a browser asks before a cross-origin write and is not allowed to send it
        for method, path in (("POST", "/api/v1/courses"), ("PATCH", "/api/v1/runs/x")):
            preflight = http.options(
                path,
                headers={
                    "Origin": ORIGIN,
                    "Access-Control-Request-Method": method,
                    "Access-Control-Request-Headers": "authorization, content-type",
                },
            )
            assert method not in preflight.headers.get("Access-Control-Allow-Methods", "")
        write = http.post("/api/v1/courses", json={}, headers={"Origin": ORIGIN})
        assert write.status_code == 401
        assert "Access-Control-Allow-Origin" not in write.headers


def test_the_allowed_origins_come_from_configuration(app, client, db_session, monkeypatch):
    monkeypatch.setitem(app.config, "MOOC_CORS_ORIGINS", ["https://one.example"])
    monkeypatch.delitem(app.extensions["mooc_portal"].extras, "cors", raising=False)
    try:
        allowed = client.get("/ooapi/v5/", headers={"Origin": "https://one.example"})
        assert allowed.headers["Access-Control-Allow-Origin"] == "https://one.example"
        other = client.get("/ooapi/v5/", headers={"Origin": "https://two.example"})
        assert "Access-Control-Allow-Origin" not in other.headers
    finally:
        app.extensions["mooc_portal"].extras.pop("cors", None)
