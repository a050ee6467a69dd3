"""The portal as a credential issuer: its Ed25519 key, its ``did:web`` and public URLs.

The key comes from ``MOOC_CREDENTIAL_KEY`` (a PKCS#8 PEM Ed25519 private key, e.g. from
``openssl genpkey -algorithm ed25519``) or the instance folder's ``credential_key`` file
(``create_app`` reads it), never from the repository. Development generates one into the
instance folder (as for the secret key); tests get a key per application; production refuses
to start without one.

The DID is ``did:web`` for the portal's public address (``MOOC_PUBLIC_URL`` plus the URL
prefix): ``https://mooc.example.org`` is ``did:web:mooc.example.org`` (document at
``/.well-known/did.json``), ``https://example.org:8443/mooc`` is
``did:web:example.org%3A8443:mooc`` (document at ``/mooc/did.json``). Rotation: put the old
key's ``publicKeyMultibase`` in ``MOOC_CREDENTIAL_RETIRED_KEYS`` and configure the new key;
the DID document keeps listing the retired keys under ``assertionMethod`` so credentials
signed with them stay verifiable.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)
from flask import current_app, has_request_context, request

from mooc_portal.certificates.signing import Signer, public_key_from_multibase, public_key_multibase
from mooc_portal.config import RELAXED_ENVS, ConfigurationError
from mooc_portal.urls import external_url

_STATE_KEY = "credential_key"
DEVELOPMENT_URL = "http://127.0.0.1:5000"


def generate_key_pem() -> str:
    """A new Ed25519 private key as PKCS#8 PEM."""
    key = Ed25519PrivateKey.generate()
    return key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode("ascii")


def parse_key(pem: str) -> Ed25519PrivateKey:
    try:
        key = load_pem_private_key(pem.strip().encode("ascii"), password=None)
    except (ValueError, TypeError, UnicodeEncodeError) as error:
        raise ConfigurationError(
            "MOOC_CREDENTIAL_KEY is not a PEM private key (make one with "
            "`openssl genpkey -algorithm ed25519`)."
        ) from error
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigurationError("MOOC_CREDENTIAL_KEY must be an Ed25519 key.")
    return key


def private_key() -> Ed25519PrivateKey:
    """The issuer's current key (parsed once per application)."""
    extras = current_app.extensions["mooc_portal"].extras
    key = extras.get(_STATE_KEY)
    if key is None:
        pem = current_app.config.get("MOOC_CREDENTIAL_KEY")
        if pem:
            key = parse_key(str(pem))
        elif current_app.testing or current_app.config.get("MOOC_ENV") == "testing":
            key = Ed25519PrivateKey.generate()
        else:
            raise ConfigurationError("MOOC_CREDENTIAL_KEY is not set.")
        extras[_STATE_KEY] = key
    current: Ed25519PrivateKey = key
    return current


def retired_public_keys() -> list[Ed25519PublicKey]:
    """Earlier keys whose credentials must stay verifiable (``MOOC_CREDENTIAL_RETIRED_KEYS``)."""
    values = current_app.config.get("MOOC_CREDENTIAL_RETIRED_KEYS") or []
    if isinstance(values, str):
        values = [v for v in values.replace(",", " ").split() if v]
    return [public_key_from_multibase(v) for v in values]


def public_base() -> str:
    """The portal's public root URL (no trailing slash), from ``MOOC_PUBLIC_URL``.

    Development and tests without it (production requires it) fall back to the request's
    root, and outside a request (the demo-data command) to the address `make run` serves.
    """
    base = current_app.config.get("MOOC_PUBLIC_URL")
    if base:
        return str(base).rstrip("/")
    if has_request_context():
        return request.url_root.rstrip("/")
    if current_app.testing or current_app.config.get("MOOC_ENV") in RELAXED_ENVS:
        return DEVELOPMENT_URL
    raise ConfigurationError("MOOC_PUBLIC_URL is not set.")


def did() -> str:
    """The portal's ``did:web``: host (port percent-encoded) and path of its public root."""
    root = external_url("portal.credentials.did_document_at_path").removesuffix("/did.json")
    parts = urlsplit(root)
    segments = [quote(s, safe="") for s in parts.path.split("/") if s]
    return ":".join(["did:web", quote(parts.netloc, safe=""), *segments])


def did_document_path() -> str:
    """Where a resolver looks for the DID document: the well-known path or ``<path>/did.json``."""
    return "/.well-known/did.json" if did().count(":") == 2 else "/did.json"


def key_id(public_key: Ed25519PublicKey) -> str:
    return f"{did()}#{public_key_multibase(public_key)}"


def signer() -> Signer:
    key = private_key()
    return Signer(private_key=key, verification_method=key_id(key.public_key()))


def public_keys() -> list[Ed25519PublicKey]:
    """The current key first, then the retired ones."""
    return [private_key().public_key(), *retired_public_keys()]


def did_document() -> dict[str, Any]:
    """The DID document: every key, current and retired, is an Ed25519 ``Multikey``."""
    subject = did()
    methods = [
        {
            "id": key_id(key),
            "type": "Multikey",
            "controller": subject,
            "publicKeyMultibase": public_key_multibase(key),
        }
        for key in public_keys()
    ]
    return {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": subject,
        "verificationMethod": methods,
        "assertionMethod": [m["id"] for m in methods],
    }


def public_key_for(verification_method: str) -> Ed25519PublicKey | None:
    """One of the portal's keys, by its verification method id; None when it is not ours."""
    for key in public_keys():
        if key_id(key) == verification_method:
            return key
    return None
