"""Federation's blueprints: the JSON API (``api_bp``) and the pages (``federation_bp``)."""

from __future__ import annotations

from flask import Blueprint

from mooc_portal.federation.api import bp as api_bp
from mooc_portal.federation.changes import install_change_tracking
from mooc_portal.federation.ooapi import bp as ooapi_bp

install_change_tracking()

federation_bp = Blueprint("federation", __name__)
federation_bp.register_blueprint(ooapi_bp)

__all__ = ["api_bp", "federation_bp"]
