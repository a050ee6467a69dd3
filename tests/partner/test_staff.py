"""Managers invite and remove staff and edit the profile; editors edit courses only."""

from __future__ import annotations

import re
import unicodedata

import pytest
from sqlalchemy import select

from mooc_portal.accounts.models import Account
from mooc_portal.audit.models import AuditEntry
from mooc_portal.db import session
from mooc_portal.errors import Conflict, NotPermitted
from mooc_portal.publishing import staff


def test_manager_invites_a_new_person_who_sets_a_password_by_link(
    client, auth, home, outbox, db_session
):
    auth.login(home["manager"].email)
    url = f"/partner/{home['institution'].slug}/staff"
    response = client.post(
        url,
        data={
            "csrf_token": auth.csrf_token(url),
            "email": "New.Person@Home.example",
            "display_name": "New Person",
            "role": "editor",
        },
    )
    assert response.status_code == 302
    account = session.scalar(select(Account).where(Account.email == "new.person@home.example"))
    # Pending: nothing is granted before the invitee follows the link mailed to the address.
    assert account.role_in(home["institution"].id) is None
    assert account.password_hash is None
    listing = client.get(url).get_data(as_text=True)
    assert 'New Person <span class="status">invited (pending)</span>' in listing
    (message,) = outbox
    link = re.search(r"https?://\S+/partner/invitation/\S+", message.get_content()).group(0)
    path = link.split("localhost", 1)[1]
    auth.logout()
    assert client.get(path).status_code == 200
    token = auth.csrf_token(path)
    response = client.post(path, data={"csrf_token": token, "password": "a long new password"})
    assert response.status_code == 302
    assert auth.login("new.person@home.example", "a long new password").status_code == 302
    assert client.get(f"/partner/{home['institution'].slug}/").status_code == 200
    assert account.role_in(home["institution"].id) == "editor"
    # the link works once
    assert client.get(path).status_code == 400
    assert "invited (pending)" not in client.get(url).get_data(as_text=True)
    audit = db_session.query(AuditEntry).filter_by(entity="staff", action="invite").one()
    assert audit.after == {"email": "new.person@home.example", "role": "editor"}


def test_editors_cannot_manage_staff_or_the_profile(client, auth, home):
    auth.login(home["editor"].email)
    slug = home["institution"].slug
    token = auth.csrf_token("/")
    response = client.post(
        f"/partner/{slug}/staff",
        data={"csrf_token": token, "email": "x@y.example", "role": "manager"},
    )
    assert response.status_code == 403
    assert client.get(f"/partner/{slug}/profile").status_code == 403
    response = client.post(
        f"/partner/{slug}/staff/{home['manager'].uuid}/remove", data={"csrf_token": token}
    )
    assert response.status_code == 403
    assert home["manager"].role_in(home["institution"].id) == "manager"


def test_manager_edits_the_profile(client, auth, home):
    auth.login(home["manager"].email)
    url = f"/partner/{home['institution'].slug}/profile"
    response = client.post(
        url,
        data={
            "csrf_token": auth.csrf_token(url),
            "name": "Home University of Seoul",
            "country": "KR",
            "original_language": "en",
            "website": "https://home.example",
        },
    )
    assert response.status_code == 302
    assert home["institution"].text("name", "en").text == "Home University of Seoul"
    assert home["institution"].website == "https://home.example"
    bad = client.post(
        url,
        data={
            "csrf_token": auth.csrf_token(url),
            "name": "Home",
            "country": "US",
            "original_language": "en",
        },
    )
    assert bad.status_code == 400
    assert 'id="country-error"' in bad.get_data(as_text=True)


def test_the_last_manager_stays(home):
    with pytest.raises(Conflict):
        staff.remove_staff(home["manager"], home["institution"], home["manager"].uuid)
    staff.remove_staff(home["manager"], home["institution"], home["editor"].uuid)
    assert home["editor"].role_in(home["institution"].id) is None


def test_only_administrators_create_and_deactivate_institutions(home, admin):
    data = staff.InstitutionData(name="Université de Lyon", country="FR")
    with pytest.raises(NotPermitted):
        staff.create_institution(home["manager"], data)
    created = staff.create_institution(admin, data)
    assert (created.slug, created.region) == ("universite-de-lyon", "europe")
    with pytest.raises(NotPermitted):
        staff.set_institution_active(home["manager"], home["institution"], False)


@pytest.fixture
def short_reset_links(app, monkeypatch):
    monkeypatch.setitem(app.config, "MOOC_PASSWORD_RESET_MAX_AGE", 1)


def test_an_invitation_outlives_a_password_reset_link(
    client, auth, home, outbox, short_reset_links
):
    import time

    auth.login(home["manager"].email)
    url = f"/partner/{home['institution'].slug}/staff"
    client.post(
        url,
        data={"csrf_token": auth.csrf_token(url), "email": "late@home.example", "role": "editor"},
    )
    (message,) = outbox
    path = re.search(r"/partner/invitation/\S+", message.get_content()).group(0)
    token = path.rsplit("/", 1)[1]
    auth.logout()
    time.sleep(2.1)  # older than a reset link may be (1 s here), far younger than a week
    assert client.get(f"/account/password/reset/{token}").status_code == 400
    assert client.get(path).status_code == 200


@pytest.mark.parametrize(
    ("language", "before", "after"),
    [("en", "Austria", "Vietnam"), ("ko", "오스트리아", "베트남")],
)
def test_the_country_menu_lists_names_in_the_visitors_language_in_order(
    client, auth, home, language, before, after
):
    auth.login(home["manager"].email)
    html = client.get(
        f"/partner/{home['institution'].slug}/profile", headers={"Accept-Language": language}
    ).get_data(as_text=True)
    menu = html.split('name="country"', 1)[1].split("</select>", 1)[0]
    labels = re.findall(r"<option[^>]*>([^<]+)</option>", menu)
    assert len(labels) == 51 and before in labels and after in labels
    assert ">KR<" not in menu  # names, not ISO codes
    assert labels == sorted(labels, key=lambda name: unicodedata.normalize("NFKD", name).casefold())


def test_demoting_the_last_manager_shows_the_staff_list_with_the_message_at_the_role(
    client, auth, home, db_session
):
    """Issue 12, defect 5: the refusal comes back on the staff list, at the member's role,
    with the chosen role kept, not on a bare 409 page."""
    manager = home["manager"]
    auth.login(manager.email)
    url = f"/partner/{home['institution'].slug}/staff"
    response = client.post(
        f"{url}/{manager.uuid}/role", data={"csrf_token": auth.csrf_token(url), "role": "editor"}
    )
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Staff of Home University" in page
    row = re.search(rf'<td id="member-{manager.uuid}">(.*?)</tr>', page, re.S).group(1)
    select = re.search(r'<select id="(role-\d+)" name="role" aria-invalid="true"[^>]*>', row)
    assert select, row
    assert re.search(r'<option value="editor" selected>', row)
    error = re.search(rf'id="{select.group(1)}-error">(.*?)</p>', row).group(1)
    assert error == "An institution keeps at least one manager."
    assert 'role="alert"' in page and 'name="email"' in page  # the invitation form too
    session.expire_all()
    assert manager.role_in(home["institution"].id) == "manager"
    response = client.post(
        f"{url}/{manager.uuid}/remove", data={"csrf_token": auth.csrf_token(url)}
    )
    assert response.status_code == 409
    assert "An institution keeps at least one manager." in response.get_data(as_text=True)
    assert "Staff of Home University" in response.get_data(as_text=True)
