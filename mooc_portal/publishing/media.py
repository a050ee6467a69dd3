"""Course images: checked for type (by their bytes, not their name) and size before storing.

Files live in ``MOOC_MEDIA_DIR`` (default: ``<instance>/media``) under a random name.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import IO, Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import event, func, select
from sqlalchemy.orm import scoped_session

from mooc_portal.db import get_session, session
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


def is_media_name(name: str | None) -> bool:
    """Whether ``name`` is the name :func:`store_image` gives a file (not a URL or a path)."""
    stem, _dot, ext = (name or "").partition(".")
    return ext in CONTENT_TYPES and len(stem) == 32 and all(c in "0123456789abcdef" for c in stem)


def replace_image(stream: IO[bytes], old: str | None) -> str:
    """Store an uploaded image that replaces the course image ``old``; returns its name.

    Once the transaction commits, ``old`` is deleted (unless another course still shows it);
    should it roll back instead, the new file is deleted, so neither way leaves a file no
    course refers to.
    """
    from mooc_portal.catalog.models import Course

    name = store_image(stream)
    shared = is_media_name(old) and session.scalar(
        select(func.count(Course.id)).where(Course.image == old)
    )
    _when_transaction_ends(
        on_commit=old if is_media_name(old) and shared <= 1 else None, on_rollback=name
    )
    return name


def _delete(name: str | None) -> None:
    if is_media_name(name):
        (media_dir() / str(name)).unlink(missing_ok=True)


def _when_transaction_ends(*, on_commit: str | None, on_rollback: str | None) -> None:
    """Delete ``on_commit`` after the session's commit, or ``on_rollback`` after a rollback."""
    target: Any = get_session()
    if isinstance(target, scoped_session):
        target = target()  # listen on this request's own Session
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    done = False  # listeners cannot be removed while the event runs: they retire themselves

    def committed(_session: object) -> None:
        nonlocal done
        if not done:
            done = True
            with app.app_context():
                _delete(on_commit)

    def rolled_back(_session: object, previous: Any) -> None:
        nonlocal done
        if not done and previous.parent is None:  # the whole transaction, not a savepoint
            done = True
            with app.app_context():
                _delete(on_rollback)

    event.listen(target, "after_commit", committed)
    event.listen(target, "after_soft_rollback", rolled_back)


def image_path(name: str) -> tuple[Path, str]:
    """The stored file and its content type; NotFound for any other name."""
    if not is_media_name(name):
        raise NotFound(_("No such image."))
    path = media_dir() / name
    if not path.is_file():
        raise NotFound(_("No such image."))
    return path, CONTENT_TYPES[name.rpartition(".")[2]]
