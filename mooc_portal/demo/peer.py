"""The demo's peer portal: a few federated courses, so the catalog shows courses "From <peer>".

One peer is registered, **disabled**, at ``http://127.0.0.1:5001``: the address a second demo
portal would have (``PORT=5001 MOOC_DATABASE_URL=sqlite:////tmp/peer.db make run``). Its courses
come from the canned snapshot below, applied by the real harvest code
(``federation.harvest.apply_snapshot``), not by a network call. ``flask portal harvest`` leaves
the disabled peer alone; an administrator who starts a second portal there may enable it on the
peers page, and the next harvest reconciles against what that portal really publishes (``make
run`` allows peers on private addresses, ``MOOC_ALLOW_PRIVATE_PEERS``, for this).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from mooc_portal.db import session
from mooc_portal.federation.harvest import apply_snapshot
from mooc_portal.federation.models import Peer
from mooc_portal.federation.services import SNAPSHOT_FORMAT

if TYPE_CHECKING:
    from mooc_portal.demo import DemoContext

PEER_NAME = "Demo Peer Portal"
PEER_URL = "http://127.0.0.1:5001"
_NAMESPACE = uuid.UUID("5e0f6c1e-3d5c-4b7e-9a51-7a1d2c0de5a5")


def _id(name: str) -> str:
    """A stable public id for a record of the canned snapshot."""
    return str(uuid.uuid5(_NAMESPACE, name))


def _at(moment: datetime) -> str:
    return moment.isoformat()


def _institution(slug: str, name: str, country: str, language: str, local: str) -> dict[str, Any]:
    return {
        "id": _id(slug),
        "slug": slug,
        "name": {"en": name, language: local},
        "original_language": "en",
        "country": country,
        "website": None,
        "url": f"{PEER_URL}/institutions/{slug}",
    }


def _run(course: str, now: datetime, start_in_days: int, weeks: int) -> dict[str, Any]:
    start = now + timedelta(days=start_in_days)
    return {
        "id": _id(f"{course}/run/{start_in_days}"),
        "course": _id(course),
        "start_at": _at(start),
        "end_at": _at(start + timedelta(weeks=weeks)),
        "enrollment_start_at": _at(now - timedelta(days=30)),
        "enrollment_end_at": _at(start + timedelta(weeks=weeks) - timedelta(days=1)),
        "capacity": None,
        "requires_approval": False,
        "delivery_mode": "online",
        "cancelled": False,
    }


def _course(
    slug: str,
    institution: str,
    title: str,
    summary: str,
    subjects: list[str],
    runs: list[dict[str, Any]],
    **fields: Any,
) -> dict[str, Any]:
    return {
        "id": _id(slug),
        "institution": _id(institution),
        "code": slug.upper()[:20],
        "slug": slug,
        "title": {"en": title},
        "summary": {"en": summary},
        "original_language": "en",
        "subjects": subjects,
        "level": fields.pop("level", "introductory"),
        "pace": fields.pop("pace", "instructor_led"),
        "teaching_languages": fields.pop("teaching_languages", ["en"]),
        "effort_hours": 4,
        "length_weeks": 6,
        "url": f"{PEER_URL}/courses/{slug}",
        "runs": runs,
        **fields,
    }


def canned_snapshot(now: datetime) -> dict[str, Any]:
    """What the demo peer's ``/api/v1/export`` would answer, with dates relative to ``now``."""
    helsinki, auckland = "helsinki-open-campus", "auckland-digital-learning"
    return {
        "format": SNAPSHOT_FORMAT,
        "version": 1,
        "generated_at": _at(now),
        "cursor": "demo-peer-snapshot",
        "institutions": [
            _institution(helsinki, "Helsinki Open Campus", "FI", "fi", "Helsingin avoin kampus"),
            _institution(auckland, "Auckland Digital Learning", "NZ", "mi", "Ako Matihiko"),
        ],
        "courses": [
            _course(
                "arctic-climate-science",
                helsinki,
                "Arctic Climate Science",
                "How the Arctic is warming, and what it means for the rest of the planet.",
                ["0521", "0532"],
                [_run("arctic-climate-science", now, 7, 6)],
                # Its recognition travels with it (issue 14): the course page shows it.
                recognition={
                    "workload_hours": 27,
                    "eqf_level": 6,
                    "national_framework": "Finnish National Qualifications Framework, level 6",
                    "assessment": "automated",
                    "identity_check": False,
                    "quality_assurance": "Finnish Education Evaluation Centre",
                    "prerequisites": None,
                    "stackable": True,
                    "audiences": ["lifelong_learning"],
                },
            ),
            _course(
                "elements-of-ai-ethics",
                helsinki,
                "Elements of AI Ethics",
                "Fairness, accountability and transparency in everyday AI systems.",
                ["0613"],
                [_run("elements-of-ai-ethics", now, 21, 5)],
                level="intermediate",
            ),
            _course(
                "pacific-economies",
                auckland,
                "Economies of the Pacific Rim",
                "Trade, tourism and development across the island economies of the Pacific.",
                ["0311"],
                [_run("pacific-economies", now, 3, 8)],
            ),
        ],
    }


def add_demo_peer(context: DemoContext) -> None:
    """Register the disabled demo peer and store its canned snapshot's courses as federated."""
    peer = Peer(name=PEER_NAME, base_url=PEER_URL, enabled=False)
    session.add(peer)
    session.flush()
    apply_snapshot(peer, canned_snapshot(context.now))
