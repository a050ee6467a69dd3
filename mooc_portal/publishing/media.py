"""Course images: checked for type (by their bytes, not their name) and size before storing.

Files live in ``MOOC_MEDIA_DIR`` (default: ``<instance>/media``) under a random name.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import IO

from flask import current_app
from flask_babel import gettext as _

from mooc_portal.errors import InvalidInput, NotFound

DEFAULT_MAX_IMAGE_BYTES = 2 * 1024 * 1024
SIGNATURES = {
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpg": (b"\xff\xd8\xff",),
    "webp": (b"RIFF",),
}
CONTENT_TYPES = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp"}


def media_dir() -> Path:
    configured = current_app.config.get("MOOC_MEDIA_DIR")
    path = Path(configured) if configured else Path(current_app.instance_path) / "media"
    path.mkdir(parents=True, exist_ok=True)
    return path


def image_type(head: bytes) -> str | None:
    if head.startswith(SIGNATURES["png"][0]):
        return "png"
    if head.startswith(SIGNATURES["jpg"][0]):
        return "jpg"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "webp"
    return None


def store_image(stream: IO[bytes]) -> str:
    """Check and store an uploaded image; returns its stored file name."""
    limit = int(current_app.config.get("MOOC_MAX_IMAGE_BYTES") or DEFAULT_MAX_IMAGE_BYTES)
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise InvalidInput(
            _("The image is larger than %(size)d KB.", size=limit // 1024), field="image"
        )
    kind = image_type(data[:16])
    if kind is None:
        raise InvalidInput(_("Upload a PNG, JPEG or WebP image."), field="image")
    name = f"{secrets.token_hex(16)}.{kind}"
    (media_dir() / name).write_bytes(data)
    return name


def image_path(name: str) -> tuple[Path, str]:
    """The stored file and its content type; NotFound for any other name."""
    stem, _dot, ext = name.partition(".")
    if (
        ext not in CONTENT_TYPES
        or len(stem) != 32
        or not all(c in "0123456789abcdef" for c in stem)
    ):
        raise NotFound(_("No such image."))
    path = media_dir() / name
    if not path.is_file():
        raise NotFound(_("No such image."))
    return path, CONTENT_TYPES[ext]
