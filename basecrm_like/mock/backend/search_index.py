"""How the search engine reads an attribute in SQL, and the indexes built for it with the tables.

The attributes searches compare most (references, numbers, dates, names, emails,
statuses: see :func:`indexed`) get an expression index when their table is
created, as a search index would hold them: the first search on one reads the
index like every later one. The other scalar attributes (booleans, phones,
social handles, ...) and custom fields get theirs the first time a search
compares them (see :func:`.search.ensure_indexes`), so that a write does not pay
for indexes nobody reads. Long texts (``description``, ``content``) and lists
(tags) are left out: ``contains`` and list members cannot use such an index.

A decimal is compared by its exact key (:mod:`.search_decimal`), kept in a
virtual generated column of the table (computed from ``data``, stored only in
its index): queries name the column, not the long expression.
"""
from __future__ import annotations

import hashlib
import re
import sqlite3
from dataclasses import dataclass

from ...catalog import Resource
from ...catalog.search import SEARCHABLE, SearchAttribute, search_attributes
from .query import _json_path
from .search_decimal import key_sql


@dataclass(frozen=True)
class AttributeSql:
    """``path`` into the stored JSON, the stored value as is (``raw``), and the
    expression searches compare and sort by (``expr``: a decimal's order-preserving
    text key, see :mod:`.search_decimal`)."""

    path: str
    raw: str
    expr: str


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _name(spec: SearchAttribute) -> str:
    return re.sub("[^A-Za-z0-9_]", "_", spec.name)


def key_column(spec: SearchAttribute) -> str:
    """The generated column holding a decimal attribute's key."""
    return f"v3_key_{_name(spec)}"


def attribute_sql(spec: SearchAttribute, table: str = "t") -> AttributeSql:
    path = _json_path(*spec.source.split("."))
    raw = f"json_extract({table}.data, {_literal(path)})"
    expr = f'{table}."{key_column(spec)}"' if spec.storage == "decimal" else raw
    return AttributeSql(path, raw, expr)


#: the keywords searches filter by most; other keywords (phones, social handles, web
#: sites, parts of an address) are indexed when a search first compares them
STANDING_KEYWORDS = frozenset({
    "name", "first_name", "last_name", "organization_name", "email", "industry", "status",
    "customer_status", "prospect_status", "currency", "resource_type", "type",
    "address.city", "address.country"})


def indexable(spec: SearchAttribute) -> bool:
    """Whether an index can answer comparisons of this attribute (not long texts, not lists)."""
    return spec.name != "id" and not spec.is_list and spec.type != "string"


def indexed(spec: SearchAttribute) -> bool:
    """Whether the table is created with an index on this attribute: references, numbers,
    dates and the keywords of :data:`STANDING_KEYWORDS`. Every index costs each write
    of a record (an insert writes one page per index), so booleans and the rarer
    keywords get theirs on first use instead (see :func:`.search.ensure_indexes`)."""
    if not indexable(spec):
        return False
    return spec.type != "boolean" and (spec.type != "keyword" or spec.name in STANDING_KEYWORDS)


def index_statements(res: Resource, db: sqlite3.Connection) -> list[str]:
    """The statements that give the table of ``res`` its search indexes, and its
    decimal key columns where it lacks them (none for the resources the Search API
    does not serve)."""
    if res.name not in SEARCHABLE:
        return []
    columns = {row[1] for row in db.execute(f'PRAGMA table_xinfo("{res.name}")')}
    out = []
    for spec in search_attributes(res.name).values():
        if indexable(spec) and not indexed(spec):  # files from before held one for each
            out.append(f'DROP INDEX IF EXISTS "v3_{res.name}_{_name(spec)}"')
        if indexed(spec):
            expr = attribute_sql(spec, "t").expr.replace("t.data", "data")
            name = f"v3_{res.name}_{_name(spec)}"
            if spec.storage == "decimal":
                # files written before decimals had keys hold a REAL index by this name
                out.append(f'DROP INDEX IF EXISTS "{name}"')
                name += "_key"
                if key_column(spec) not in columns:
                    key = key_sql(attribute_sql(spec, "t").raw.replace("t.data", "data"))
                    out.append(f'ALTER TABLE "{res.name}" ADD COLUMN "{key_column(spec)}" '
                               f"GENERATED ALWAYS AS ({key}) VIRTUAL")
                expr = f'"{key_column(spec)}"'
            out.append(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{res.name}" ({expr})')
    return out


#: a query matching at least this many records gets an index in its own order
ORDER_INDEX_FROM = 500
#: at most this many such indexes a table (each one costs every write)
MAX_ORDER_INDEXES = 4


def order_index(res: Resource, equal: list[str], keys: list[tuple[str, bool]]) -> tuple[str, str]:
    """The name and ``CREATE INDEX`` statement of the index that answers a query's pages
    in order: the attributes its filter fixes with ``eq`` first, then each sort key as
    ``(expr IS NULL), expr`` in its direction (nulls last either way), then ``id``. A
    page then reads its rows off this index, and the cursor's condition is checked on
    index entries: no step reads or sorts every match."""
    columns = [*sorted(set(equal))]
    for expr, descending in keys:
        columns += [f"({expr} IS NULL)", f"{expr} {'DESC' if descending else 'ASC'}"]
    text = re.sub(r"(?<![\w.$'])t\.", "", ", ".join(columns))  # columns without the alias
    name = f"search_order_{res.name}_{hashlib.sha1(text.encode()).hexdigest()[:12]}"
    return name, f'CREATE INDEX IF NOT EXISTS "{name}" ON "{res.name}" ({text})'
