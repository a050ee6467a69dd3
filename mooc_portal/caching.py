"""The shared page cache: anonymous pages and the public JSON lists, one entry per version.

Flask-Caching holds the entries: Redis (``MOOC_CACHE_REDIS_URL``) in production, so every host
shares them; the process's own memory for ``make run`` and the tests. An entry is found by
the whole URL and the visitor's language and time zone, and is served only for the catalog's
version it was made for, so a change is seen on every host at the next request without
anybody deleting entries. The version is ``<feed sequence>.<generation>``:

- the change feed's latest sequence (``mooc_portal/federation/changes.py``): a publish, an edit
  or a withdrawal of the portal's own catalog writes one;
- a generation token in the cache, replaced (with the feed's new sequence in it) after every
  flush and every commit that touches the catalog, the institutions, enrolments or federated
  records (what the feed does not carry: harvested courses, seats left).

With Redis the generation key is the whole version: one small Redis read per request, and an
entry fetched once is kept in the process too (it never changes for its version). Without
Redis every process has its own cache and its own generation, so the feed's sequence is read
from the shared database on every request.

Entries also expire after ``MOOC_CACHE_TIMEOUT`` seconds, because a run's availability follows
the clock. Only visitors who are not logged in and have no flashed message waiting are served
from the cache, so a logged-in page is never another user's entry. A page's CSRF token (the
language switcher's) is kept out of the entry: the entry holds a placeholder that each response
fills with the visitor's own token.
"""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import (
    Flask,
    Response,
    current_app,
    g,
    has_app_context,
    has_request_context,
    make_response,
    request,
)
from flask import session as http_session
from flask_babel import get_timezone
from flask_caching import Cache
from flask_wtf.csrf import generate_csrf
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as WerkzeugResponse

from mooc_portal.appctx import current_flask_app
from mooc_portal.db import listen_once
from mooc_portal.early_cache import ENVIRON_ENTRY, ENVIRON_KEY

CSRF_PLACEHOLDER = "__mooc_csrf_token__"
log = logging.getLogger(__name__)

GENERATION_KEY = "catalog-generation"
_LOCAL_ENTRIES = 256
# How many MOOC_CACHE_TIMEOUTs an entry is kept to be served while one request remakes it.
KEPT_STALE = 10
_CHANGED = "mooc_catalog_changed"
_SEQUENCE = "mooc_catalog_feed_sequence"
# Flushes of objects from these packages change what anonymous pages show.
_WATCHED = (
    "mooc_portal.catalog.",
    "mooc_portal.institutions.",
    "mooc_portal.enrollment.",
    "mooc_portal.federation.",
)
# Headers of a view's response an entry keeps (the body, status 200 and mimetype are kept too).
_KEPT_HEADERS = ("Link", "Last-Modified", "Content-Language")


def install_caching(app: Flask) -> Cache:
    """Create the portal's cache for ``app`` (kept in the portal's state as ``cache``)."""
    redis_url = app.config["MOOC_CACHE_REDIS_URL"]
    config: dict[str, Any] = {
        "CACHE_DEFAULT_TIMEOUT": int(app.config["MOOC_CACHE_TIMEOUT"]),
        "CACHE_KEY_PREFIX": app.config["MOOC_CACHE_KEY_PREFIX"],
    }
    if redis_url:
        config.update(CACHE_TYPE="RedisCache", CACHE_REDIS_URL=redis_url)
    else:
        config.update(CACHE_TYPE="SimpleCache", CACHE_THRESHOLD=2000)
    cache = Cache(config=config)
    cache.init_app(app, config=config)
    return cache


def portal_cache(app: Flask | None = None) -> Cache:
    app = app or current_flask_app()
    cache: Cache = app.extensions["mooc_portal"].extras["cache"]
    return cache


def _shared(app: Flask | None = None) -> bool:
    app = app or current_flask_app()
    return bool(app.config["MOOC_CACHE_REDIS_URL"])


def _feed_sequence() -> int:
    from mooc_portal.db import session
    from mooc_portal.federation.models import ChangeEntry

    return session.scalar(select(func.max(ChangeEntry.sequence))) or 0


VERSION_ENVIRON_KEY = "mooc_portal.catalog_version"
"""Where the early page cache leaves the version it read for a request it passes on."""


