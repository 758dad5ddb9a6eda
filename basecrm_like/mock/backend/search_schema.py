"""The JSON Schema of a Search API v3 request, and the small validator the mock runs it with.

``GET /v3/search-schema`` serves :data:`SEARCH_SCHEMA`; every query in a batch
is checked against ``#/definitions/query`` before it runs, so what the schema
says is exactly what the mock accepts. The validator covers the keywords the
schema uses (type, properties, required, additionalProperties, items, enum,
minimum, maximum, minItems, minProperties, maxProperties, local ``$ref``).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...support.suggest import suggestion

OPERATORS = ("eq", "any", "range", "is_null", "contains", "starts_with")
RANGE_BOUNDS = ("gt", "gte", "lt", "lte")
AGGREGATION_TYPES = ("min", "max", "sum", "avg", "count", "terms")
MAX_PER_PAGE = 200
MAX_BATCH = 20

_SCALAR = {"type": ["string", "number", "integer", "boolean", "null"]}
_ATTRIBUTE = {"type": "object", "required": ["name"], "additionalProperties": False,
              "properties": {"name": {"type": "string", "minLength": 1}}}

SEARCH_SCHEMA: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "Search API v3 request",
    "type": "object",
    "required": ["items"],
    "additionalProperties": False,
    "properties": {"items": {"type": "array", "minItems": 1, "maxItems": MAX_BATCH,
                             "items": {"$ref": "#/definitions/item"}}},
    "definitions": {
        "item": {"type": "object", "required": ["data"], "additionalProperties": False,
                 "properties": {"data": {"$ref": "#/definitions/query"}}},
        "query": {
            "type": "object", "additionalProperties": False,
            "properties": {
                "query": {"type": "object", "additionalProperties": False, "properties": {
                    "projection": {"type": "array", "items": _ATTRIBUTE},
                    "filter": {"$ref": "#/definitions/filter"},
                    "sort": {"type": "array", "items": {
                        "type": "object", "required": ["attribute"],
                        "additionalProperties": False,
                        "properties": {"attribute": _ATTRIBUTE, "order": {
                            "type": "string", "enum": ["ascending", "descending"]}}}},
                }},
                "aggregations": {"type": "array", "items": {
                    "type": "object", "required": ["attribute"], "additionalProperties": False,
                    "properties": {"attribute": _ATTRIBUTE,
                                   "aggregation_type": {"type": "string",
                                                        "enum": list(AGGREGATION_TYPES)},
                                   "size": {"type": "integer", "minimum": 1,
                                            "maximum": 100}}}},
                "hits": {"type": "boolean"},
                "per_page": {"type": "integer", "minimum": 0, "maximum": MAX_PER_PAGE},
                "page": {"type": "integer", "minimum": 0},
                "offset": {"type": "integer", "minimum": 0},
                "cursor": {"type": "string", "minLength": 1},
            },
        },
        "filter": {
            "type": "object", "minProperties": 1, "maxProperties": 1,
            "additionalProperties": False,
            "properties": {
                "and": {"type": "array", "items": {"$ref": "#/definitions/filter"}},
                "or": {"type": "array", "items": {"$ref": "#/definitions/filter"}},
                "not": {"$ref": "#/definitions/filter"},
                "filter": {"type": "object", "required": ["attribute", "parameter"],
                           "additionalProperties": False,
                           "properties": {"attribute": _ATTRIBUTE,
                                          "parameter": {"$ref": "#/definitions/parameter"}}},
            },
        },
        "parameter": {
            "type": "object", "minProperties": 1, "maxProperties": 1,
            "additionalProperties": False,
            "properties": {
                "eq": _SCALAR,
                "any": {"type": "array", "items": _SCALAR},
                "range": {"type": "object", "minProperties": 1, "additionalProperties": False,
                          "properties": {bound: _SCALAR for bound in RANGE_BOUNDS}},
                "is_null": {"type": "boolean"},
                "contains": {"type": "string"},
                "starts_with": {"type": "string"},
            },
        },
    },
}

_TYPES: Mapping[str, tuple[type, ...]] = {
    "object": (dict,), "array": (list,), "string": (str,), "boolean": (bool,),
    "integer": (int,), "number": (int, float), "null": (type(None),),
}


class SchemaViolation(Exception):
    """Where (a JSON Pointer) and how a request breaks the schema."""

    def __init__(self, pointer: str, message: str) -> None:
        super().__init__(f"{pointer or '/'}: {message}")
        self.pointer = pointer or "/"
        self.message = message


def _is(value: Any, kind: str) -> bool:
    if isinstance(value, bool) and kind in ("integer", "number"):
        return False
    return isinstance(value, _TYPES[kind])


def validate(value: Any, schema: Mapping[str, Any] | None = None, pointer: str = "") -> None:
    """Raise :class:`SchemaViolation` at the first place ``value`` breaks ``schema``."""
    schema = SEARCH_SCHEMA if schema is None else schema
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        validate(value, SEARCH_SCHEMA["definitions"][name], pointer)
        return
    kinds = schema.get("type")
    if kinds is not None:
        kinds = [kinds] if isinstance(kinds, str) else kinds
        if not any(_is(value, kind) for kind in kinds):
            raise SchemaViolation(pointer, f"must be {' or '.join(kinds)}")
    if "enum" in schema and value not in schema["enum"]:
        raise SchemaViolation(pointer, f"{value!r} is not one of "
                                       f"{', '.join(map(str, schema['enum']))}")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            raise SchemaViolation(pointer, f"must be at least {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            raise SchemaViolation(pointer, f"must be at most {schema['maximum']}")
    if isinstance(value, str) and len(value) < schema.get("minLength", 0):
        raise SchemaViolation(pointer, "must not be empty")
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            raise SchemaViolation(pointer, f"needs at least {schema['minItems']} item(s)")
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            raise SchemaViolation(pointer, f"takes at most {schema['maxItems']} items")
        if "items" in schema:
            for index, item in enumerate(value):
                validate(item, schema["items"], f"{pointer}/{index}")
    if isinstance(value, dict):
        _validate_object(value, schema, pointer)


def _validate_object(value: dict[str, Any], schema: Mapping[str, Any], pointer: str) -> None:
    properties = schema.get("properties", {})
    if schema.get("additionalProperties") is False:
        for key in value:
            if key not in properties:
                raise SchemaViolation(f"{pointer}/{key}", f"unknown key {key!r}"
                                      f"{suggestion(key, properties)}; allowed here: "
                                      f"{', '.join(properties)}")
    for key in schema.get("required", ()):
        if key not in value:
            raise SchemaViolation(pointer, f"{key!r} is required")
    if len(value) < schema.get("minProperties", 0):
        raise SchemaViolation(pointer, f"needs one of {', '.join(properties)}")
    if "maxProperties" in schema and len(value) > schema["maxProperties"]:
        raise SchemaViolation(pointer, f"takes exactly one of {', '.join(properties)}, "
                                       f"got {', '.join(value)}")
    for key, item in value.items():
        if key in properties:
            validate(item, properties[key], f"{pointer}/{key}")
