"""Signed statements (xAPI 1.0.3, 2.6): a JWS over the statement, as an attachment.

The signature is a compact JWS (RS256, RS384 or RS512), verified with PyJWT against the
public key of the first certificate in its ``x5c`` header when there is one; its payload
must be the statement it is attached to (less the properties the LRS sets, and the
attachments themselves).
"""

from __future__ import annotations

import base64
import json
from typing import Any

from mooc_portal.xapi.validation import fail

ALGORITHMS = ("RS256", "RS384", "RS512")


def _comparable(statement: dict[str, Any]) -> dict[str, Any]:
    return {
        k: v
        for k, v in statement.items()
        if k not in ("attachments", "authority", "stored", "version", "id")
    }


def check_signature(statement: dict[str, Any], attachment: Any, declared: dict[str, Any]) -> None:
    """Raises StatementInvalid unless ``attachment`` is a valid JWS signature of
    ``statement``."""
    import jwt
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import rsa

    if declared.get("contentType") != "application/octet-stream":
        fail("attachments", "a signature's contentType is application/octet-stream")
    token = attachment.content.decode("utf-8", "replace").strip()
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        fail("attachments", "the signature is not a JWS")
    algorithm = header.get("alg")
    if algorithm not in ALGORITHMS:
        fail("attachments", "the signature's algorithm is not RS256, RS384 or RS512")
    chain = header.get("x5c")
    try:
        if chain:
            certificate = x509.load_der_x509_certificate(base64.b64decode(chain[0]))
            key = certificate.public_key()
            if not isinstance(key, rsa.RSAPublicKey):  # RS256/384/512 verify with RSA keys only
                fail("attachments", "the signature does not verify")
            payload = jwt.decode(token, key, algorithms=[algorithm])
        else:
            payload = jwt.decode(token, options={"verify_signature": False})
    except (jwt.PyJWTError, ValueError):
        fail("attachments", "the signature does not verify")
    if not isinstance(payload, dict):
        fail("attachments", "the signature's payload is not a statement")
    if "id" in payload and "id" in statement and payload["id"] != statement["id"]:
        fail("attachments", "the signature was made for another statement")
    if json.dumps(_comparable(payload), sort_keys=True) != json.dumps(
        _comparable(statement), sort_keys=True
    ):
        fail("attachments", "the signed statement differs from the statement")
