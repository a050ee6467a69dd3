"""Data Integrity proofs with the ``eddsa-rdfc-2022`` cryptosuite (W3C VC Data Integrity EdDSA).

Why this suite: it is what wallets and the Digital Credentials Consortium's verifier check
(an embedded ``DataIntegrityProof``, Ed25519); VC-JOSE/JWT credentials are rejected by it.

The algorithm (VC DI EdDSA 1.0, section 3.3): canonicalise the proof options and the credential
without its proof with RDFC-1.0 (pyld's URDNA2015 gives the same N-Quads), hash each with
SHA-256, sign ``hash(options) || hash(document)`` with Ed25519 and write the signature as a
base58btc multibase string. JSON-LD expansion reads only the context documents shipped in
``contexts/`` (copied from the verifier's npm packages, with their licences): the document
loader never goes to the network, so nothing an attacker puts in ``@context`` makes the portal
fetch anything.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import base58
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from pyld import jsonld

from mooc_portal.openbadges import OB_303, VC_V2

DATA_INTEGRITY_V2 = "https://w3id.org/security/data-integrity/v2"
CRYPTOSUITE = "eddsa-rdfc-2022"

_CONTEXT_FILES = {
    VC_V2: "credentials-v2.jsonld",
    OB_303: "ob-context-3.0.3.json",
    DATA_INTEGRITY_V2: "data-integrity-v2.jsonld",
}
_CONTEXT_DIR = Path(__file__).parent / "contexts"
# The multicodec prefix of an Ed25519 public key (0xed, varint-encoded).
_ED25519_PUB_PREFIX = b"\xed\x01"


class ProofError(ValueError):
    """A proof that cannot be checked: unknown context, suite or key."""


@cache
def _context(url: str) -> dict[str, Any]:
    context: dict[str, Any] = json.loads(
        (_CONTEXT_DIR / _CONTEXT_FILES[url]).read_text(encoding="utf-8")
    )
    return context


def document_loader(url: str, _options: dict[str, Any] | None = None) -> dict[str, Any]:
    """pyld document loader over the shipped contexts; any other URL is refused."""
    if url not in _CONTEXT_FILES:
        raise ProofError(f"The JSON-LD context {url} is not known to the portal.")
    return {"contextUrl": None, "documentUrl": url, "document": _context(url)}


def canonicalize(document: dict[str, Any]) -> str:
    """RDFC-1.0 canonical N-Quads of a JSON-LD document."""
    try:
        canonical: str = jsonld.normalize(
            document,
            {
                "algorithm": "URDNA2015",
                "format": "application/n-quads",
                "documentLoader": document_loader,
            },
        )
    except jsonld.JsonLdError as error:
        raise ProofError(f"The document is not valid JSON-LD: {error}") from error
    return canonical


def multibase_base58btc(data: bytes) -> str:
    """Multibase ``z`` + base58btc (the ``base58`` package: the Bitcoin alphabet it uses is
    the one the multibase table names for ``z``)."""
    return "z" + base58.b58encode(data).decode("ascii")


def decode_multibase_base58btc(value: str) -> bytes:
    if not value.startswith("z"):
        raise ProofError("Only base58btc multibase values (starting with 'z') are supported.")
    try:
        return base58.b58decode(value[1:])
    except ValueError as error:
        raise ProofError("The multibase value is not base58btc.") from error


def public_key_multibase(public_key: Ed25519PublicKey) -> str:
    """The key as a Multikey ``publicKeyMultibase`` (``z6Mk...``)."""
    raw = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return multibase_base58btc(_ED25519_PUB_PREFIX + raw)


def public_key_from_multibase(value: str) -> Ed25519PublicKey:
    raw = decode_multibase_base58btc(value)
    if len(raw) != 34 or not raw.startswith(_ED25519_PUB_PREFIX):
        raise ProofError("The key is not an Ed25519 Multikey.")
    return Ed25519PublicKey.from_public_bytes(raw[2:])


def _hash_data(document: dict[str, Any], options: dict[str, Any]) -> bytes:
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    options = {k: v for k, v in options.items() if k != "proofValue"}
    options["@context"] = unsecured.get("@context")
    return (
        hashlib.sha256(canonicalize(options).encode()).digest()
        + hashlib.sha256(canonicalize(unsecured).encode()).digest()
    )


@dataclass(frozen=True)
class Signer:
    private_key: Ed25519PrivateKey
    verification_method: str


def add_proof(document: dict[str, Any], signer: Signer, *, created: str) -> dict[str, Any]:
    """A copy of ``document`` with an embedded ``eddsa-rdfc-2022`` ``DataIntegrityProof``.

    Ed25519 signatures are deterministic: the same document, key and ``created`` give the
    same proof, so a credential re-served later is byte-for-byte the one first downloaded.
    """
    options = {
        "type": "DataIntegrityProof",
        "cryptosuite": CRYPTOSUITE,
        "created": created,
        "verificationMethod": signer.verification_method,
        "proofPurpose": "assertionMethod",
    }
    signature = signer.private_key.sign(_hash_data(document, options))
    return {**document, "proof": {**options, "proofValue": multibase_base58btc(signature)}}


def verify_proof(document: dict[str, Any], public_key: Ed25519PublicKey) -> bool:
    """Whether the document's ``eddsa-rdfc-2022`` proof was made by ``public_key``."""
    proof = document.get("proof")
    if not isinstance(proof, dict):
        raise ProofError("The document has no single embedded proof.")
    if proof.get("type") != "DataIntegrityProof" or proof.get("cryptosuite") != CRYPTOSUITE:
        raise ProofError(f"Only DataIntegrityProof / {CRYPTOSUITE} proofs are supported.")
    signature = decode_multibase_base58btc(str(proof.get("proofValue", "")))
    try:
        public_key.verify(signature, _hash_data(document, proof))
    except InvalidSignature:
        return False
    return True


def did_key_public_key(verification_method: str) -> Ed25519PublicKey:
    """The key of a ``did:key:z6Mk...#z6Mk...`` verification method."""
    did = verification_method.split("#", 1)[0]
    if not did.startswith("did:key:"):
        raise ProofError("Not a did:key verification method.")
    return public_key_from_multibase(did.removeprefix("did:key:"))
