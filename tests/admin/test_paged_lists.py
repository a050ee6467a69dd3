"""The lists that showed every row at once, now one page at a time through the shared pager:
peers, handled privacy requests, mail waiting, an institution's staff (administrators), xAPI
credentials, API tokens, the partner dashboard's lists and a run's waiting statements."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import g

from mooc_portal.db import session, utcnow
from mooc_portal.federation.models import HarvestRun, Peer
from mooc_portal.federation.partner import create_api_token
from mooc_portal.jobs import services as jobs
from mooc_portal.privacy import export
from mooc_portal.publishing import workflow
from mooc_portal.xapi.credentials import create_credential
from tests.factories import make_account, make_course, make_institution, make_run

BAD_PAGE = "is not valid; showing the first page."


@pytest.fixture
def admin(db_session):
    return make_account("admin@portal.example", is_admin=True)


def get(client, path: str) -> str:
    # The app context outlives the test client's requests, and with it the account the last
    # request cached in ``g``: forget it as a new request would.
    g.pop("mooc_account", None)
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def shown(first: int, last: int, total: int) -> str:
    return f"{first}\u2013{last} of {total}"


def names_in(text: str, pattern: str) -> list[str]:
    return re.findall(pattern, text)


def test_peers_page_with_their_latest_runs_in_a_fixed_number_of_queries(
    client, auth, admin, db_session, count_queries
):
    for n in range(5):
        peer = Peer(name=f"Peer {n}", base_url=f"http://peer{n}.example")
        db_session.add(peer)
        db_session.flush()
        db_session.add(HarvestRun(peer_id=peer.id, status="succeeded", created=n))
    db_session.flush()
    auth.login(admin.email)

    first = get(client, "/admin/peers?size=2")
    assert names_in(first, r"<th scope=\"row\">(Peer \d)") == ["Peer 0", "Peer 1"]
    assert shown(1, 2, 5) in first and "5 peer portals" in first
    assert "size=2&amp;page=2" in first
    last = get(client, "/admin/peers?size=2&page=3")
    assert names_in(last, r"<th scope=\"row\">(Peer \d)") == ["Peer 4"]
    assert "Succeeded: 4 created" in last
    assert BAD_PAGE in get(client, "/admin/peers?page=x").replace("&#34;", '"')

    def queries(size: int) -> int:
        with count_queries() as counter:
            get(client, f"/admin/peers?size={size}")
        return counter.count

    assert queries(1) == queries(5)


def test_handled_privacy_requests_page(client, auth, admin):
    for _n in range(5):
        export.record_access_request(make_account(), channel="self-service")
    session.commit()
    auth.login(admin.email)
    first = get(client, "/admin/privacy?size=2")
    assert len(re.findall(r"<td>Access</td>", first)) == 2
    assert "5 handled requests" in first and shown(1, 2, 5) in first
    last = get(client, "/admin/privacy?size=2&page=3")
    assert len(re.findall(r"<td>Access</td>", last)) == 1 and shown(5, 5, 5) in last
    assert BAD_PAGE in get(client, "/admin/privacy?page=-1")


def test_mail_waiting_pages_apart_from_the_jobs_list(client, auth, admin):
    for n in range(5):
        jobs.enqueue(
            "mail", {"to": f"reader{n}@example.org", "subject": f"Hello {n}"}, dedupe_key=f"m{n}"
        )
    session.commit()
    auth.login(admin.email)
    first = get(client, "/admin/jobs?mail_size=2&size=3")
    assert names_in(first, r"<td>(reader\d)@") == ["reader0", "reader1"]
    assert "5 messages not sent yet" in first
    # Each list's pager keeps the other list's place.
    assert "mail_size=2&amp;size=3&amp;mail_page=2" in first
    assert "mail_size=2&amp;size=3&amp;page=2" in first
    last = get(client, "/admin/jobs?mail_size=2&size=3&mail_page=3&page=2")
    assert names_in(last, r"<td>(reader\d)@") == ["reader4"]
    assert shown(5, 5, 5) in last and shown(4, 5, 5) in last  # both lists on their last page
    assert BAD_PAGE in get(client, "/admin/jobs?mail_page=zero")


def test_an_institutions_staff_pages_for_administrators(client, auth, admin):
    home = make_institution(slug="home-u")
    for n in range(5):
        make_account(f"editor{n}@home.example", memberships={home: "editor"})
    auth.login(admin.email)
    first = get(client, "/admin/institutions/home-u?size=2")
    assert names_in(first, r"\((editor\d)@") == ["editor0", "editor1"]
    assert shown(1, 2, 5) in first
    last = get(client, "/admin/institutions/home-u?size=2&page=3")
    assert names_in(last, r"\((editor\d)@") == ["editor4"]


@pytest.mark.parametrize(
    ("path", "make"),
    [
        ("xapi/credentials", create_credential),
        ("api-tokens", create_api_token),
    ],
)
def test_a_partners_credentials_page(client, auth, db_session, path, make):
    institution = make_institution(slug="cred-u")
    manager = make_account(memberships={institution: "manager"})
    for n in range(5):
        credential, _secret = make(manager, institution, f"Client {n}")
        credential.created_at = utcnow() - timedelta(days=n)  # Client 0 the newest
    db_session.commit()
    auth.login(manager.email)
    url = f"/partner/cred-u/{path}"
    first = get(client, f"{url}?size=2")
    assert names_in(first, r"<th scope=\"row\">(Client \d)") == ["Client 0", "Client 1"]
    assert shown(1, 2, 5) in first and "size=2&amp;page=2" in first
    last = get(client, f"{url}?size=2&page=3")
    assert names_in(last, r"<th scope=\"row\">(Client \d)") == ["Client 4"]
    assert BAD_PAGE in get(client, f"{url}?page=%C2%B2")


def test_partner_dashboard_lists_page_each_on_its_own(client, auth, db_session, count_queries):
    institution = make_institution(slug="dash-u")
    manager = make_account(memberships={institution: "manager"})
    for n in range(5):
        make_course(f"Draft {n}", code=f"D{n}", institution=institution, status="draft")
    published = make_course("Published one", code="P0", institution=institution)
    for n in range(3):
        make_run(published, start=utcnow() + timedelta(days=10 + n))
    asked = make_course("Asked", code="Z0", institution=institution, status="in_review")
    workflow.transition_course(
        make_account(is_admin=True), asked, "request_changes", comment="Add a syllabus."
    )
    db_session.commit()
    auth.login(manager.email)

    page = get(client, "/partner/dash-u/?drafts_size=2&runs_size=2")
    assert "Drafts (6)" in page  # the total, not the page's rows
    assert names_in(page, r">(D\d): ") == ["D0", "D1"]
    assert "drafts_size=2&amp;runs_size=2&amp;drafts_page=2" in page
    assert "<q>Add a syllabus.</q>" in page
    assert page.count('id="run-') == 2
    last = get(client, "/partner/dash-u/?drafts_size=2&runs_size=2&drafts_page=3&runs_page=2")
    assert names_in(last, r">(D\d): ") == ["D4"]
    assert last.count('id="run-') == 1
    assert "Published one" in last  # other lists keep their own first page
    assert BAD_PAGE in get(client, "/partner/dash-u/?published_page=x")

    def queries(size: int) -> int:
        with count_queries() as counter:
            get(client, f"/partner/dash-u/?drafts_size={size}&runs_size={size}")
        return counter.count

    assert queries(1) == queries(4)
