"""Harvests as jobs: each peer on its own schedule, one job per peer, a Harvest now button."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from mooc_portal.db import utcnow
from mooc_portal.federation.harvest import schedule_due_harvests
from mooc_portal.federation.models import HarvestRun, Peer
from mooc_portal.jobs.models import OutboxJob
from tests.factories import make_account
from tests.federation.conftest import live_server
from tests.federation.test_hostile_peers import good_peer


def test_each_due_peer_gets_one_harvest_job_and_its_next_time(app, db_session):
    now = utcnow()
    hourly = Peer(name="Hourly", base_url="http://127.0.0.1:9", harvest_interval=60)
    daily = Peer(name="Daily", base_url="http://127.0.0.1:9", harvest_interval=1440)
    later = Peer(name="Later", base_url="http://127.0.0.1:9", next_harvest_at=now + timedelta(1))
    paused = Peer(name="Paused", base_url="http://127.0.0.1:9", enabled=False)
    db_session.add_all([hourly, daily, later, paused])
    db_session.flush()
    assert schedule_due_harvests(now) == 2
    assert schedule_due_harvests(now + timedelta(hours=2)) == 0  # the first jobs still wait
    topics = db_session.scalars(select(OutboxJob.topic).order_by(OutboxJob.topic)).all()
    assert topics == sorted([f"peer:{hourly.id}", f"peer:{daily.id}"])
    assert hourly.next_harvest_at == now + timedelta(minutes=60)
    assert daily.next_harvest_at == now + timedelta(minutes=1440)


def test_administrators_set_the_interval_and_harvest_a_peer_now(
    app, client, auth, db_session, monkeypatch
):
    monkeypatch.setitem(app.config, "MOOC_ALLOW_PRIVATE_PEERS", True)  # the peer is local
    make_account("admin@example.org", is_admin=True)
    with live_server(good_peer()) as url:
        peer = Peer(name="Good", base_url=url)
        db_session.add(peer)
        db_session.commit()
        auth.login("admin@example.org")
        token = auth.csrf_token("/admin/peers")

        response = client.post(
            f"/admin/peers/{peer.id}/interval", data={"interval": "15", "csrf_token": token}
        )
        assert response.status_code == 302
        refused = client.post(
            f"/admin/peers/{peer.id}/interval", data={"interval": "0", "csrf_token": token}
        )
        assert refused.status_code == 400
        assert "from 1 to 10080" in refused.get_data(as_text=True)

        response = client.post(f"/admin/peers/{peer.id}/harvest", data={"csrf_token": token})
        assert response.status_code == 302
    db_session.expire_all()
    assert peer.harvest_interval == 15
    [run] = db_session.scalars(select(HarvestRun)).all()
    assert (run.status, run.created) == ("succeeded", 1)
    page = client.get("/admin/peers").get_data(as_text=True)
    assert 'value="15"' in page and "Harvest now" in page
