"""The Search API v3 engine: one query of a batch, compiled to SQL over the v2 tables.

Searches read the same tables as ``/v2``, so a record written through v2 is
found at once. A query becomes one ``SELECT`` whose ``WHERE`` is the filter tree
and whose ``ORDER BY`` is the sort plus ``id``; only the page's rows come back
to Python. Choices where the public reference is silent:

- ``not`` is the complement: ``not eq 5`` matches records where the attribute
  is null (as a search index does); SQL NULL reads as false below a ``not``;
- the tables are created with an expression index on the attributes searches
  compare most (see :mod:`.search_index`), so even the first search on one reads
  an index; the other scalar attributes and custom fields get theirs the first
  time a search compares them (eq, any, range);
- a query with many matches (:data:`.search_index.ORDER_INDEX_FROM`) gets an
  index in its own order the first time it runs (the attributes its filter fixes
  with ``eq``, then its sort keys, then ``id``), and its pages read ``per_page``
  entries off that index, whatever the account's size;
- nulls sort last whichever the direction; ``id`` ascending breaks ties;
- ``contains`` and ``starts_with`` ignore the case of ASCII letters;
- decimals compare, sort and group (``terms``) exactly, by an order-preserving
  text key (see :mod:`.search_decimal`); their ``sum``, ``min`` and ``max`` are
  exact too, and ``avg`` is the exact sum divided to 60 significant digits;
- cursors are keyset positions (the sort values of the last row sent), so writes
  to other records between pages never skip or repeat a record; a cursor is
  tied to its filter and sort, and ``prev_page`` walks back the same way;
- ``page`` counts from 0 (as ``offset`` does), and links are cursors in every mode.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation, localcontext
from typing import Any

from ...catalog import CATALOG, Field, Resource
from ...catalog.search import SearchAttribute, search_attributes, v2_to_v3
from ...support.keypaths import nest
from ...support.suggest import suggestion
from .query import _json_path
from .search_decimal import from_key, join_limbs, key_sql, limb_sums_select, plain
from .search_decimal import key as decimal_key
from .search_index import (
    MAX_ORDER_INDEXES,
    ORDER_INDEX_FROM,
    attribute_sql,
    indexable,
    indexed,
    order_index,
)
from .search_schema import SchemaViolation, validate
from .store import Store, dumps
from .values import INT64, ValueProblem, check

DEFAULT_PER_PAGE = 50
DEFAULT_TERMS = 10
DEFAULT_PROJECTION = ("id", "version")
_NUMERIC = ("long", "integer", "double", "id", "version")
#: a custom field's type -> the v3 type it searches as
CUSTOM_TYPES = {"number": "double", "bool": "boolean", "date": "date", "datetime": "date_time",
                "multi_select_list": "array"}
_DECIMAL_MARK = "\x00dec:"


class QueryError(Exception):
    """A query the engine refuses: the batch answers its item with ``successful: false``."""

    def __init__(self, code: str, message: str, pointer: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.pointer = pointer

    def as_json(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "field": self.pointer or None}


@dataclass(frozen=True)
class Attr:
    """An attribute ready for SQL: the expression of its value and how it compares."""

    name: str
    type: str
    expr: str
    #: JSON path into ``data`` for list attributes (tags, multi-select custom fields)
    path: str = ""
    decimal: bool = False
    sortable: bool = True
    #: the stored value as is (a decimal's exact text, where ``expr`` is its key)
    raw: str = ""
    #: compared with eq, any or range, it gets an index then (custom fields)
    index_on_use: bool = False

    @property
    def shown(self) -> str:
        return self.raw or self.expr

    @property
    def is_list(self) -> bool:
        return self.type == "array"


@dataclass
class Sql:
    text: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)

    def add(self, text: str, *params: Any) -> None:
        self.text.append(text)
        self.params.extend(params)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class Attributes:
    """The attributes a resource searches by: the catalog's plus the account's custom fields."""

    def __init__(self, store: Store, res: Resource) -> None:
        self.store = store
        self.res = res
        self.known: Mapping[str, SearchAttribute] = search_attributes(res.name)
        #: expressions compared with eq, any or range: an index can answer those
        self.indexed: set[str] = set()

    def get(self, name: str, pointer: str) -> Attr:
        if name == "version":
            return Attr("version", "version",
                        f"(SELECT revision FROM _changes c WHERE c.resource = "
                        f"{_literal(self.res.name)} AND c.id = t.id)")
        if name.startswith("custom_fields.") and self.res.has_custom_fields:
            return self._custom(name, pointer)
        spec = self.known.get(name)
        if spec is None:
            renamed = v2_to_v3(self.res.name).get(name)
            hint = f"; the Search API calls it {renamed!r}" if renamed else \
                suggestion(name, [*self.known, "version"])
            raise QueryError("unknown_attribute",
                             f"Unknown attribute {name!r} for {self.res.name}{hint}; "
                             f"see GET /v3/{self.res.name}/schema", pointer)
        if spec.name == "id":
            return Attr("id", "id", "t.id")
        sql = attribute_sql(spec)
        return Attr(spec.name, spec.type, sql.expr, path=sql.path,
                    decimal=spec.storage == "decimal", sortable=spec.sortable, raw=sql.raw,
                    index_on_use=indexable(spec) and not indexed(spec))

    def _custom(self, name: str, pointer: str) -> Attr:
        key = name.split(".", 1)[1]
        row = self.store.execute(
            'SELECT data FROM "custom_fields" WHERE parent = ? AND CAST(id AS TEXT) = ?',
            (self.res.type, key)).fetchone()
        if row is None:
            raise QueryError("unknown_attribute",
                             f"Unknown custom field {name!r} for {self.res.name}: use the "
                             f"search_api_id from GET /v3/{self.res.name}/custom_fields", pointer)
        spec = json.loads(row[0])
        kind = CUSTOM_TYPES.get(spec.get("type"), "string")
        path = _json_path("custom_fields", spec["name"])
        expr = f"json_extract(t.data, {_literal(path)})"
        if kind == "double":
            expr = f"CAST({expr} AS REAL)"
        return Attr(name, kind, expr, path=path, sortable=kind != "array", index_on_use=True)


def custom_field_items(store: Store, res: Resource) -> list[dict[str, Any]]:
    """``GET /v3/{resource}/custom_fields``: each field with its ``search_api_id``."""
    rows = store.execute('SELECT data FROM "custom_fields" WHERE parent = ? ORDER BY id',
                         (res.type,)).fetchall()
    out = []
    for (raw,) in rows:
        spec = json.loads(raw)
        out.append({"id": str(spec["id"]), "name": spec["name"], "type": spec.get("type"),
                    "resource_type": res.type, "search_api_id": f"custom_fields.{spec['id']}"})
    return out


# -- values ------------------------------------------------------------------------------
def _value(attr: Attr, value: Any, pointer: str) -> Any:
    """A filter value in the form the stored one compares with, or a clear error."""
    if value is None:
        return None
    kind = attr.type
    if attr.decimal:
        return decimal_key(_decimal(attr, value, pointer))
    if kind in _NUMERIC or kind == "double":
        if isinstance(value, bool):
            raise QueryError("invalid_value", f"{attr.name} is a number; got {value!r}", pointer)
        if isinstance(value, str):
            try:
                number = Decimal(value.strip())
            except InvalidOperation:
                raise QueryError("invalid_value",
                                 f"{attr.name} is a number; got {value!r}", pointer) from None
            if not number.is_finite():
                raise QueryError("invalid_value", f"{attr.name}: {value!r} is not finite",
                                 pointer)
            if number != number.to_integral_value() or kind == "double":
                return float(number)
            if not -INT64 - 1 <= number <= INT64:
                raise QueryError("invalid_value", f"{attr.name}: {value!r} is outside the "
                                                  "64-bit integer range", pointer)
            return int(number)
        if not isinstance(value, (int, float)):
            raise QueryError("invalid_value", f"{attr.name} is a number; got {value!r}", pointer)
        return float(value) if kind == "double" else value
    if kind == "boolean":
        if not isinstance(value, bool):
            raise QueryError("invalid_value", f"{attr.name} is true or false; got {value!r}",
                             pointer)
        return int(value)
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise QueryError("invalid_value", f"{attr.name} takes text; got {value!r}", pointer)
    if kind in ("date_time", "date"):
        try:
            return check(Field(attr.name, "datetime" if kind == "date_time" else "date"),
                         str(value))
        except ValueProblem as exc:
            raise QueryError("invalid_value", f"{attr.name}: {exc.message}", pointer) from None
    return str(value)


def _decimal(attr: Attr, value: Any, pointer: str) -> Decimal:
    """A decimal filter value, exactly: text as written, a JSON number by its shortest form."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise QueryError("invalid_value", f"{attr.name} is a number; got {value!r}", pointer)
    try:
        number = Decimal(repr(value) if isinstance(value, float) else str(value).strip())
    except InvalidOperation:
        raise QueryError("invalid_value", f"{attr.name} is a number; got {value!r}",
                         pointer) from None
    if not number.is_finite():
        raise QueryError("invalid_value", f"{attr.name}: {value!r} is not finite", pointer)
    return number


