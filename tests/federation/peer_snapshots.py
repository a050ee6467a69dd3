"""A peer portal the tests serve: its snapshot of institutions and courses, and the Flask app
that answers the export and an empty change feed with it (harvest and job-metrics tests)."""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify

SNAPSHOT_CURSOR = "Yzo5"


def peer_institution(institution_id: str, slug: str, name: str) -> dict[str, Any]:
    return {
        "id": institution_id,
        "slug": slug,
        "name": {"en": name},
        "original_language": "en",
        "country": "JP",
    }


def peer_course(course_id: str, institution_id: str, code: str, slug: str, title: str) -> dict:
    """A valid course record of the peer's snapshot (no runs)."""
    return {
        "id": course_id,
        "institution": institution_id,
        "code": code,
        "slug": slug,
        "title": {"en": title},
        "original_language": "en",
        "level": "introductory",
        "pace": "self_paced",
        "subjects": ["0613"],
        "teaching_languages": ["en"],
        "runs": [],
    }


def peer_snapshot(institutions: list[Any], courses: list[Any]) -> dict[str, Any]:
    return {
        "format": "asem-mooc-portal/snapshot",
        "cursor": SNAPSHOT_CURSOR,
        "institutions": institutions,
        "courses": courses,
    }


def hostile_peer(snapshot: dict[str, Any]) -> Flask:
    """A peer that serves ``snapshot`` whatever it holds, and a feed with no change after it."""
    peer = Flask("hostile")

    @peer.route("/api/v1/export")
    def export() -> Any:
        return jsonify(snapshot)

    @peer.route("/api/v1/changes")
    def changes() -> Any:
        return jsonify({"changes": [], "next": snapshot["cursor"], "has_more": False})

    return peer
