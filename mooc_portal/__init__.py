"""The ASEM MOOC Portal: a Flask application and a Flask extension.

Use :func:`create_app` for the standalone portal, or mount :class:`MoocPortal` in a host
application that already has Flask-SQLAlchemy (and, optionally, Flask-Login).
"""

from mooc_portal.app import create_app
from mooc_portal.extension import MoocPortal

__version__ = "0.1.0"

__all__ = ["MoocPortal", "__version__", "create_app"]