def catalog_version() -> str:
    """The public catalog's version: ``<feed sequence>.<generation>``.

    With Redis the generation (written after every catalog change, with the change feed's
    sequence in it) is the whole version: one small Redis read. Without Redis each process has
    its own cache, so the feed's sequence is read from the database, which every process
    shares, once a request: the early page cache's reading is reused."""
    if has_request_context() and VERSION_ENVIRON_KEY in request.environ:
        return str(request.environ[VERSION_ENVIRON_KEY])
    generation = portal_cache().get(GENERATION_KEY) or "0.0"
    if _shared():
        return generation
    return f"{_feed_sequence()}.{generation}"


def bump_generation(app: Flask | None = None, sequence: int | None = None) -> None:
    """Make every cached page stale (on every host sharing the cache)."""
    cache = portal_cache(app)
    if sequence is None:
        sequence = int(str(cache.get(GENERATION_KEY) or "0").split(".", 1)[0] or 0)
    generation = f"{sequence}.{uuid.uuid4().hex[:12]}"
    cache.set(GENERATION_KEY, generation, timeout=0)
    if _shared(app):
        # Tell every process's early page cache at once (early_cache.VersionWatch); one that
        # misses it reads the key again within a second.
        # Flask declares current_app as Flask, not as the LocalProxy it is: mypy does not
        # know the proxy's _get_current_object (the app itself, for the Redis client below).
        target = app or current_app._get_current_object()  # type: ignore[attr-defined]
        try:
            redis = target.extensions["cache"][cache]._write_client
            redis.publish(generation_channel(target), generation)
        except Exception:  # Redis away: the key's set failed too, the pages miss
            log.warning("Could not publish the catalog's new generation", exc_info=True)


def generation_channel(app: Flask | None = None) -> str:
    """The Redis channel on which every new catalog generation is published."""
    # current_app is a LocalProxy that Flask declares as Flask: see bump_generation above.
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    return f"{app.config['MOOC_CACHE_KEY_PREFIX']}{GENERATION_KEY}"


def page_csrf_token() -> str:
    """The ``csrf_token()`` of templates: a placeholder while a page is rendered for the cache."""
    if g.get("mooc_caching_page"):
        return CSRF_PLACEHOLDER
    token: str = generate_csrf()
    return token


def _cacheable() -> bool:
    from mooc_portal.accounts.services import current_account

    if request.method not in ("GET", "HEAD"):
        return False
    if "_flashes" in http_session:
        return False
    return current_account() is None


def _page_key(shared: bool) -> str:
    from mooc_portal.web import current_language

    place = f"{request.url_root}{request.full_path}"
    visitor = "" if shared else f"{current_language()}|{get_timezone()}"
    return "page:" + hashlib.sha256(f"{place}|{visitor}".encode()).hexdigest()[:32]


def _lookup(cache: Cache, key: str) -> tuple[str, dict[str, Any] | None]:
    """The catalog's version and the entry at ``key`` when it was made for that version.

    With Redis, an entry once fetched is also kept in this process (``_LOCAL_ENTRIES``): an
    entry never changes for its version, so only the small version is read from Redis on each
    request, not the page (tens of kilobytes for the API's lists)."""
    if not _shared():
        version, entry = catalog_version(), cache.get(key)
        return version, entry if entry is not None and entry.get("version") == version else None
    version = cache.get(GENERATION_KEY) or "0.0"
    local = _local_entries()
    entry = local.get(key)
    if entry is None or entry.get("version") != version or _stale(entry):
        entry = cache.get(key)
        if entry is None or entry.get("version") != version:
            return version, None
        _remember(local, key, entry)
    return version, entry


def _stale(entry: dict[str, Any]) -> bool:
    made_at: float = entry.get("made_at", 0)
    timeout: float = current_app.config["MOOC_CACHE_TIMEOUT"]
    return time.time() - made_at > timeout


def _local_entries() -> OrderedDict[str, dict[str, Any]]:
    extras = current_app.extensions["mooc_portal"].extras
    entries: OrderedDict[str, dict[str, Any]] = extras.setdefault(
        "cache_local_entries", OrderedDict()
    )
    return entries


def _remember(local: OrderedDict[str, dict[str, Any]], key: str, entry: dict[str, Any]) -> None:
    local[key] = entry
    local.move_to_end(key)
    while len(local) > _LOCAL_ENTRIES:
        local.popitem(last=False)


