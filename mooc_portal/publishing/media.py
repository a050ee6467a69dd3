"""Course images and institution logos: checked for type (by their bytes, not their name) and
size before storing.

Where they live is ``MOOC_MEDIA_STORAGE``: ``"database"`` (the default: in ``mooc_media_file``,
so every host of the portal serves them), ``"s3"`` (an S3-compatible object store through
boto3, ``MOOC_MEDIA_S3_*``: every host serves them, or the store itself at
``MOOC_MEDIA_S3_PUBLIC_URL``) or ``"disk"`` (``MOOC_MEDIA_DIR``, default ``<instance>/media``:
one host only, for a single-host installation). Each image has a random name that is never
reused, so its bytes never change and it can be cached for a year.
"""

from __future__ import annotations

import secrets
from io import BytesIO
from pathlib import Path
from typing import IO, Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import event, func, select
from sqlalchemy.orm import scoped_session

from mooc_portal.appctx import current_flask_app
from mooc_portal.db import get_session, session
from mooc_portal.errors import InvalidInput, NotFound

DEFAULT_MAX_IMAGE_BYTES = 2 * 1024 * 1024
SIGNATURES = {
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpg": (b"\xff\xd8\xff",),
    "webp": (b"RIFF",),
}
CONTENT_TYPES = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp"}
STORAGES = ("database", "disk", "s3")
IMMUTABLE = "public, max-age=31536000, immutable"
"""A name's bytes never change: browsers, proxies and the object store may keep them a year."""


def media_dir() -> Path:
    configured = current_app.config.get("MOOC_MEDIA_DIR")
    path = Path(configured) if configured else Path(current_app.instance_path) / "media"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _storage() -> str:
    storage = current_app.config.get("MOOC_MEDIA_STORAGE") or "database"
    if storage not in STORAGES:
        raise RuntimeError(f"MOOC_MEDIA_STORAGE must be one of {', '.join(STORAGES)}.")
    return storage


def s3_client() -> Any:
    """The app's boto3 S3 client, made once per application and settings (boto3 clients are
    thread-safe)."""
    config = current_app.config
    if not config.get("MOOC_MEDIA_S3_BUCKET"):
        raise RuntimeError('MOOC_MEDIA_STORAGE = "s3" needs MOOC_MEDIA_S3_BUCKET.')
    settings = tuple(
        config.get(f"MOOC_MEDIA_S3_{name}") or None
        for name in ("ENDPOINT_URL", "REGION", "ACCESS_KEY_ID", "SECRET_ACCESS_KEY")
    )
    extras = current_app.extensions["mooc_portal"].extras
    made = extras.get("s3")
    if made is None or made[0] != settings:
        import boto3
        from botocore.config import Config

        endpoint, region, key, secret = settings
        client = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name=region,
            aws_access_key_id=key,
            aws_secret_access_key=secret,
            config=Config(
                connect_timeout=5, read_timeout=10, retries={"max_attempts": 3, "mode": "standard"}
            ),
        )
        made = extras["s3"] = (settings, client)
    return made[1]


def _s3_key(name: str) -> str:
    return f"{current_app.config.get('MOOC_MEDIA_S3_PREFIX') or ''}{name}"


def public_image_url(name: str) -> str | None:
    """Where the object store itself serves the image ``name`` (``MOOC_MEDIA_S3_PUBLIC_URL``),
    if the portal is configured to send visitors there; None otherwise."""
    base = current_app.config.get("MOOC_MEDIA_S3_PUBLIC_URL")
    if _storage() != "s3" or not base or not is_media_name(name):
        return None
    return f"{str(base).rstrip('/')}/{_s3_key(name)}"


def image_type(head: bytes) -> str | None:
    if head.startswith(SIGNATURES["png"][0]):
        return "png"
    if head.startswith(SIGNATURES["jpg"][0]):
        return "jpg"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "webp"
    return None


def store_image(stream: IO[bytes]) -> str:
    """Check and store an uploaded image (flushed, in the database by default); returns its
    name. Raises ``InvalidInput`` (field ``image``) for a file too large or not an image."""
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
    _save(name, data)
    return name


def _save(name: str, data: bytes) -> None:
    from mooc_portal.publishing.models import MediaFile

    content_type = CONTENT_TYPES[name.rpartition(".")[2]]
    storage = _storage()
    if storage == "database":
        session.add(MediaFile(name=name, content_type=content_type, size=len(data), data=data))
        session.flush()
    elif storage == "s3":
        s3_client().put_object(
            Bucket=current_app.config["MOOC_MEDIA_S3_BUCKET"],
            Key=_s3_key(name),
            Body=data,
            ContentType=content_type,
            CacheControl=IMMUTABLE,
        )
    else:
        (media_dir() / name).write_bytes(data)


def is_media_name(name: str | None) -> bool:
    """Whether ``name`` is the name :func:`store_image` gives a file (not a URL or a path)."""
    stem, _dot, ext = (name or "").partition(".")
    return ext in CONTENT_TYPES and len(stem) == 32 and all(c in "0123456789abcdef" for c in stem)