# -- filters -----------------------------------------------------------------------------
def _leaf(attrs: Attributes, leaf: Mapping[str, Any], pointer: str, out: Sql) -> None:
    attr = attrs.get(leaf["attribute"]["name"], f"{pointer}/attribute/name")
    [(operator, argument)] = leaf["parameter"].items()
    at = f"{pointer}/parameter/{operator}"
    if attr.is_list:
        _list_leaf(attr, operator, argument, at, out)
        return
    expr = attr.expr
    if operator in ("eq", "any", "range") and attr.index_on_use:
        attrs.indexed.add(expr)
    if operator == "eq":
        if argument is None:
            out.add(f"({expr} IS NULL)")
        else:
            out.add(f"{expr} = ?", _value(attr, argument, at))
    elif operator == "any":
        values = [_value(attr, v, f"{at}/{i}") for i, v in enumerate(argument)]
        present = [v for v in values if v is not None]
        parts = []
        if present:
            parts.append(f"{expr} IN ({','.join('?' * len(present))})")
        if len(present) < len(values):
            parts.append(f"({expr} IS NULL)")
        out.add(f"({' OR '.join(parts) or '0'})", *present)
    elif operator == "range":
        bounds = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}
        conditions, params = [], []
        for bound, limit in argument.items():
            if limit is None:
                raise QueryError("invalid_value", f"range bound {bound} of {attr.name} "
                                                  "needs a value", f"{at}/{bound}")
            conditions.append(f"{expr} {bounds[bound]} ?")
            params.append(_value(attr, limit, f"{at}/{bound}"))
        out.add(f"({' AND '.join(conditions)})", *params)
    elif operator == "is_null":
        out.add(f"({expr} IS {'' if argument else 'NOT '}NULL)")
    elif operator in ("contains", "starts_with"):
        if attr.type not in ("string", "keyword"):
            raise QueryError("invalid_operator", f"{operator} works on text; {attr.name} is "
                                                 f"{attr.type}", at)
        if operator == "contains":
            out.add(f"instr(lower({expr}), lower(?)) > 0", argument)
        else:
            out.add(f"substr(lower({expr}), 1, ?) = lower(?)",
                    len(argument), argument)