def cached_page(*, shared: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Serve a view's 200 responses from the cache to visitors who are not logged in.

    ``shared``: the response is the same for everybody (the JSON APIs): no language, time zone
    or CSRF token in it (a strong ETag, no ``Vary: Cookie``). Every response carries an ETag
    and ``no-cache``: a browser or reverse proxy may store it, revalidates it before each use
    and gets a 304 while nothing changed.
    """

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not _cacheable():
                return view(*args, **kwargs)
            cache = portal_cache()
            key = _page_key(shared)
            version, entry = _lookup(cache, key)
            # An entry older than MOOC_CACHE_TIMEOUT (for the clock: availability) is made
            # again by one request while the others are still served it, so that entries
            # expiring do not send every worker to the database at once. A new catalog version
            # is never served stale: its entries do not exist yet.
            remake = entry is not None and _stale(entry) and cache.add(f"lock:{key}", 1, 30)
            if entry is None or remake:
                g.mooc_caching_page = True
                try:
                    response = make_response(view(*args, **kwargs))
                finally:
                    g.mooc_caching_page = False
                    if remake:
                        cache.delete(f"lock:{key}")
                if response.status_code != 200 or response.is_streamed:
                    return response
                entry = _entry(response, version)
                timeout = int(current_app.config["MOOC_CACHE_TIMEOUT"])
                cache.set(key, entry, timeout=timeout * KEPT_STALE)
                if _shared():
                    _remember(_local_entries(), key, entry)
            if ENVIRON_KEY in request.environ and not _stale(entry):
                # The early cache (early_cache.py) keeps it for the next visitor like this one.
                request.environ[ENVIRON_ENTRY] = (entry, shared)
            return _serve(entry, shared)

        return wrapper

    return decorate


def _entry(response: Response, version: str) -> dict[str, Any]:
    body = response.get_data()
    return {
        "version": version,
        "made_at": time.time(),
        "body": body,
        "mimetype": response.mimetype,
        "headers": [(k, v) for k, v in response.headers.items() if k in _KEPT_HEADERS],
        "etag": hashlib.sha256(body).hexdigest()[:32],
    }


def _serve(entry: dict[str, Any], shared: bool) -> WerkzeugResponse:
    body: bytes = entry["body"]
    etag: str = entry["etag"]
    placeholder = CSRF_PLACEHOLDER.encode()
    if placeholder in body:
        token = generate_csrf()
        body = body.replace(placeholder, token.encode())
        # A browser's copy keeps its token: revalidation matches only while the session's token
        # is the same and the copy's token is young (Flask-WTF's tokens expire after an hour).
        raw = str(http_session.get("csrf_token", ""))
        etag += "-" + hashlib.sha256(f"{raw}|{int(time.time() // 1800)}".encode()).hexdigest()[:8]
    response = current_app.response_class(body, mimetype=entry["mimetype"])
    for name, value in entry["headers"]:
        response.headers[name] = value
    response.set_etag(etag, weak=not shared)
    # Stored by browsers and proxies alike, and revalidated before each use (a 304 while the
    # catalog's version is the same): a publish must show at once. Personal pages never get
    # here (mooc_portal/security.py marks them no-store).
    response.headers["Cache-Control"] = "no-cache"
    if not shared:
        response.vary.update(("Cookie", "Accept-Language"))
    return response.make_conditional(request)


# Invalidation -----------------------------------------------------------------------------


def _watched(obj: Any) -> bool:
    return type(obj).__module__.startswith(_WATCHED)


def _after_flush(session: Session, _context: Any) -> None:
    from mooc_portal.federation.models import ChangeEntry

    if any(_watched(o) for o in (*session.new, *session.dirty, *session.deleted)):
        sequences = [o.sequence for o in session.new if isinstance(o, ChangeEntry)]
        if sequences:
            session.info[_SEQUENCE] = max(sequences)
        session.info[_CHANGED] = True
        _bump(session.info.get(_SEQUENCE))


def _after_commit(session: Session) -> None:
    # Again after the commit: a page cached between the flush and the commit showed the old data.
    if session.info.pop(_CHANGED, False):
        _bump(session.info.pop(_SEQUENCE, None))


def _after_rollback(session: Session) -> None:
    session.info.pop(_CHANGED, None)
    session.info.pop(_SEQUENCE, None)


def _bump(sequence: int | None) -> None:
    if has_app_context() and "mooc_portal" in current_app.extensions:
        extras = current_app.extensions["mooc_portal"].extras
        if "cache" in extras:
            bump_generation(sequence=sequence)


def install_cache_invalidation(session_class: type[Session]) -> None:
    """Bump the cache's generation after the portal's sessions change what pages show
    (``init_app`` calls it with the portal's session class; idempotent)."""
    for name, listener in (
        ("after_flush", _after_flush),
        ("after_commit", _after_commit),
        ("after_rollback", _after_rollback),
    ):
        listen_once(session_class, name, listener)
