# The part of flask-smorest's API the portal uses; flask-smorest ships no type information.
# Its decorators document a view and parse or serialise around it: typed as keeping the
# view's own type.
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import flask
from apispec import APISpec
from webargs.flaskparser import FlaskParser

_F = TypeVar("_F", bound=Callable[..., Any])

class Blueprint(flask.Blueprint):
    ARGUMENTS_PARSER: FlaskParser
    description: str
    def __init__(self, *args: Any, description: str = "", **kwargs: Any) -> None: ...
    def route(
        self,
        rule: str,
        *,
        parameters: list[Any] | None = None,
        tags: list[str] | None = None,
        **options: Any,
    ) -> Callable[[_F], _F]: ...
    def arguments(
        self,
        schema: Any,
        *,
        location: str = "json",
        content_type: str | None = None,
        required: bool = True,
        description: str | None = None,
        example: Any = None,
        examples: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> Callable[[_F], _F]: ...
    def response(
        self,
        status_code: int | str,
        schema: Any = None,
        *,
        content_type: str | None = None,
        description: str | None = None,
        example: Any = None,
        examples: Mapping[str, Any] | None = None,
        headers: Mapping[str, Any] | None = None,
    ) -> Callable[[_F], _F]: ...
    def alt_response(
        self,
        status_code: int | str,
        response: Any = None,
        *,
        schema: Any = None,
        content_type: str | None = None,
        description: str | None = None,
        example: Any = None,
        examples: Mapping[str, Any] | None = None,
        headers: Mapping[str, Any] | None = None,
        success: bool = False,
    ) -> Callable[[_F], _F]: ...
    @staticmethod
    def doc(**kwargs: Any) -> Callable[[_F], _F]: ...
    def register_views_in_doc(
        self, api: Api, app: flask.Flask, spec: APISpec, *, name: str, parameters: Any
    ) -> None: ...

class Api:
    ERROR_SCHEMA: Any
    spec: APISpec
    config: Mapping[str, Any]
    _app: Any
    def __init__(
        self,
        app: flask.Flask | None = None,
        *,
        spec_kwargs: Mapping[str, Any] | None = None,
        config_prefix: str = "",
    ) -> None: ...
    def init_app(
        self,
        app: flask.Flask,
        *,
        spec_kwargs: Mapping[str, Any] | None = None,
    ) -> None: ...
    def register_blueprint(
        self, blp: Blueprint, *, parameters: Any = None, **options: Any
    ) -> None: ...
    def _init_spec(
        self,
        *,
        flask_plugin: Any = None,
        marshmallow_plugin: Any = None,
        extra_plugins: Any = None,
        title: str | None = None,
        version: str | None = None,
        openapi_version: str | None = None,
        **options: Any,
    ) -> None: ...