def _list_leaf(attr: Attr, operator: str, argument: Any, at: str, out: Sql) -> None:
    """A list attribute matches when one of its members does (tags, multi-selects)."""
    each = f"EXISTS (SELECT 1 FROM json_each(t.data, {_literal(attr.path)}) WHERE "
    if operator == "eq":
        if argument is None:
            out.add(f"(coalesce(json_array_length(t.data, {_literal(attr.path)}), 0) = 0)")
        else:
            out.add(each + "value = ?)", _scalar(argument, at))
    elif operator == "any":
        values = [_scalar(v, at) for v in argument if v is not None]
        out.add(each + f"value IN ({','.join('?' * len(values))}))" if values else "0",
                *values)
    elif operator == "is_null":
        empty = f"(coalesce(json_array_length(t.data, {_literal(attr.path)}), 0) = 0)"
        out.add(empty if argument else f"(NOT {empty})")
    elif operator == "contains":
        out.add(each + "instr(lower(value), lower(?)) > 0)", argument)
    elif operator == "starts_with":
        out.add(each + "substr(lower(value), 1, ?) = lower(?))", len(argument), argument)
    else:
        raise QueryError("invalid_operator", f"{operator} does not apply to the list "
                                             f"attribute {attr.name}", at)


def _scalar(value: Any, pointer: str) -> Any:
    if isinstance(value, bool):
        return int(value)
    return value


