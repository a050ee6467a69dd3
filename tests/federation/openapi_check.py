"""Checking real responses against an OpenAPI document with openapi-core."""

from __future__ import annotations

from typing import Any

from openapi_core import Config, OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse


def openapi(document: dict[str, Any], *, validate_spec: bool = True) -> OpenAPI:
    config = Config() if validate_spec else Config(spec_validator_cls=None)
    return OpenAPI.from_dict(document, config=config)


def check(api: OpenAPI, response: Any) -> Any:
    """Raise when ``response`` (a Flask test response) does not match the document."""
    api.validate_response(
        WerkzeugOpenAPIRequest(response.request), WerkzeugOpenAPIResponse(response)
    )
    return response
