"""Issue 8, finding 10: NUL characters and deeply nested JSON are refused, never a 500.

On PostgreSQL a NUL in any text the portal queries or stores made the driver fail (500); Python's
JSON parser failed on deep nesting (500). The refusal happens once, before any view.
"""

import pytest

from mooc_portal.db import session
from mooc_portal.federation.partner import create_api_token
from tests.factories import make_account, make_course, make_institution


@pytest.fixture
def token(db_session):
    institution = make_institution()
    manager = make_account(memberships={institution: "manager"})
    _token, plain = create_api_token(manager, institution, "LMS")
    make_course(institution=institution, slug="nul-course")
    db_session.commit()
    return {"Authorization": f"Bearer {plain}"}


@pytest.mark.parametrize(
    "url",
    [
        "/courses/nul-course%00",
        "/institutions/x%00y",
        "/certificates/ABCD%00EFGH",
        "/certificates/ABCD%00.json",
        "/courses?q=climate%00",
        "/courses?language=e%00n",
        "/partner/x%00/",
    ],
)
def test_a_nul_in_a_page_address_or_filter_is_a_400(client, token, url):
    response = client.get(url)
    assert response.status_code == 400
    assert "NUL character" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/courses/nul%00",
        "/api/v1/courses?q=%00",
        "/api/v1/institutions?country=K%00R",
        "/ooapi/v5/courses?search=a%00",
        "/ooapi/v5/organizations?primaryCode=x%00",
        "/ooapi/v5/courses/a%00b",
    ],
)
def test_a_nul_in_an_api_address_or_filter_is_a_json_400(client, url):
    response = client.get(url)
    assert response.status_code == 400
    assert response.is_json
    body = response.get_json()
    assert "NUL character" in (body.get("message") or body.get("detail"))


def test_a_nul_in_a_display_name_is_refused_and_nothing_changes(client, auth):
    learner = make_account(display_name="Kim")
    session.commit()
    auth.login(learner.email)
    response = client.post(
        "/account/",
        data={
            "csrf_token": auth.csrf_token("/account/"),
            "display_name": "Kim\x00Minji",
            "email": learner.email,
            "preferred_language": "en",
        },
    )
    assert response.status_code == 400
    assert "display_name contains a NUL character" in response.get_data(as_text=True)
    session.expire_all()
    assert learner.display_name == "Kim"


def test_a_nul_in_write_api_text_names_the_field(client, token):
    course = {
        "code": "NUL1",
        "title": {"en": "Null\u0000island"},
        "original_language": "en",
        "teaching_languages": ["en"],
    }
    response = client.post("/api/v1/courses", json=course, headers=token)
    assert response.status_code == 400
    assert response.get_json()["field"] == "title"
    assert response.get_json()["message"].startswith("title.en contains a NUL character")
    headers = {**token, "Authorization": token["Authorization"] + "\x00"}
    assert client.post("/api/v1/courses", json={}, headers=headers).status_code == 400


@pytest.mark.parametrize("depth", [21, 5_000, 200_000])
def test_deeply_nested_json_on_the_write_api_is_a_400(client, token, depth):
    body = '{"title": ' * depth + "1" + "}" * depth
    response = client.post(
        "/api/v1/courses", data=body, content_type="application/json", headers=token
    )
    assert response.status_code == 400
    assert response.get_json()["message"] == "The JSON is nested more than 20 levels deep."
    patched = client.patch(
        "/api/v1/courses/00000000-0000-0000-0000-000000000000",
        data="[" * depth + "]" * depth,
        content_type="text/plain",  # the API reads its body as JSON whatever the type says
        headers=token,
    )
    assert patched.status_code == 400