def compile_filter(attrs: Attributes, tree: Mapping[str, Any], pointer: str, out: Sql) -> None:
    [(kind, body)] = tree.items()
    if kind in ("and", "or"):
        if not body:
            out.add("1" if kind == "and" else "0")
            return
        out.add("(")
        for index, child in enumerate(body):
            if index:
                out.add(f" {kind.upper()} ")
            compile_filter(attrs, child, f"{pointer}/{kind}/{index}", out)
        out.add(")")
    elif kind == "not":
        # a leaf on a null attribute is SQL NULL; read it as false before negating
        out.add("(NOT coalesce(")
        compile_filter(attrs, body, f"{pointer}/not", out)
        out.add(", 0))")
    else:
        _leaf(attrs, body, f"{pointer}/filter", out)


# -- sorting and cursors -------------------------------------------------------------------
@dataclass(frozen=True)
class SortKey:
    expr: str
    descending: bool
    nulls_last: bool = True

    def reversed(self) -> SortKey:
        return SortKey(self.expr, not self.descending, not self.nulls_last)

    def order_sql(self) -> str:
        nulls = "ASC" if self.nulls_last else "DESC"
        return f"({self.expr} IS NULL) {nulls}, {self.expr} {'DESC' if self.descending else 'ASC'}"


def _after(keys: Sequence[SortKey], values: Sequence[Any], out: Sql) -> None:
    """Rows strictly after ``values`` in the order of ``keys`` (a keyset condition)."""
    branches: list[Sql] = []
    for index, key in enumerate(keys):
        branch = Sql()
        for earlier, value in zip(keys[:index], values[:index], strict=True):
            if value is None:
                branch.add(f"{earlier.expr} IS NULL AND ")
            else:
                branch.add(f"{earlier.expr} = ? AND ", value)
        value = values[index]
        op = "<" if key.descending else ">"
        if value is None:
            if key.nulls_last:
                continue  # nothing sorts after a null in this key
            branch.add(f"{key.expr} IS NOT NULL")
        elif key.nulls_last:
            branch.add(f"({key.expr} IS NULL OR {key.expr} {op} ?)", value)
        else:
            branch.add(f"{key.expr} {op} ?", value)
        branches.append(branch)
    if not branches:
        out.add("0")
        return
    out.add("(")
    for index, branch in enumerate(branches):
        if index:
            out.add(" OR ")
        out.add("(" + "".join(branch.text) + ")", *branch.params)
    out.add(")")


def _encode_cursor(fingerprint: str, direction: str, values: Sequence[Any]) -> str:
    raw = dumps({"f": fingerprint, "d": direction, "v": list(values)}).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _decode_cursor(cursor: str, fingerprint: str, width: int) -> tuple[str, list[Any]]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        state = json.loads(raw)
        direction, values = state["d"], state["v"]
        if state["f"] != fingerprint:
            raise QueryError("invalid_cursor", "This cursor belongs to another query: keep the "
                                               "filter and sort of the request that returned it",
                             "/cursor")
        if direction not in ("after", "before") or len(values) != width:
            raise ValueError(direction)
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise QueryError("invalid_cursor", "The cursor is malformed: copy meta.links.next_page "
                                           "of the previous answer", "/cursor") from None
    return direction, list(values)


# -- one query ------------------------------------------------------------------------------
@dataclass
class Compiled:
    where: Sql
    keys: list[SortKey]
    projection: list[Attr]
    fingerprint: str
    #: expressions the filter fixes with ``eq`` at its top (alone or under ``and``)
    equal: list[str] = field(default_factory=list)
    #: an index in the query's own order exists (see :func:`.search_index.order_index`)
    in_order: bool = False
    #: the query has a filter
    filtered: bool = False


def _equalities(attrs: Attributes, tree: Mapping[str, Any]) -> list[str]:
    leaves = [tree] if "filter" in tree else tree.get("and", [])
    out = []
    for leaf in leaves:
        if "filter" not in leaf or leaf["filter"]["parameter"].get("eq") is None:
            continue
        attr = attrs.get(leaf["filter"]["attribute"]["name"], "")
        if not attr.is_list and attr.name != "version":
            out.append(attr.expr)
    return out


