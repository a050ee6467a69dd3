"""The Open Education API (OOAPI) v5 catalog provider: ``views`` (the blueprint), ``schemas``
(its query parameters) and ``serialize`` (OOAPI objects); the queries are in
``federation/services/ooapi.py``."""

from mooc_portal.federation.ooapi.views import bp

__all__ = ["bp"]
