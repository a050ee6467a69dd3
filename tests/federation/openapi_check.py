"""Checking real responses against an OpenAPI document with openapi-core."""

from __future__ import annotations

import json
from typing import Any

from openapi_core import Config, OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse


def openapi(document: dict[str, Any], *, validate_spec: bool = True) -> OpenAPI:
    options: dict[str, Any] = {
        # RFC 9457 problem details are JSON too.
        "extra_media_type_deserializers": {"application/problem+json": json.loads}
    }
    if not validate_spec:
        options["spec_validator_cls"] = None
    config = Config(**options)
    return OpenAPI.from_dict(document, config=config)


def check(api: OpenAPI, response: Any) -> Any:
    """Raise when ``response`` (a Flask test response) does not match the document."""
    api.validate_response(
        WerkzeugOpenAPIRequest(response.request), WerkzeugOpenAPIResponse(response)
    )
    return response