def _compile(attrs: Attributes, query: Mapping[str, Any]) -> Compiled:
    body = query.get("query", {})
    where = Sql()
    if "filter" in body:
        compile_filter(attrs, body["filter"], "/query/filter", where)
    else:
        where.add("1")
    keys: list[SortKey] = []
    has_id = False
    for index, entry in enumerate(body.get("sort", ())):
        at = f"/query/sort/{index}/attribute/name"
        attr = attrs.get(entry["attribute"]["name"], at)
        if not attr.sortable:
            raise QueryError("invalid_sort", f"{attr.name} is a list and cannot be sorted by", at)
        if has_id:
            continue  # checked, but ids are unique: keys after id can never decide
        keys.append(SortKey(attr.expr, entry.get("order", "ascending") == "descending"))
        has_id = attr.name == "id"
    if not has_id:
        keys.append(SortKey("t.id", False))
    projection = [attrs.get(name, "/query/projection") for name in DEFAULT_PROJECTION]
    for index, entry in enumerate(body.get("projection", ())):
        attr = attrs.get(entry["name"], f"/query/projection/{index}/name")
        if attr.name not in DEFAULT_PROJECTION:
            projection.append(attr)
    fingerprint = hashlib.sha1(dumps([attrs.res.name, body.get("filter"),
                                      body.get("sort")]).encode()).hexdigest()[:16]
    equal = _equalities(attrs, body["filter"]) if "filter" in body else []
    return Compiled(where, keys, projection, fingerprint, equal, filtered="filter" in body)


MAX_INDEXES = 24


def ensure_indexes(store: Store, res: Resource, expressions: set[str]) -> None:
    """An expression index per compared custom field (at most :data:`MAX_INDEXES` a table)."""
    for expr in sorted(expressions):
        if not expr.startswith(("json_extract(t.data", "CAST(json_extract(t.data")):
            continue
        name = f"search_{res.name}_{hashlib.sha1(expr.encode()).hexdigest()[:12]}"
        have = store.execute("SELECT count(*), sum(name = ?) FROM sqlite_master WHERE "
                             "type = 'index' AND tbl_name = ? AND name LIKE 'search\\_%' "
                             "ESCAPE '\\'", (name, res.name)).fetchone()
        if have[1] or have[0] >= MAX_INDEXES:
            continue
        store.execute(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{res.name}" '
                      f'({expr.replace("t.data", "data")})')


def _scope(res: Resource) -> str:
    """The condition that keeps a table's own records: every searchable resource is
    top-level (``parent`` always 0), so none is needed, and an index on an attribute
    alone can answer a count without reading the table."""
    return "t.parent = 0" if res.parent_params else "1"


def plan_order(store: Store, res: Resource, compiled: Compiled, matches: int) -> None:
    """Give a query with many matches an index in its own order (or find it), so its pages
    read ``per_page`` rows instead of sorting every match (up to
    :data:`.search_index.MAX_ORDER_INDEXES` a table; smaller queries sort their few
    matches). A filter must fix an attribute with ``eq`` (or be absent): an index in
    sort order alone would make a selective range or text filter read many records
    per page, more than sorting its matches costs."""
    if any("SELECT" in key.expr for key in compiled.keys):
        return  # ``version`` lives in another table
    if compiled.filtered and not compiled.equal:
        return
    name, create = order_index(res, compiled.equal,
                               [(key.expr, key.descending) for key in compiled.keys])
    have = store.execute("SELECT count(*), sum(name = ?) FROM sqlite_master WHERE type = "
                         "'index' AND tbl_name = ? AND name LIKE 'search\\_order\\_%' "
                         "ESCAPE '\\'", (name, res.name)).fetchone()
    if have[1]:
        compiled.in_order = True
    elif matches >= ORDER_INDEX_FROM and have[0] < MAX_ORDER_INDEXES:
        store.execute(create)
        compiled.in_order = True


