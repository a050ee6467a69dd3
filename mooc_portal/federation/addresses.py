"""Which peer portals the portal talks to: public addresses only (no server-side request forgery).

An administrator registers a peer by its base URL and the harvester then fetches from it. Left
alone, that lets anyone who can register a peer (or control a peer's DNS) make the portal's
server request its own network: ``http://127.0.0.1:6379``, a cloud's metadata service at
``169.254.169.254``, a private ``10.x`` host. So:

- :func:`peer_base_url` keeps ``scheme://host[:port]/path`` only (no credentials, query or
  fragment) and :func:`peer_addresses` resolves the host and refuses it unless *every* address
  is public: not loopback, link-local, private, shared, multicast, reserved or unspecified
  (IPv4-mapped IPv6 addresses are judged as the IPv4 address they carry). IPv4 written in
  decimal, octal, hexadecimal or short form (``2130706433``, ``0x7f.1``, ``127.1``) is read as
  the address the C library would connect to.
- :class:`PeerTransport` calls :func:`peer_addresses` again for every request the harvester
  sends and connects to the address it checked (the ``Host`` header and the TLS server name
  stay the peer's), so a DNS answer that changes between the check and the connection (DNS
  rebinding) is never used.
- Refusals and connection failures share one message, so the peers page cannot be used to map
  which hosts and ports answer.

``MOOC_ALLOW_PRIVATE_PEERS`` lifts the refusal for local testing and the demo (a peer portal on
``127.0.0.1``); never in production.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
from flask import current_app
from flask_babel import gettext as _

from mooc_portal.errors import InvalidInput

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]
"""``(host, port) -> [address, ...]``; raises OSError when the name does not resolve."""


class PeerAddressRefused(InvalidInput):
    """The peer's URL is not one the portal connects to (the message says nothing more)."""

    def __init__(self) -> None:
        super().__init__(
            _("Give the public http:// or https:// address of a peer portal."), field="base_url"
        )


def system_resolver(host: str, port: int) -> list[str]:
    """The operating system's answer for ``host`` (``getaddrinfo``), every address of it."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def current_resolver() -> Resolver:
    """The application's resolver: the system's, unless a test installed a fake one in
    ``app.extensions["mooc_portal"].extras["peer_resolver"]``."""
    state = current_app.extensions.get("mooc_portal")
    resolver = state.extras.get("peer_resolver") if state is not None else None
    return resolver or system_resolver


def literal_address(host: str) -> IPAddress | None:
    """``host`` as an IP address when it is one, in any form ``inet_aton`` accepts."""
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except (OSError, UnicodeError, ValueError):
        return None


def is_public(address: IPAddress) -> bool:
    """Whether ``address`` is on the public Internet (not the portal's own networks)."""
    if isinstance(address, ipaddress.IPv6Address):
        mapped = address.ipv4_mapped or address.sixtofour
        if mapped is not None:
            address = mapped
    return address.is_global and not (
        address.is_multicast
        or address.is_reserved
        or address.is_loopback
        or address.is_link_local
        or address.is_private
        or address.is_unspecified
    )


def peer_base_url(url: str) -> str:
    """``url`` reduced to ``scheme://host[:port]/path`` without a trailing slash; refused
    (PeerAddressRefused) unless it is http(s) with a host and no user name or password."""
    try:
        parts = urlsplit((url or "").strip())
        port = parts.port
    except ValueError:
        raise PeerAddressRefused() from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PeerAddressRefused()
    if parts.username is not None or parts.password is not None:
        raise PeerAddressRefused()
    host = parts.hostname
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc += f":{port}"
    return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))


def peer_addresses(
    url: str, *, resolver: Resolver | None = None, allow_private: bool | None = None
) -> list[IPAddress]:
    """The addresses the portal may connect to for ``url``; PeerAddressRefused when the host
    does not resolve or any of its addresses is not public (unless private peers are allowed).

    The one check for every peer URL: at registration and before each harvest request.
    """
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise PeerAddressRefused() from None
    host = parts.hostname
    if parts.scheme not in ("http", "https") or not host:
        raise PeerAddressRefused()
    if allow_private is None:
        allow_private = bool(current_app.config.get("MOOC_ALLOW_PRIVATE_PEERS"))
    literal = literal_address(host)
    if literal is not None:
        addresses = [literal]
    else:
        try:
            found = (resolver or current_resolver())(host, port)
            addresses = [ipaddress.ip_address(a.split("%", 1)[0]) for a in found]
        except (OSError, UnicodeError, ValueError):
            raise PeerAddressRefused() from None
    if not addresses:
        raise PeerAddressRefused()
    if not allow_private and not all(is_public(a) for a in addresses):
        raise PeerAddressRefused()
    return addresses


class PeerTransport(httpx.BaseTransport):
    """An httpx transport that sends each request to an address :func:`peer_addresses` has just
    allowed, whatever the name resolves to a moment later."""

    def __init__(
        self,
        inner: httpx.BaseTransport | None = None,
        *,
        resolver: Resolver | None = None,
        allow_private: bool | None = None,
    ) -> None:
        # Read in the application's context now: the transport may be used outside it.
        self.inner = inner or httpx.HTTPTransport()
        self.resolver = resolver or current_resolver()
        self.allow_private = (
            bool(current_app.config.get("MOOC_ALLOW_PRIVATE_PEERS"))
            if allow_private is None
            else allow_private
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        [address, *_others] = peer_addresses(
            str(request.url), resolver=self.resolver, allow_private=self.allow_private
        )
        extensions: dict[str, Any] = dict(request.extensions)
        if request.url.scheme == "https" and literal_address(host) is None:
            extensions["sni_hostname"] = host  # the certificate is checked for the name
        request.url = request.url.copy_with(host=str(address))
        request.extensions = extensions
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()