def replace_image(stream: IO[bytes], old: str | None) -> str:
    """Store an uploaded image that replaces the course image ``old``; returns its name.

    In the database the old image's row goes in the same transaction (``delete_image``, called
    when the course is changed). A file on disk or in the object store cannot take part in the
    transaction: once it
    commits, ``old`` is deleted (unless another course still shows it); should it roll back
    instead, the new file is deleted, so neither way leaves a file no course refers to.
    """
    from mooc_portal.catalog.models import Course

    name = store_image(stream)
    shared = is_media_name(old) and session.scalar(
        select(func.count(Course.id)).where(Course.image == old)
    )
    _when_transaction_ends(
        on_commit=old if is_media_name(old) and shared <= 1 else None,
        on_rollback=name if _storage() in ("disk", "s3") else None,
    )
    return name


def _delete(name: str | None) -> None:
    if not is_media_name(name):
        return
    if _storage() == "s3":
        s3_client().delete_object(
            Bucket=current_app.config["MOOC_MEDIA_S3_BUCKET"], Key=_s3_key(str(name))
        )
    else:
        (media_dir() / str(name)).unlink(missing_ok=True)


def _when_transaction_ends(*, on_commit: str | None, on_rollback: str | None) -> None:
    """Delete ``on_commit`` after the session's commit, or ``on_rollback`` after a rollback."""
    target: Any = get_session()
    if isinstance(target, scoped_session):
        target = target()  # listen on this request's own Session
    app = current_flask_app()
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


def image_data(name: str) -> tuple[bytes, str]:
    """The stored image's bytes and content type; NotFound for any other name.

    Looked up in the object store first when that is the storage, then in the database, then on
    disk (images stored on disk, and those uploaded before the database storage until
    ``flask portal media-to-database`` copies them)."""
    from mooc_portal.publishing.models import MediaFile

    if not is_media_name(name):
        raise NotFound(_("No such image."))
    content_type = CONTENT_TYPES[name.rpartition(".")[2]]
    if _storage() == "s3":
        stored = _s3_read(name)
        if stored is not None:
            return stored, content_type
    data = session.scalar(select(MediaFile.data).where(MediaFile.name == name))
    if data is not None:
        return data, content_type
    path = media_dir() / name
    if path.is_file():
        return path.read_bytes(), content_type
    raise NotFound(_("No such image."))


def _s3_read(name: str) -> bytes | None:
    from botocore.exceptions import ClientError

    try:
        found = s3_client().get_object(
            Bucket=current_app.config["MOOC_MEDIA_S3_BUCKET"], Key=_s3_key(name)
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            return None
        raise
    body: bytes = found["Body"].read()
    return body


IMAGE_WIDTHS = (320, 640, 960)
"""The widths a course image is offered in (``srcset``), so a phone loads a small one."""
_VARIANT_CACHE_SIZE = 128


def image_variant(name: str, width: int) -> tuple[bytes, str]:
    """The stored image scaled down to ``width`` pixels wide (never up), same type.

    A name's bytes never change, so each process keeps the variants it made (a bounded
    cache); the browser and any proxy keep them for a year as they do the original."""
    if width not in IMAGE_WIDTHS:
        raise NotFound(_("No such image."))
    data, content_type = image_data(name)
    return _scaled(name, data, width), content_type


def _scaled(name: str, data: bytes, width: int) -> bytes:
    key = (name, width)
    if key in _variants:
        return _variants[key]
    from PIL import Image

    with Image.open(BytesIO(data)) as image:
        if image.width <= width:
            scaled = data
        else:
            height = max(1, round(image.height * width / image.width))
            resized = image.resize((width, height), Image.Resampling.LANCZOS)
            out = BytesIO()
            kind = name.rpartition(".")[2]
            if kind == "jpg":
                resized.convert("RGB").save(out, "JPEG", quality=82, optimize=True)
            else:
                resized.save(out, "PNG" if kind == "png" else "WEBP", optimize=True)
            scaled = out.getvalue()
    if len(_variants) >= _VARIANT_CACHE_SIZE:
        _variants.pop(next(iter(_variants)))
    _variants[key] = scaled
    return scaled


_variants: dict[tuple[str, int], bytes] = {}


def delete_image(name: str | None) -> None:
    """Forget a replaced image stored in the database, unless a course still shows it (flushed
    with the change; a file on disk goes when the transaction commits: ``replace_image``)."""
    from mooc_portal.catalog.models import Course
    from mooc_portal.institutions.models import Institution
    from mooc_portal.publishing.models import MediaFile

    if not is_media_name(name):
        return
    if session.scalar(select(Course.id).where(Course.image == name).limit(1)) is not None:
        return
    if session.scalar(select(Institution.id).where(Institution.logo == name).limit(1)):
        return
    stored = session.get(MediaFile, name)
    if stored is not None:
        session.delete(stored)


def move_disk_images_to_database() -> tuple[int, int]:
    """Copy every image of ``MOOC_MEDIA_DIR`` into the database (flushed, not committed);
    returns (copied, already there). The files stay until the operator removes them."""
    from mooc_portal.publishing.models import MediaFile

    copied = present = 0
    for path in sorted(media_dir().glob("*.*")):
        if not is_media_name(path.name):
            continue
        if session.get(MediaFile, path.name) is not None:
            present += 1
            continue
        data = path.read_bytes()
        content_type = CONTENT_TYPES[path.name.rpartition(".")[2]]
        session.add(MediaFile(name=path.name, content_type=content_type, size=len(data), data=data))
        copied += 1
    session.flush()
    return copied, present
