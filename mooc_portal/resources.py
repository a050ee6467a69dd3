"""Where the portal's templates, static files, migrations and translations live.

In a built wheel they are inside the package (``mooc_portal/templates``...); in a source
checkout (and an editable install) they sit beside the package at the top of the repository.
"""

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    """Return the directory holding the portal's ``name`` resources (``"templates"``...)."""
    inside = _PACKAGE / name
    if inside.is_dir():
        return inside
    return _PACKAGE.parent / name
