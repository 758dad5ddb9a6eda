"""Records out: flattening API records into the CSV cells an import reads back.

The inverse of :mod:`.mapping`: an exported file is a valid import file.
"""
from __future__ import annotations

import csv
import json
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from typing import IO, Any

from ..catalog import ADDRESS_KEYS, Resource

__all__ = ["export_columns", "flatten_record", "write_csv_records"]


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


def write_csv_records(out: IO[str], records: Iterable[Mapping[str, Any]], resource: Resource,
                      defined: Iterable[str] = (), directory: str | None = None
                      ) -> Iterator[None]:
    """Write ``records`` as CSV with a column for every custom field any of them holds.

    A custom field may first show up on the last page, after a header written
    at the start would have been final. So the flattened rows go to a
    temporary file (memory stays flat), the header is written last, from the
    ``defined`` names and every name seen, and the rows are copied after it.
    Yields after each record read, then once the file is complete.
    """
    names = set(defined)
    with tempfile.TemporaryFile("w+", encoding="utf-8", dir=directory) as spool:
        for record in records:
            row = flatten_record(resource, record)
            names.update(k.partition(".")[2] for k in row if k.startswith("custom_fields."))
            spool.write(json.dumps(row, ensure_ascii=False) + "\n")
            yield
        writer = csv.DictWriter(out, export_columns(resource, names), extrasaction="ignore")
        writer.writeheader()
        spool.seek(0)
        for line in spool:
            writer.writerow(json.loads(line))


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
