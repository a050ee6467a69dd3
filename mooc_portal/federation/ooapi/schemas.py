"""The query parameters of ``/ooapi/v5``, as the specification declares them.

A value outside the specification's enums or formats is a 400 problem naming the parameter;
parameters the portal does not use (``consumer``, ...) are ignored, as OOAPI asks.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from mooc_portal.federation.languages import requested_language
from mooc_portal.numbers import MAX_SQL_INTEGER

PAGE_SIZES = (10, 20, 50, 100, 250)
MODES_OF_DELIVERY = ("distance-learning", "on campus", "online", "hybrid", "situated")
LEVELS = (
    "secondary vocational education", "secondary vocational education 1",
    "secondary vocational education 2", "secondary vocational education 3",
    "secondary vocational education 4", "associate degree", "bachelor", "master", "doctoral",
    "undefined", "undivided", "nt2-1", "nt2-2",
)  # fmt: skip
ORGANIZATION_TYPES = ("root", "institute", "department", "faculty", "branch", "academy", "school")


class CommaList(fields.List[str]):
    """An OOAPI array parameter in both forms consumers send: ``sort=a,b`` and
    ``sort=a&sort=b``."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        items = value if isinstance(value, list) else [value]
        parts = [part for item in items for part in str(item).split(",") if part]
        return super()._deserialize(parts, attr, data, **kwargs)


def _choices(*values: str) -> CommaList:
    return CommaList(fields.String(validate=validate.OneOf(values)))


def _sort(default: str, *keys: str) -> CommaList:
    field = _choices(*keys, *(f"-{key}" for key in keys))
    field.load_default = [default]
    return field


class TeachingLanguage(fields.String):
    """ISO 639-2 in either form (``deu``/``ger``) or a BCP 47 tag (``de``, ``zh-CN``); loads as
    the BCP 47 tag or primary subtag to match the portal's languages against."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        tag = requested_language(super()._deserialize(value, attr, data, **kwargs))
        if tag is None:
            raise ValidationError("Give an ISO 639-2 code (kor, deu or ger) or a BCP 47 tag (ko).")
        return tag


class PageArgs(Schema):
    pageSize = fields.Integer(
        load_default=10,
        validate=validate.OneOf(PAGE_SIZES, error="pageSize is one of 10, 20, 50, 100, 250."),
    )
    pageNumber = fields.Integer(load_default=1, validate=validate.Range(1, MAX_SQL_INTEGER))
    q = fields.String(validate=validate.Length(max=500))
    search = fields.String(validate=validate.Length(max=500))  # the portal's older name for q


class OrganizationListArgs(PageArgs):
    primaryCode = fields.String()
    organizationType = fields.String(validate=validate.OneOf(ORGANIZATION_TYPES))
    sort = _sort("name", "organizationId", "name")


class CourseListArgs(PageArgs):
    primaryCode = fields.String()
    teachingLanguage = TeachingLanguage()
    level = fields.String(validate=validate.OneOf(LEVELS))
    modeOfDelivery = fields.String(validate=validate.OneOf(MODES_OF_DELIVERY))
    sort = _sort("name", "courseId", "name")


class OfferingListArgs(PageArgs):
    teachingLanguage = TeachingLanguage()
    modeOfDelivery = fields.String(validate=validate.OneOf(MODES_OF_DELIVERY))
    offeringType = fields.String(validate=validate.OneOf(("program", "course", "component")))
    resultExpected = fields.Boolean()
    since = fields.Date()
    until = fields.Date()
    sort = _sort("startDate", "offeringId", "name", "startDate", "endDate")


class OrganizationArgs(Schema):
    expand = _choices("parent", "children")


class CourseArgs(Schema):
    expand = _choices("programs", "coordinators", "organization", "educationSpecification")


class OfferingArgs(Schema):
    expand = _choices(
        "program", "programOffering", "course", "courseOffering", "component", "organization",
        "academicSession",
    )  # fmt: skip