def _select(store: Store, res: Resource, compiled: Compiled, keys: Sequence[SortKey],
            after: Sequence[Any] | None, limit: int, offset: int) -> list[tuple[Any, ...]]:
    """The page's rows: id, projected values, then the sort values (the next cursor).

    With an index in the query's order, the page is read off it directly. Otherwise
    each matching record's sort values are read once (a materialised step), the
    page is cut from those, and only the page's records are projected.
    """
    if compiled.in_order:
        return _select_in_order(store, res, compiled, keys, after, limit, offset)
    inner = ", ".join(["t.id AS id", *(f"{k.expr} AS k{i}" for i, k in enumerate(keys))])
    named = [SortKey(f"m.k{i}", k.descending, k.nulls_last) for i, k in enumerate(keys)]
    params = list(compiled.where.params)
    condition = ""
    if after is not None:
        keyset = Sql()
        _after(named, after, keyset)
        condition = f"WHERE {''.join(keyset.text)}"
        params += keyset.params
    order = ", ".join(k.order_sql() for k in named)
    outer_order = ", ".join(SortKey(f"p.k{i}", k.descending, k.nulls_last).order_sql()
                            for i, k in enumerate(keys))
    projected = ", ".join(["p.id", *(a.shown for a in compiled.projection),
                           *(f"p.k{i}" for i in range(len(keys)))])
    sql = (f'WITH m AS MATERIALIZED (SELECT {inner} FROM "{res.name}" t WHERE {_scope(res)} '
           f'AND ({"".join(compiled.where.text)})), '
           f"p AS (SELECT * FROM m {condition} ORDER BY {order} LIMIT ? OFFSET ?) "
           f'SELECT {projected} FROM p JOIN "{res.name}" t ON t.parent = 0 AND t.id = p.id '
           f"ORDER BY {outer_order}")
    return store.execute(sql, (*params, limit, offset)).fetchall()


def _select_in_order(store: Store, res: Resource, compiled: Compiled, keys: Sequence[SortKey],
                     after: Sequence[Any] | None, limit: int,
                     offset: int) -> list[tuple[Any, ...]]:
    where = Sql()
    where.add(f"{_scope(res)} AND ({''.join(compiled.where.text)})", *compiled.where.params)
    if after is not None:
        where.add(" AND ")
        _after(keys, after, where)
    columns = ", ".join(["t.id", *(a.shown for a in compiled.projection),
                         *(k.expr for k in keys)])
    sql = (f'SELECT {columns} FROM "{res.name}" t WHERE {"".join(where.text)} '
           f"ORDER BY {', '.join(k.order_sql() for k in keys)} LIMIT ? OFFSET ?")
    return store.execute(sql, (*where.params, limit, offset)).fetchall()


