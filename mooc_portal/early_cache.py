"""Cached anonymous pages answered before Flask runs (the standalone portal's WSGI middleware).

A visitor who sends no cookie but the time zone's (``mooc_tz``) and no credentials is not
logged in, has no session and no flashed message, so the page they get depends only on the
URL, the language their browser prefers and their time zone. For them :class:`EarlyPageCache`
answers from the shared page cache without a request context, a session, Flask-Login,
Flask-Limiter, a database connection or the after-request hooks: with Redis, one Redis read
(the catalog's version; the entry itself is kept in the process once fetched, as it never
changes for its version).

What it serves is what Flask answered: on a miss the request goes through Flask, whose
:func:`mooc_portal.caching.cached_page` marks the page it cached; this middleware then keeps
that body with the response's headers (security headers, ``Cache-Control``, ``Vary``, HSTS)
and its gzip and brotli forms. Per response only the request id and, on pages with the
language switcher, the visitor's CSRF token and the session cookie holding it are new: the
token is made exactly as Flask-WTF makes it, and the gzip form is assembled around it (a
stored deflate block), so a compressed page is not compressed again.

Entries carry the catalog's version and are served only while it is current and younger than
``MOOC_CACHE_TIMEOUT``; anything else (a stale entry, Redis out of reach, a cookie, a POST)
goes to Flask, whose rules then apply as before.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import hashlib
import logging
import os
import struct
import time
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any, cast
from urllib.parse import unquote

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer
from werkzeug.datastructures import Accept, LanguageAccept, MIMEAccept
from werkzeug.http import dump_cookie, parse_accept_header, parse_cookie

from mooc_portal.metrics import EARLY_CACHE_RESPONSES

log = logging.getLogger(__name__)

# Set on the WSGI environ: the early key of a request this middleware could answer (for
# cached_page), and the entry cached_page served for it (for this middleware to keep).
ENVIRON_KEY = "mooc.early_cache.key"
ENVIRON_ENTRY = "mooc.early_cache.entry"
# Cookies that do not make a visitor's page their own: the time zone is part of the key.
_NEUTRAL_COOKIES = frozenset({"mooc_tz"})
# Headers of Flask's response that are not the page's but the request's.
_PER_RESPONSE = frozenset(
    {"set-cookie", "x-request-id", "content-length", "content-encoding", "etag", "date"}
)
_LOCAL_ENTRIES = 256
_MEMO_SIZE = 512
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # no name, no mtime, unknown OS


class EarlyPageCache:
    """WSGI middleware in front of ``app.wsgi_app``; installed by ``install_host``."""

    def __init__(self, app: Flask, wsgi_app: Callable[..., Iterable[bytes]]) -> None:
        from mooc_portal.caching import CSRF_PLACEHOLDER, KEPT_STALE

        self.app = app
        self.wsgi_app = wsgi_app
        self.placeholder = CSRF_PLACEHOLDER.encode()
        self.languages = list(app.config["MOOC_LANGUAGES"])
        self.timeout = int(app.config["MOOC_CACHE_TIMEOUT"])
        self.kept = self.timeout * KEPT_STALE
        self.shared = bool(app.config["MOOC_CACHE_REDIS_URL"])
        self.local: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._languages_of: dict[str, str] = {}
        self._encodings_of: dict[str, tuple[bool, bool]] = {}
        self._tokens: (
            tuple[URLSafeTimedSerializer, URLSafeTimedSerializer, str, dict[str, Any]] | None
        ) = None
        self.watch = VersionWatch(app)

    # The request --------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        key = self.key(environ)
        if key is None:
            return self.wsgi_app(environ, start_response)
        try:
            entry = self.lookup(key, environ)
        except Exception:  # Redis or the database out of reach: Flask answers and says so
            log.warning("early page cache unavailable", exc_info=True)
            return self.wsgi_app(environ, start_response)
        if entry is not None and (self.fresh(entry) or not self.lock(key)):
            # An entry older than MOOC_CACHE_TIMEOUT (for the clock) is made again by one
            # request, which holds the lock, while the others are still answered with it.
            return self.answer(entry, environ, start_response)
        environ[ENVIRON_KEY] = key
        try:
            return self.record(key, environ, start_response)
        finally:
            if entry is not None:
                self.backend().delete(f"lock:{key}")

    def key(self, environ: dict[str, Any]) -> str | None:
        """The cache key of an anonymous GET or HEAD without a session, else None."""
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return None
        if "HTTP_AUTHORIZATION" in environ:
            return None
        if _prefers_json(environ.get("HTTP_ACCEPT", "")):
            return None  # a page's JSON form (an institution's Profile) is Flask's to answer
        zone = ""
        if environ.get("HTTP_COOKIE"):
            cookies = parse_cookie(environ)
            if not _NEUTRAL_COOKIES.issuperset(cookies):
                return None
            zone = self.timezone(cookies.get("mooc_tz", ""))
        place = "|".join(
            (
                environ.get("wsgi.url_scheme", ""),
                environ.get("HTTP_HOST", ""),
                environ.get("SCRIPT_NAME", ""),
                environ.get("PATH_INFO", ""),
                environ.get("QUERY_STRING", ""),
                self.language(environ.get("HTTP_ACCEPT_LANGUAGE", "")),
                zone,
            )
        )
        return "early:" + hashlib.sha256(place.encode("utf-8", "surrogateescape")).hexdigest()[:32]

    def language(self, header: str) -> str:
        """What the portal's locale selector picks for a visitor without a session."""
        language = self._languages_of.get(header)
        if language is None:
            accepted = parse_accept_header(header, LanguageAccept)
            language = accepted.best_match(self.languages) or self.languages[0]
            _memo(self._languages_of, header, language)
        return language

    def timezone(self, cookie: str) -> str:
        from zoneinfo import available_timezones

        from mooc_portal.extension import _timezones

        zone = unquote(cookie)
        return zone if zone and zone in _timezones(available_timezones) else ""

    # Reading and answering ----------------------------------------------------------------

    def backend(self) -> Any:
        """Flask-Caching's backend (cachelib) of the portal's cache: usable without a context."""
        cache = self.app.extensions["mooc_portal"].extras["cache"]
        return self.app.extensions["cache"][cache]

    def lookup(self, key: str, environ: dict[str, Any] | None = None) -> dict[str, Any] | None:
        from mooc_portal.caching import GENERATION_KEY, VERSION_ENVIRON_KEY, catalog_version

        backend = self.backend()
        entry: dict[str, Any] | None
        if not self.shared:
            # Each process has its own cache: the version includes the change feed's sequence,
            # read from the database every process shares.
            with self.app.app_context():
                version = catalog_version()
            if environ is not None:
                # A miss goes on to Flask, whose page cache then uses this version rather
                # than reading the feed's sequence a second time in the same request.
                environ[VERSION_ENVIRON_KEY] = version
            entry = backend.get(key)
        elif (entry := self.local.get(key)) is not None:
            watched = self.watch.current(backend)
            if watched is None:
                watched = self.watch.seen(backend.get(GENERATION_KEY) or "0.0")
            version = watched
            if entry["version"] != version or not self.fresh(entry):
                entry = backend.get(key)  # another process may have made it again
        else:
            version, entry = backend.get_many(GENERATION_KEY, key)
            version = self.watch.seen(version or "0.0")
        if entry is None or entry["version"] != version:
            return None
        if self.shared:
            _memo(self.local, key, entry, _LOCAL_ENTRIES)
        return entry

    def lock(self, key: str) -> bool:
        """Whether this request takes the remaking of ``key``'s entry (nobody else has)."""
        try:
            return bool(self.backend().add(f"lock:{key}", 1, timeout=30))
        except Exception:  # Redis went away since the lookup: Flask answers
            return True

    def fresh(self, entry: dict[str, Any]) -> bool:
        made_at: float = entry["made_at"]
        return time.time() - made_at <= self.timeout

    def answer(
        self, entry: dict[str, Any], environ: dict[str, Any], start_response: Any
    ) -> Iterable[bytes]:
        parts: list[bytes] = entry["parts"]
        headers = list(entry["headers"])
        headers.append(("X-Request-Id", _request_id(environ)))
        brotli_ok, gzip_ok = self.encodings(environ.get("HTTP_ACCEPT_ENCODING", ""))
        encoding = None
        if len(parts) == 1:
            if brotli_ok and entry["br"] is not None:
                encoding, body = "br", entry["br"]
            elif gzip_ok and entry["gzip"] is not None:
                encoding, body = "gzip", entry["gzip"]
            else:
                body = parts[0]
            etag = entry["etag"]
            variant = _etag_variant(etag, encoding)
            headers.append(("ETag", variant))
            if _matches(environ.get("HTTP_IF_NONE_MATCH"), etag, variant):
                start_response("304 Not Modified", _not_modified(headers))
                EARLY_CACHE_RESPONSES.labels("not-modified").inc()
                return []
        else:
            raw, token, cookie = self.csrf_token()
            headers.append(("Set-Cookie", cookie))
            # As caching._serve: the copy's ETag holds its session's token and its age.
            mark = hashlib.sha256(f"{raw}|{int(time.time() // 1800)}".encode()).hexdigest()[:8]
            headers.append(("ETag", f'{entry["etag"][:-1]}-{mark}"'))
            if gzip_ok and entry["gzip"] is not None:
                encoding, body = "gzip", _gzip_around(parts, entry["gzip"], token)
            else:
                body = token.join(parts)
        if encoding:
            headers.append(("Content-Encoding", encoding))
        headers.append(("Content-Length", str(len(body))))
        start_response("200 OK", headers)
        EARLY_CACHE_RESPONSES.labels(encoding or "identity").inc()
        return [] if environ["REQUEST_METHOD"] == "HEAD" else [body]

    def encodings(self, header: str) -> tuple[bool, bool]:
        """Whether the client takes brotli and gzip (as Flask-Compress decides)."""
        known = self._encodings_of.get(header)
        if known is None:
            accepted = parse_accept_header(header, Accept)
            known = (accepted["br"] > 0, accepted["gzip"] > 0)
            _memo(self._encodings_of, header, known)
        return known

    def csrf_token(self) -> tuple[str, bytes, str]:
        """A new session's CSRF token and its session cookie, as Flask-WTF and Flask make them."""
        if self._tokens is None:
            app = self.app
            secret: str | bytes | None = app.config.get("WTF_CSRF_SECRET_KEY") or app.secret_key
            if secret is None:
                raise RuntimeError("CSRF tokens need a secret key (SECRET_KEY).")
            # Only Flask's own cookie sessions get here (keep() leaves the others to Flask).
            interface = cast(SecureCookieSessionInterface, app.session_interface)
            signer = interface.get_signing_serializer(app)
            if signer is None:
                raise RuntimeError("CSRF tokens need a secret key (SECRET_KEY).")
            cookie_attributes = {
                "domain": interface.get_cookie_domain(app),
                "path": interface.get_cookie_path(app),
                "httponly": interface.get_cookie_httponly(app),
                "secure": interface.get_cookie_secure(app),
                "samesite": interface.get_cookie_samesite(app),
                "partitioned": interface.get_cookie_partitioned(app),
            }
            name = interface.get_cookie_name(app)
            self._tokens = (
                URLSafeTimedSerializer(secret, salt="wtf-csrf-token"),
                signer,
                name,
                cookie_attributes,
            )
        tokens, signer, name, attributes = self._tokens
        field = self.app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
        raw = hashlib.sha1(os.urandom(64)).hexdigest()
        cookie = dump_cookie(name, signer.dumps({field: raw}), **attributes)
        return raw, tokens.dumps(raw).encode(), cookie

    # Keeping what Flask answered ----------------------------------------------------------

    def record(self, key: str, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        captured: list[Any] = []

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured[:] = [status, headers]
            return start_response(status, headers, exc_info)

        result = self.wsgi_app(environ, capture)
        made: tuple[dict[str, Any], bool] | None = environ.get(ENVIRON_ENTRY)
        if made is not None and captured and captured[0].startswith("200"):
            entry, shared = made
            try:
                self.keep(key, entry, shared, captured[1])
            except Exception:
                log.warning("early page cache: entry not kept", exc_info=True)
        return result

    def keep(
        self, key: str, entry: dict[str, Any], shared: bool, headers: list[tuple[str, str]]
    ) -> None:
        own_sessions = not isinstance(self.app.session_interface, SecureCookieSessionInterface)
        if own_sessions and self.placeholder in entry["body"]:
            return  # a host's own sessions: their cookie cannot be made here
        parts = entry["body"].split(self.placeholder)
        kept = [(k, v) for k, v in headers if k.lower() not in _PER_RESPONSE]
        kept = [(k, _vary(v) if k.lower() == "vary" else v) for k, v in kept]
        if not any(k.lower() == "vary" for k, _ in kept):
            kept.append(("Vary", "Accept-Encoding"))
        compress = self.compressible(kept, entry["body"])
        early = {
            "version": entry["version"],
            "made_at": entry["made_at"],
            "parts": parts,
            "headers": kept,
            "etag": f'"{entry["etag"]}"' if shared else f'W/"{entry["etag"]}"',
            "gzip": None,
            "br": None,
        }
        if compress and len(parts) == 1:
            import brotli

            early["gzip"] = gzip.compress(parts[0], compresslevel=6, mtime=0)
            early["br"] = brotli.compress(
                parts[0], quality=int(self.app.config["COMPRESS_BR_LEVEL"])
            )
        elif compress:
            early["gzip"] = [
                _deflate(part, last=n == len(parts) - 1) for n, part in enumerate(parts)
            ]
        # Kept beyond MOOC_CACHE_TIMEOUT, as the page cache's entries are, to be served while
        # one request makes it again.
        self.backend().set(key, early, timeout=self.kept)
        if self.shared:
            _memo(self.local, key, early, _LOCAL_ENTRIES)

    def compressible(self, headers: list[tuple[str, str]], body: bytes) -> bool:
        mimetypes = self.app.config.get("COMPRESS_MIMETYPES", [])
        content_type = next((v for k, v in headers if k.lower() == "content-type"), "")
        mimetype = content_type.split(";", 1)[0].strip()
        return mimetype in mimetypes and len(body) >= int(
            self.app.config.get("COMPRESS_MIN_SIZE", 500)
        )


class VersionWatch:
    """The catalog's version as Redis pushes it to this process, so that a cached page costs
    no Redis round trip (on a loaded host, waiting for Redis to be scheduled was most of an
    early hit's time).

    Every new generation is published on a channel (``caching.bump_generation``). The watch
    subscribes (once per process: gunicorn forks), reads the key once Redis has confirmed the
    subscription (so no change falls between), and then only polls its socket, without
    waiting, for new messages.
    Redis writes the message to every subscriber before it answers the publisher, so a change
    is known here before the request that made it has answered. The version it knows is
    trusted for at most ``REFRESH`` seconds since it was last read or confirmed: then (and
    whenever the subscription fails) the caller reads the key as before, so a writer that does
    not publish, or a lost connection, can leave a page stale for a second at most.
    """

    REFRESH = 1.0
    RETRY = 30.0

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.pid = 0
        self.pubsub: Any = None
        self.version: str | None = None
        self.checked = 0.0
        self.retry_at = 0.0  # after a failed subscription, the key is read until then

    def current(self, backend: Any) -> str | None:
        """The version, if known without asking Redis; None: read the key (then :meth:`seen`)."""
        try:
            if self.pid != os.getpid() or self.pubsub is None:
                if time.monotonic() >= self.retry_at or self.pid != os.getpid():
                    self._subscribe(backend)
                return None
            while (message := self.pubsub.get_message(timeout=0)) is not None:
                if message["type"] == "message":
                    self.version = message["data"].decode()
        except Exception:  # Redis went away: read the key (which fails, and Flask answers)
            self._close()
            self.retry_at = time.monotonic() + self.RETRY
            return None
        if self.version is None or time.monotonic() - self.checked > self.REFRESH:
            return None
        return self.version

    def seen(self, version: str) -> str:
        """The version just read from the key: trusted again for ``REFRESH`` seconds."""
        self.version = version
        self.checked = time.monotonic()
        return version

    def _subscribe(self, backend: Any) -> None:
        from mooc_portal.caching import generation_channel

        self._close()
        self.pid = os.getpid()
        self.retry_at = time.monotonic() + self.RETRY  # unless it succeeds
        pubsub = backend._read_client.pubsub()
        pubsub.subscribe(generation_channel(self.app))
        # Subscribed once Redis confirms it: only then is reading the key safe (a change
        # published after that read arrives as a message).
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:
            message = pubsub.get_message(timeout=0.1)
            if message is not None and message["type"] == "subscribe":
                self.pubsub, self.version = pubsub, None
                return
        pubsub.close()

    def _close(self) -> None:
        if self.pubsub is not None:
            with contextlib.suppress(Exception):
                self.pubsub.close()
        self.pubsub, self.version = None, None


def install_early_cache(app: Flask) -> None:
    """Answer cached anonymous pages before Flask (``MOOC_CACHE_EARLY``)."""
    if app.config["MOOC_CACHE_EARLY"]:
        # Flask's documented way to add WSGI middleware; mypy sees a method replaced.
        app.wsgi_app = EarlyPageCache(app, app.wsgi_app)  # type: ignore[method-assign]


def _memo(store: Any, key: str, value: Any, size: int = _MEMO_SIZE) -> None:
    store[key] = value
    if len(store) > size:
        if isinstance(store, OrderedDict):
            store.popitem(last=False)
        else:
            store.pop(next(iter(store)))


def _request_id(environ: dict[str, Any]) -> str:
    from mooc_portal.operations import valid_request_id

    given = environ.get("HTTP_X_REQUEST_ID", "")
    return given if valid_request_id(given) else os.urandom(16).hex()


@functools.lru_cache(maxsize=256)
def _prefers_json(header: str) -> bool:
    """Whether ``Accept`` prefers JSON to HTML (a verifier dereferencing a Profile): pages that
    negotiate answer JSON then, which the cache of HTML pages must not answer for them."""
    if "json" not in header:
        return False
    best = parse_accept_header(header, MIMEAccept).best_match(
        ["text/html", "application/json", "application/ld+json"]
    )
    return best is not None and best != "text/html"


def _vary(value: str) -> str:
    return value if "accept-encoding" in value.lower() else f"{value}, Accept-Encoding"


def _etag_variant(etag: str, encoding: str | None) -> str:
    # As Flask-Compress: a strong ETag names the encoding, a weak one stays.
    if encoding is None or etag.startswith("W/"):
        return etag
    return f'{etag[:-1]}:{encoding}"'


def _matches(header: str | None, *etags: str) -> bool:
    if not header:
        return False
    given = {tag.strip() for tag in header.split(",")}
    if "*" in given:
        return True
    weak = {tag.removeprefix("W/") for tag in given}
    return any(tag.removeprefix("W/") in weak for tag in etags)


def _not_modified(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    dropped = {"content-type", "content-language", "content-length"}
    return [(k, v) for k, v in headers if k.lower() not in dropped]


def _deflate(data: bytes, *, last: bool) -> bytes:
    """Raw deflate blocks of ``data`` that refer to nothing before them; byte-aligned."""
    compressor = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush(
        zlib.Z_FINISH if last else zlib.Z_SYNC_FLUSH
    )


def _gzip_around(parts: list[bytes], deflated: list[bytes], token: bytes) -> bytes:
    """The gzip member of ``token.join(parts)`` from the parts' deflate blocks: the token goes
    in as a stored block (RFC 1951, 3.2.4) between them."""
    stored = b"\x00" + struct.pack("<HH", len(token), len(token) ^ 0xFFFF) + token
    chunks = [_GZIP_HEADER]
    crc = 0
    for n, (part, blocks) in enumerate(zip(parts, deflated, strict=True)):
        if n:
            chunks.append(stored)
            crc = zlib.crc32(token, crc)
        chunks.append(blocks)
        crc = zlib.crc32(part, crc)
    size = sum(map(len, parts)) + len(token) * (len(parts) - 1)
    chunks.append(struct.pack("<II", crc, size & 0xFFFFFFFF))
    return b"".join(chunks)
