"""Issue 12, defect 5: what the services refuse on an administrator's page shows that page
again with the message: a peer's interval (at its box, the typed value kept) or harvest, a
review move the course's state no longer allows."""

from __future__ import annotations

import re

from mooc_portal.db import session
from mooc_portal.federation.models import Peer
from tests.factories import make_account, make_course


def test_refused_peer_changes_come_back_to_the_peers_page(client, auth, db_session):
    make_account("admin@peers.example", is_admin=True)
    peer = Peer(name="Paused", base_url="https://paused.example", enabled=False)
    session.add(peer)
    session.flush()
    auth.login("admin@peers.example")
    token = auth.csrf_token("/admin/peers")

    response = client.post(
        f"/admin/peers/{peer.id}/interval", data={"interval": "0", "csrf_token": token}
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "<h1>Peer portals</h1>" in page
    box = f"interval-{peer.id}"
    assert re.search(rf'id="{box}" name="interval"[^>]* value="0"[^>]*aria-invalid="true"', page)
    assert re.search(rf'id="{box}-error">[^<]*from 1 to 10080', page)

    response = client.post(f"/admin/peers/{peer.id}/harvest", data={"csrf_token": token})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "<h1>Peer portals</h1>" in page
    assert "This peer is paused: resume it before harvesting it." in page
    session.expire_all()
    assert peer.harvest_interval != 0


def test_a_review_move_the_state_no_longer_allows_stays_on_the_review_page(
    client, auth, db_session
):
    make_account("admin@review.example", is_admin=True)
    course = make_course("Still Draft", status="draft")
    auth.login("admin@review.example")
    url = f"/admin/courses/{course.uuid}"
    response = client.post(
        f"{url}/transition",
        data={"csrf_token": auth.csrf_token(url), "action": "approve", "comment": "Fine."},
    )
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "This course is not in a state that allows this." in page, page[page.find("<main") :][
        :1200
    ]
    assert 'role="alert"' in page and "Quality criteria" in page
    session.expire_all()
    assert course.status == "draft"
