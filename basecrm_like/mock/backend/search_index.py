"""How the search engine reads an attribute in SQL, and the indexes built for it with the tables.

Every scalar attribute a search can compare (numbers, ids, keywords, booleans,
dates) gets an expression index when its table is created, as a search index
would hold it: the first search on an attribute reads the index like every later
one, instead of building it then. Long texts (``description``, ``content``) and
lists (tags) are left out: ``contains`` and list members cannot use such an index.
Custom fields depend on the account and are indexed on first use (see
:func:`.search.ensure_indexes`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ...catalog import Resource
from ...catalog.search import SEARCHABLE, SearchAttribute, search_attributes
from .query import _json_path


@dataclass(frozen=True)
class AttributeSql:
    """``path`` into the stored JSON, the stored value as is (``raw``), and the
    expression searches compare and sort by (``expr``: decimals as REAL)."""

    path: str
    raw: str
    expr: str


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def attribute_sql(spec: SearchAttribute, table: str = "t") -> AttributeSql:
    path = _json_path(*spec.source.split("."))
    raw = f"json_extract({table}.data, {_literal(path)})"
    expr = f"CAST({raw} AS REAL)" if spec.storage == "decimal" else raw
    return AttributeSql(path, raw, expr)


def indexed(spec: SearchAttribute) -> bool:
    """Whether the table is created with an index on this attribute."""
    return spec.name != "id" and not spec.is_list and spec.type != "string"


def index_statements(res: Resource) -> list[str]:
    """``CREATE INDEX`` statements for the searchable attributes of ``res`` (none for the
    resources the Search API does not serve)."""
    if res.name not in SEARCHABLE:
        return []
    out = []
    for spec in search_attributes(res.name).values():
        if indexed(spec):
            expr = attribute_sql(spec, "t").expr.replace("t.data", "data")
            name = f"v3_{res.name}_{re.sub('[^A-Za-z0-9_]', '_', spec.name)}"
            out.append(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{res.name}" ({expr})')
    return out
