import re

from flask import g
from sqlalchemy import select

from mooc_portal.db import utcnow
from mooc_portal.federation.models import HarvestRun, Peer, RejectedRecord
from tests.factories import make_account


def test_administrators_register_peers_and_see_their_harvest_status(
    client, auth, db_session, fake_dns
):
    fake_dns["nordic.example"] = ["93.184.215.14"]
    admin = make_account(is_admin=True)
    failing = Peer(name="Failing", base_url="http://failing.example", last_error="timed out",
                   last_error_at=utcnow())  # fmt: skip
    db_session.add(failing)
    db_session.flush()
    run = HarvestRun(peer_id=failing.id, status="failed", rejected=3, created=1)
    db_session.add(run)
    db_session.flush()
    db_session.add(
        RejectedRecord(
            run_id=run.id,
            resource_type="course",
            resource_id="7b0e7a8e-2222-4c1e-9a55-000000000004",
            reason="Unknown ISCED-F code <9999>.",
        )
    )
    db_session.flush()
    auth.login(admin.email)
    # pytest-flask's app context outlives the test client's requests, and with it the
    # account cached in ``g`` by the login page: forget it as a new request would.
    g.pop("mooc_account", None)

    page = client.get("/admin/peers")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "timed out" in text and "3 rejected" in text
    # each rejected record of the latest run, with its reason (escaped: a peer wrote it)
    assert "7b0e7a8e-2222-4c1e-9a55-000000000004" in text
    assert "Unknown ISCED-F code &lt;9999&gt;." in text

    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', text).group(1)
    response = client.post(
        "/admin/peers",
        data={
            "name": "Nordic MOOCs",
            "base_url": "https://nordic.example/",
            "enabled": "y",
            "csrf_token": token,
        },
    )
    assert response.status_code == 302
    peer = db_session.scalar(select(Peer).where(Peer.name == "Nordic MOOCs"))
    assert peer.base_url == "https://nordic.example" and peer.enabled

    bad = client.post(
        "/admin/peers", data={"name": "Bad", "base_url": "ftp://x", "csrf_token": token}
    )
    assert bad.status_code == 400
    assert db_session.scalar(select(Peer).where(Peer.name == "Bad")) is None


def test_only_administrators_see_the_peers(client, auth, db_session):
    learner = make_account()
    auth.login(learner.email)
    g.pop("mooc_account", None)
    assert client.get("/admin/peers").status_code == 403
