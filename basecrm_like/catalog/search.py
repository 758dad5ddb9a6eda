"""The Search API v3's attributes per searchable resource, derived from the v2 entries.

The Search API names some attributes differently from Core v2: a deal's amount
is ``decimal_value``, and a reference ``stage_id`` becomes the object attribute
``stage.id``. Both sides read this table: the client translates v2 names, the
mock serves ``/v3/{resource}/schema`` from it and maps each v3 name to where
the v2 record stores it.

Types are the Search API schema's own: ``id``, ``long``, ``integer``, ``double``,
``string``, ``keyword``, ``boolean``, ``date``, ``date_time``, ``array``,
``version`` and ``custom_fields_root``.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from .resources import CATALOG
from .schema import Field

SEARCHABLE = ("deals", "leads", "contacts", "notes", "tasks")
#: resources whose custom fields the Search API exposes (and that have /v3/.../schema)
WITH_SCHEMA = ("deals", "leads", "contacts")
#: v2 attribute -> v3 name, where the two differ by more than the ``_id`` suffix
RENAMED: Mapping[str, Mapping[str, str]] = {
    "deals": {"value": "decimal_value"},
}
_TYPES = {
    "integer": "long", "string": "string", "boolean": "boolean", "decimal": "double",
    "number": "double", "datetime": "date_time", "date": "date", "tags": "array",
    "integer_list": "array",
}
#: free text sorts and filters as a whole value (keyword); these are the long texts
_TEXT = frozenset({"description", "content", "summary"})


@dataclass(frozen=True)
class SearchAttribute:
    """One v3 attribute: its name and type, and where the v2 record keeps its value
    (a dotted key path into the stored record, e.g. ``address.city``)."""

    name: str
    type: str
    source: str
    #: the v2 field's type (decimal, datetime, tags, ...), which decides comparisons
    storage: str
    sortable: bool = True

    @property
    def is_list(self) -> bool:
        return self.storage in ("tags", "integer_list")


def _v3_name(resource: str, spec: Field) -> str:
    renamed = RENAMED.get(resource, {})
    if spec.name in renamed:
        return renamed[spec.name]
    if spec.ref and spec.name.endswith("_id"):
        return spec.name[:-3] + ".id"
    return spec.name


@cache
def search_attributes(resource: str) -> Mapping[str, SearchAttribute]:
    """The v3 attributes of a searchable resource, by v3 name (custom fields excluded:
    they are ``custom_fields.<id>`` and depend on the account)."""
    out: dict[str, SearchAttribute] = {
        "id": SearchAttribute("id", "id", "id", "integer"),
    }
    for spec in CATALOG[resource].fields:
        if spec.name == "id" or spec.type in ("custom_fields", "object", "object_list"):
            continue
        if spec.type == "address":
            for key in ("line1", "city", "postal_code", "state", "country"):
                name = f"address.{key}"
                out[name] = SearchAttribute(name, "keyword", name, "string")
            continue
        name = _v3_name(resource, spec)
        kind = _TYPES.get(spec.type, "string")
        if spec.type == "string" and spec.name not in _TEXT:
            kind = "keyword"
        out[name] = SearchAttribute(name, kind, spec.name, spec.type,
                                    sortable=spec.type not in ("tags", "integer_list"))
    return out


def v2_to_v3(resource: str) -> Mapping[str, str]:
    """v2 attribute names the client accepts for a resource, mapped to their v3 names."""
    return {attr.source: attr.name for attr in search_attributes(resource).values()
            if attr.source != attr.name}


def v3_to_v2(resource: str) -> Mapping[str, str]:
    """v3 attribute name -> the v2 field it reads, for names that differ."""
    return {name: attr.source for name, attr in search_attributes(resource).items()
            if attr.source != name and "." not in attr.source}
