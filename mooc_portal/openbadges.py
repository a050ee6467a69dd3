"""The JSON-LD contexts of Open Badges 3.0, shared by certificates and issuer profiles."""

VC_V2 = "https://www.w3.org/ns/credentials/v2"
OB_303 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"

OB_CONTEXT = [VC_V2, OB_303]
"""Open Badges 3.0 (3.0.3) on the Verifiable Credentials Data Model 2.0."""
