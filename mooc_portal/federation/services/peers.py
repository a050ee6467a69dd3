"""Peer portals (administrators register, pause and harvest them) and federated origins."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from mooc_portal.accounts.permissions import require_admin
from mooc_portal.catalog.models import Course
from mooc_portal.db import session
from mooc_portal.errors import InvalidInput
from mooc_portal.federation.models import FederatedOrigin
from mooc_portal.numbers import parse_whole_number
from mooc_portal.pagination import Page, PageRequest, paginate


def list_peers(actor: Any, page: PageRequest) -> Page[Any]:
    """One page of the peers, by name, each with its latest harvest run (``peer.latest_run``)
    and the records that run rejected, with their reasons (``peer.latest_rejections``), for
    the admin view (four queries, whatever the page's size)."""
    from mooc_portal.federation.models import HarvestRun, Peer, RejectedRecord

    require_admin(actor)
    peers = paginate(select(Peer).order_by(Peer.name, Peer.id), page)
    ids = [peer.id for peer in peers.items]
    latest = (
        {
            run.peer_id: run
            for run in session.scalars(
                select(HarvestRun).where(
                    HarvestRun.id.in_(
                        select(func.max(HarvestRun.id))
                        .where(HarvestRun.peer_id.in_(ids))
                        .group_by(HarvestRun.peer_id)
                    )
                )
            )
        }
        if ids
        else {}
    )
    rejections: dict[int, list[RejectedRecord]] = {}
    if latest:
        for rejected in session.scalars(
            select(RejectedRecord)
            .where(RejectedRecord.run_id.in_([run.id for run in latest.values()]))
            .order_by(RejectedRecord.id)
        ):
            rejections.setdefault(rejected.run_id, []).append(rejected)
    for peer in peers.items:
        peer.latest_run = latest.get(peer.id)
        peer.latest_rejections = rejections.get(peer.latest_run.id, []) if peer.latest_run else []
    return peers


def register_peer(actor: Any, *, name: str, base_url: str, enabled: bool = True) -> Any:
    """Add a peer portal to harvest (administrators only).

    The base URL loses its query and fragment and must resolve to public addresses only
    (``federation/addresses.py``; ``MOOC_ALLOW_PRIVATE_PEERS`` allows private ones for local
    testing); a refusal says nothing about why, so this form maps no network.
    """
    from mooc_portal.errors import Conflict
    from mooc_portal.federation.addresses import peer_addresses, peer_base_url
    from mooc_portal.federation.models import Peer

    require_admin(actor)
    name = (name or "").strip()
    if not name:
        raise InvalidInput("Give the peer a name.", field="name")
    base_url = peer_base_url(base_url)
    peer_addresses(base_url)
    if session.scalar(select(Peer.id).where(Peer.name == name)) is not None:
        raise Conflict("A peer with this name exists.", field="name")
    peer = Peer(
        name=name,
        base_url=base_url,
        enabled=enabled,
        harvest_interval=int(current_app.config["MOOC_HARVEST_INTERVAL"]),
    )
    session.add(peer)
    session.flush()
    return peer


def set_peer_enabled(actor: Any, peer_id: int, enabled: bool) -> Any:
    from mooc_portal.errors import NotFound
    from mooc_portal.federation.models import Peer

    require_admin(actor)
    peer = session.get(Peer, peer_id)
    if peer is None:
        raise NotFound("No such peer.")
    peer.enabled = enabled
    session.flush()
    return peer


def set_harvest_interval(actor: Any, peer_id: int, minutes: str) -> Any:
    """How often (minutes, 1 to 10,080: a week) the worker harvests the peer; flushes."""
    from mooc_portal.errors import NotFound
    from mooc_portal.federation.models import Peer

    require_admin(actor)
    peer = session.get(Peer, peer_id)
    if peer is None:
        raise NotFound("No such peer.")
    interval = parse_whole_number(
        minutes,
        field="interval",
        minimum=1,
        maximum=10080,
        message="Give the interval in whole minutes, from 1 to 10080 (a week).",
    )
    if peer.next_harvest_at is not None:
        peer.next_harvest_at -= timedelta(minutes=peer.harvest_interval - interval)
    peer.harvest_interval = interval
    session.flush()
    return peer


def harvest_now(actor: Any, peer_id: int) -> bool:
    """Ask the worker to harvest the peer now; False when its harvest already waits or runs."""
    from mooc_portal.errors import NotFound
    from mooc_portal.federation.harvest import request_harvest
    from mooc_portal.federation.models import Peer

    require_admin(actor)
    peer = session.get(Peer, peer_id)
    if peer is None:
        raise NotFound("No such peer.")
    if not peer.enabled:
        from mooc_portal.errors import Conflict

        raise Conflict("This peer is paused: resume it before harvesting it.")
    return request_harvest(peer)


def course_origin(course: Course) -> FederatedOrigin | None:
    """Federation's record of a harvested course (peer, page, harvest time); None for this
    portal's own. Other domains read ``Course.origin`` instead."""
    return session.scalar(select(FederatedOrigin).where(FederatedOrigin.course_id == course.id))


def institution_origin(institution_id: int) -> FederatedOrigin | None:
    """Federation's record of a harvested institution; None for this portal's own partners."""
    return session.scalar(
        select(FederatedOrigin).where(FederatedOrigin.institution_id == institution_id)
    )