def _record(res: Resource, compiled: Compiled, row: Sequence[Any]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for attr, value in zip(compiled.projection, row[1:], strict=False):
        if attr.decimal and value is not None:
            value = _DECIMAL_MARK + format(Decimal(str(value)), "f")
        elif attr.type == "boolean" and value is not None:
            value = bool(value)
        elif attr.is_list and isinstance(value, str):
            value = json.loads(value)
        if "." in attr.name and not attr.name.startswith("custom_fields."):
            nest(data, attr.name, value)
        elif attr.name.startswith("custom_fields."):
            data.setdefault("custom_fields", {})[attr.name.split(".", 1)[1]] = value
        else:
            data[attr.name] = value
    return {"data": data, "meta": {"type": res.type}}


def run_query(store: Store, res: Resource, query: Mapping[str, Any],
              self_url: str = "") -> dict[str, Any]:
    """One query's answer (``successful: true``), or :class:`QueryError`."""
    try:
        validate(query, {"$ref": "#/definitions/query"})
    except SchemaViolation as exc:  # the message names the place: "per_page: must be ..."
        where = exc.pointer.strip("/")
        raise QueryError("invalid_query", f"{where}: {exc.message}" if where else exc.message,
                         exc.pointer) from None
    modes = [key for key in ("cursor", "page", "offset") if key in query]
    if len(modes) > 1:
        raise QueryError("invalid_query", f"{' and '.join(modes)} are mutually exclusive: "
                                          "page with a cursor, or by page, or by offset",
                         f"/{modes[1]}")
    attrs = Attributes(store, res)
    compiled = _compile(attrs, query)
    ensure_indexes(store, res, attrs.indexed)
    per_page = query.get("per_page", DEFAULT_PER_PAGE)
    hits = query.get("hits", True)
    width = len(compiled.keys)
    rows: list[tuple[Any, ...]] = []
    links: dict[str, Any] = {"self": query.get("cursor")}
    total = _count(store, res, compiled)
    if hits and per_page:
        plan_order(store, res, compiled, total)
        rows, links = _page(store, res, compiled, query, per_page, width)
    meta: dict[str, Any] = {"type": "collection", "count": len(rows),
                            "total_count": total, "links": links}
    if query.get("aggregations"):
        meta["aggregations"] = aggregate(store, res, attrs, compiled, query["aggregations"])
    return {"successful": True, "items": [_record(res, compiled, row) for row in rows],
            "meta": meta}


def _page(store: Store, res: Resource, compiled: Compiled, query: Mapping[str, Any],
          per_page: int, width: int) -> tuple[list[tuple[Any, ...]], dict[str, Any]]:
    keys = compiled.keys
    links: dict[str, Any] = {"self": query.get("cursor")}
    tail = len(compiled.projection) + 1

    def position(row: Sequence[Any]) -> list[Any]:
        return list(row[tail:tail + width])

    if "cursor" in query:
        direction, values = _decode_cursor(query["cursor"], compiled.fingerprint, width)
    else:
        direction, values = "after", []
    if direction == "before":
        back = [k.reversed() for k in keys]
        rows = _select(store, res, compiled, back, values, per_page + 1, 0)
        more_before = len(rows) > per_page
        rows = rows[:per_page][::-1]
        if rows:
            links["next_page"] = _encode_cursor(compiled.fingerprint, "after", position(rows[-1]))
            if more_before:
                links["prev_page"] = _encode_cursor(compiled.fingerprint, "before",
                                                    position(rows[0]))
        return rows, links
    # past SQLite's largest integer there are no rows either: a huge page is an empty one
    offset = min(query.get("offset", 0) + query.get("page", 0) * per_page, INT64)
    rows = _select(store, res, compiled, keys, values or None, per_page + 1, offset)
    more = len(rows) > per_page
    rows = rows[:per_page]
    if rows and more:
        links["next_page"] = _encode_cursor(compiled.fingerprint, "after", position(rows[-1]))
    if rows and (values or offset):
        links["prev_page"] = _encode_cursor(compiled.fingerprint, "before", position(rows[0]))
    return rows, links


def _count(store: Store, res: Resource, compiled: Compiled) -> int:
    sql = f'SELECT count(*) FROM "{res.name}" t WHERE {_scope(res)} AND ({"".join(compiled.where.text)})'
    return int(store.execute(sql, compiled.where.params).fetchone()[0])


# -- aggregations ---------------------------------------------------------------------------
def aggregate(store: Store, res: Resource, attrs: Attributes, compiled: Compiled,
              requests: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """``meta.aggregations``: per attribute, the statistics asked for (all of them
    when no ``aggregation_type`` is given)."""
    out: dict[str, dict[str, Any]] = {}
    where = "".join(compiled.where.text)
    base = f'FROM "{res.name}" t WHERE {_scope(res)} AND ({where})'
    params = compiled.where.params
    for index, request in enumerate(requests):
        at = f"/aggregations/{index}"
        attr = attrs.get(request["attribute"]["name"], f"{at}/attribute/name")
        kind = request.get("aggregation_type")
        kinds = [kind] if kind else ["min", "max", "sum", "avg", "count", "terms"]
        numeric = attr.type in _NUMERIC or attr.type == "double"
        if kind in ("sum", "avg") and not numeric:
            raise QueryError("invalid_aggregation", f"{kind} needs a number; {attr.name} is "
                                                    f"{attr.type}", f"{at}/aggregation_type")
        result = out.setdefault(attr.name, {})
        if attr.is_list:
            each = f"json_each(t.data, {_literal(attr.path)}) e"
            value_sql, source = "e.value", f'FROM "{res.name}" t, {each} WHERE {_scope(res)} ' \
                                           f"AND ({where})"
        elif attr.decimal:
            # each record's stored text is read, and its key made, once (a subquery with
            # a LIMIT is not inlined, which would repeat that work in every aggregate)
            value_sql = "d.k"
            source = (f"FROM (SELECT {key_sql('r')} AS k, r FROM (SELECT {attr.raw} AS r "
                      f"{base} LIMIT -1) LIMIT -1) d WHERE 1")
        else:
            value_sql, source = attr.expr, base
        stats: tuple[Any, ...] = (None, None, 0)
        if {"min", "max", "count", "avg"} & set(kinds):  # a sum or terms alone skip this scan
            stats = store.execute(f"SELECT min({value_sql}), max({value_sql}), "
                                  f"count({value_sql}) {source}", params).fetchone()
        if attr.decimal:  # min and max of the keys: the exact extremes
            stats = tuple(None if k is None else from_key(k) for k in stats[:2]) + stats[2:]
        if "min" in kinds:
            result["min"] = _number(attr, stats[0])
        if "max" in kinds:
            result["max"] = _number(attr, stats[1])
        if "count" in kinds:
            result["count"] = stats[2]
        if numeric and ("sum" in kinds or "avg" in kinds):
            total = (_exact_sum(store, attr.raw, base, params) if attr.decimal
                     else _sum(store, attr, source, params))
            if "sum" in kinds:
                result["sum"] = _number(attr, total)
            if "avg" in kinds:
                result["avg"] = None if not stats[2] else _number(attr, _average(total,
                                                                                  stats[2]))
        if "terms" in kinds:
            size = request.get("size", DEFAULT_TERMS)
            rows = store.execute(
                f"SELECT {value_sql} AS term, count(*) AS n {source} AND {value_sql} IS NOT NULL "
                f"GROUP BY term ORDER BY n DESC, term ASC LIMIT ?", (*params, size)).fetchall()
            result["terms"] = [{"term": _number(attr, from_key(term) if attr.decimal else term),
                                "count": n} for term, n in rows]
    return out


def _sum(store: Store, attr: Attr, source: str, params: Sequence[Any]) -> Decimal:
    value = store.execute(f"SELECT total({attr.expr}) {source}", params).fetchone()[0]
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def _exact_sum(store: Store, raw: str, source: str, params: Sequence[Any]) -> Decimal:
    """A decimal's exact sum: SQLite adds 9-digit limbs of the stored text as integers
    (see :mod:`.search_decimal`). Only when some value is wider than the limbs are the
    texts streamed through SQLite's cursor (one row at a time) and added here."""
    row = store.execute(limb_sums_select(f"SELECT {raw} AS r {source}"), params).fetchone()
    total = join_limbs(row)
    if total is not None:
        return total
    total = Decimal(0)
    with localcontext() as exact:
        exact.prec = 10 ** 6  # wide enough for any stored decimal: sums never round
        for (text,) in store.execute(f"SELECT {raw} {source} AND {raw} IS NOT NULL", params):
            total += Decimal(str(text))
    return total


def _average(total: Decimal, count: int) -> Decimal:
    with localcontext() as context:
        context.prec = 60
        return total / count


def _number(attr: Attr, value: Any) -> Any:
    if value is None:
        return None
    if attr.decimal or isinstance(value, Decimal):
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        if attr.type == "double" and not attr.decimal and number == number.to_integral_value():
            return float(number)
        return _DECIMAL_MARK + plain(number)
    if attr.type == "boolean" and isinstance(value, int):
        return bool(value)
    return value


_MARKED = re.compile(r'"\\u0000dec:(-?[0-9]+(?:\.[0-9]+)?)"')


def encode_answer(answer: Any) -> str:
    """JSON text with exact decimals written as JSON numbers (``1000.50``, not a float)."""
    return _MARKED.sub(r"\1", dumps(answer))


def run_batch(store: Store, resource: str, items: Sequence[Mapping[str, Any]],
              self_url: str = "") -> list[dict[str, Any]]:
    """One answer per item; a refused query answers ``successful: false`` and the rest run."""
    res = CATALOG[resource]
    answers = []
    for index, item in enumerate(items):
        try:
            answers.append(run_query(store, res, item["data"], self_url))
        except QueryError as exc:
            failure = exc.as_json()
            failure["field"] = f"/items/{index}/data{exc.pointer}" if exc.pointer else None
            answers.append({"successful": False, "error": failure})
    return answers
