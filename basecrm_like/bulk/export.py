"""Records out: flattening API records into the CSV cells an import reads back.

The inverse of :mod:`.mapping`: an exported file is a valid import file.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from ..catalog import ADDRESS_KEYS, Resource

__all__ = ["export_columns", "flatten_record"]


def export_columns(resource: Resource, custom_names: Iterable[str] = ()) -> list[str]:
    """CSV columns of ``resource`` in catalog order: ``address.city``, ``custom_fields.<name>``."""
    columns: list[str] = []
    for spec in resource.fields:
        if spec.type == "address":
            columns += [f"{spec.name}.{key}" for key in ADDRESS_KEYS]
        elif spec.type == "custom_fields":
            columns += [f"custom_fields.{name}" for name in sorted(set(custom_names))]
        else:
            columns.append(spec.name)
    return columns


def flatten_record(resource: Resource, record: Mapping[str, Any]) -> dict[str, str]:
    """A record as CSV cells: the inverse of the import coercion (lists comma-joined)."""
    out: dict[str, str] = {}
    for name, value in record.items():
        spec = resource.field(name)
        kind = spec.type if spec is not None else ""
        if kind in ("address", "custom_fields") and isinstance(value, Mapping):
            for key, item in value.items():
                out[f"{name}.{key}"] = _cell(item)
        else:
            out[name] = _cell(value)
    return out


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list) and all(isinstance(v, (str, int)) and not isinstance(v, bool)
                                       for v in value):
        return ",".join(str(v) for v in value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, default=str, ensure_ascii=False, separators=(",", ":"))
    return str(value)
