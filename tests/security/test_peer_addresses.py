"""Issue 8, finding 9: peer URLs never lead the server into its own network (SSRF).

Every address here is refused before any connection: the tests resolve names with a fake
resolver (``fake_dns``), send real traffic only to 127.0.0.1 and, where a refusal could fail
open, give the harvester a transport that records instead of connecting.
"""

import re
from contextlib import contextmanager

import httpx
import pytest
from flask import g
from sqlalchemy import select

from mooc_portal.db import session
from mooc_portal.errors import InvalidInput
from mooc_portal.federation.addresses import PeerTransport, peer_addresses
from mooc_portal.federation.harvest import harvest_peers
from mooc_portal.federation.models import Peer
from mooc_portal.federation.services import register_peer
from tests.factories import make_account
from tests.federation.conftest import live_server

REFUSED = "Give the public http:// or https:// address of a peer portal."
PRIVATE = [
    "http://127.0.0.1:6379",
    "http://2130706433/",  # 127.0.0.1 in decimal
    "http://0x7f.1/",  # in hexadecimal, short form
    "http://017700000001/",  # in octal
    "http://127.1/",
    "http://[::1]:5000/",
    "http://[::ffff:127.0.0.1]/",
    "http://169.254.169.254/latest/meta-data/",  # a cloud's metadata service
    "http://10.1.2.3/",
    "http://172.16.0.1/",
    "http://192.168.1.1/",
    "http://100.64.0.1/",  # shared address space
    "http://224.0.0.1/",  # multicast
    "http://240.0.0.1/",  # reserved
    "http://0.0.0.0/",
    "http://[fe80::1]/",
    "http://[fc00::1]/",
    "http://intranet.example/",  # resolves to a private address
    "http://dual.example/",  # one public and one loopback address
    "http://nowhere.example/",  # does not resolve
    "ftp://93.184.215.14/",
    "http://user:secret@93.184.215.14/",
]


@pytest.fixture
def admin(db_session):
    return make_account(is_admin=True)


@pytest.fixture
def dns(fake_dns):
    fake_dns["intranet.example"] = ["10.0.0.5"]
    fake_dns["dual.example"] = ["93.184.215.14"]
    fake_dns["mooc.example"] = ["93.184.215.14"]
    return fake_dns


@pytest.fixture
def dual(monkeypatch, app):
    """``dual.example`` answers a public and a loopback address at once."""
    extras = app.extensions["mooc_portal"].extras
    plain = extras["peer_resolver"]

    def resolve(host, port):
        return ["93.184.215.14", "127.0.0.1"] if host == "dual.example" else plain(host, port)

    monkeypatch.setitem(extras, "peer_resolver", resolve)


@pytest.mark.parametrize("url", PRIVATE)
def test_registration_refuses_private_and_odd_addresses_with_one_message(admin, dns, dual, url):
    with pytest.raises(InvalidInput) as refused:
        register_peer(admin, name="Probe", base_url=url)
    assert (refused.value.message, refused.value.field) == (REFUSED, "base_url")
    assert session.scalar(select(Peer).where(Peer.name == "Probe")) is None


def test_registration_keeps_a_public_peer_without_query_or_fragment(admin, dns):
    peer = register_peer(admin, name="Public", base_url="https://mooc.example/portal/?a=1#top")
    assert peer.base_url == "https://mooc.example/portal"


def test_the_setting_allows_a_local_peer_for_testing(app, admin, dns, monkeypatch):
    monkeypatch.setitem(app.config, "MOOC_ALLOW_PRIVATE_PEERS", True)
    peer = register_peer(admin, name="Local", base_url="http://127.0.0.1:5001/")
    assert peer.base_url == "http://127.0.0.1:5001"
    assert register_peer(admin, name="Intranet", base_url="http://intranet.example")


def test_the_peers_page_gives_the_same_answer_for_every_refusal(client, auth, admin, dns):
    auth.login(admin.email)
    g.pop("mooc_account", None)
    pages = []
    for url in ("http://127.0.0.1:22", "http://127.0.0.1:5432", "http://nowhere.example"):
        token = auth.csrf_token("/admin/peers")
        response = client.post(
            "/admin/peers", data={"name": "Scan", "base_url": url, "csrf_token": token}
        )
        assert response.status_code == 400
        text = response.get_data(as_text=True)
        assert REFUSED in text
        pages.append(re.sub(r'value="[^"]*"', "", text))
    assert pages[0] == pages[1] == pages[2]
    assert session.scalar(select(Peer).where(Peer.name == "Scan")) is None


class Recorder(httpx.BaseTransport):
    """Stands in for the network: records what would have been sent, sends nothing."""

    def __init__(self):
        self.requests = []

    def handle_request(self, request):
        self.requests.append(request)
        return httpx.Response(503)


@contextmanager
def counting_server():
    hits = []

    def app(environ, start_response):
        hits.append(environ["PATH_INFO"])
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b"{}"]

    with live_server(app) as url:
        yield url, hits


def test_the_harvester_refuses_a_stored_private_peer_before_connecting(app, db_session):
    with counting_server() as (url, hits):
        db_session.add(Peer(name="Sneaky", base_url=url))  # stored before the rule existed
        db_session.commit()
        [run] = harvest_peers("Sneaky")
    assert run.status == "failed"
    assert run.error.endswith("could not be reached (or its address is not a public one).")
    assert hits == []


def test_dns_rebinding_after_registration_is_caught_at_connection_time(admin, dns, db_session):
    dns["rebind.example"] = ["93.184.215.14", "127.0.0.1"]  # public first, then loopback
    register_peer(admin, name="Rebinding", base_url="http://rebind.example")
    db_session.commit()
    network = Recorder()
    [run] = harvest_peers("Rebinding", transport=network)
    assert run.status == "failed" and "could not be reached" in run.error
    assert network.requests == []


def test_connections_go_to_the_checked_address_with_the_peers_name(app, dns):
    dns["peer.example"] = ["93.184.215.14"]
    network = Recorder()
    with httpx.Client(transport=PeerTransport(network)) as client:
        client.get("https://peer.example:8443/api/v1/changes?cursor=x")
    [sent] = network.requests
    assert str(sent.url) == "https://93.184.215.14:8443/api/v1/changes?cursor=x"
    assert sent.headers["Host"] == "peer.example:8443"
    assert sent.extensions["sni_hostname"] == "peer.example"


def test_refused_addresses_and_closed_ports_read_the_same_in_harvest_errors(
    app, db_session, monkeypatch
):
    for name, url in (("Closed", "http://127.0.0.1:9"), ("Metadata", "http://169.254.169.254")):
        db_session.add(Peer(name=name, base_url=url))
    db_session.commit()
    monkeypatch.setitem(app.config, "MOOC_ALLOW_PRIVATE_PEERS", True)  # the port is tried
    [closed] = harvest_peers("Closed")
    monkeypatch.setitem(app.config, "MOOC_ALLOW_PRIVATE_PEERS", False)
    [metadata] = harvest_peers("Metadata", transport=Recorder())
    tail = " could not be reached (or its address is not a public one)."
    assert closed.error.endswith(tail) and metadata.error.endswith(tail)
    assert closed.error.removeprefix("http://127.0.0.1:9") == metadata.error.removeprefix(
        "http://169.254.169.254"
    )


def test_addresses_are_checked_after_resolution(app, dns):
    assert [str(a) for a in peer_addresses("https://mooc.example/x")] == ["93.184.215.14"]
