import re

from sqlalchemy import select

from mooc_portal.xapi.models import XapiCredential
from tests.factories import make_account, make_institution


def test_a_manager_creates_a_credential_that_works_then_revokes_it(client, auth, db_session):
    institution = make_institution("Page University")
    manager = make_account(memberships={institution: "manager"})
    db_session.commit()
    auth.login(manager.email)
    url = f"/partner/{institution.slug}/xapi/credentials"
    page = client.get(url)
    assert page.status_code == 200
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text)
    token = token or re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    response = client.post(url, data={"name": "Open edX", "csrf_token": token.group(1)})
    assert response.status_code == 200
    key = re.search(r'class="xapi-key">([^<]+)<', response.text).group(1)
    secret = re.search(r'class="xapi-secret">([^<]+)<', response.text).group(1)
    # The endpoint partners copy into their platform ends in one slash, as on each run's page.
    endpoint = re.search(r'class="xapi-endpoint">([^<]+)<', response.text).group(1)
    assert re.fullmatch(r"https?://[^/]+(/[^/]+)*/xapi/", endpoint), endpoint
    assert response.headers["Cache-Control"] == "no-store"

    from tests.xapi.conftest import basic

    assert client.get("/xapi/statements", headers=basic(key, secret)).status_code == 200
    credential = db_session.scalar(select(XapiCredential).where(XapiCredential.key == key))
    assert secret not in credential.secret_hash
    revoke = f"{url}/{credential.id}/revoke"
    assert client.post(revoke, data={"csrf_token": token.group(1)}).status_code == 302
    assert client.get("/xapi/statements", headers=basic(key, secret)).status_code == 401


def test_editors_and_other_managers_may_not_manage_credentials(client, auth, db_session):
    institution = make_institution("Guarded University")
    editor = make_account(memberships={institution: "editor"})
    outsider = make_account(memberships={make_institution("Elsewhere"): "manager"})
    db_session.commit()
    url = f"/partner/{institution.slug}/xapi/credentials"
    for account in (editor, outsider):
        auth.login(account.email)
        assert client.get(url).status_code == 403
        auth.logout()
    assert client.get(url).status_code == 302  # to the login page
    assert db_session.scalar(select(XapiCredential)) is None
