"""Columns to attributes: the column mapping, catalog coercion and required checks.

A value that cannot be coerced fails its row (a :class:`~.rows.RowError`), not
the import; a mapping that names an attribute the resource lacks concerns every
row, so it raises :class:`~.rows.InputError` before anything is sent.
"""
from __future__ import annotations

import csv
import datetime as _dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import Any

from ..catalog import ADDRESS_KEYS, Field, RequiredIf, Resource
from ..support import keypaths
from ..support.decimals import parse_decimal
from ..support.suggest import did_you_mean
from .rows import InputError, RowError

__all__ = [
    "IGNORE", "ColumnMapper", "coerce_value", "load_map_file", "missing_required",
    "parse_map_options",
]

#: the mapping target that drops a column
IGNORE = "-"
_TRUE = frozenset({"true", "t", "yes", "y", "1", "on"})
_FALSE = frozenset({"false", "f", "no", "n", "0", "off"})
_SPLIT = str.maketrans({";": ","})


# -- column mapping ------------------------------------------------------------------
def parse_map_options(options: Iterable[str]) -> dict[str, str]:
    """``["E-mail=email", "Notes=-"]`` -> ``{"E-mail": "email", "Notes": "-"}``."""
    mapping: dict[str, str] = {}
    for option in options:
        column, sep, attribute = option.rpartition("=")
        if not sep or not column.strip():
            raise InputError(f"--map {option!r} must look like column=attribute "
                             "(or column=- to ignore the column)")
        mapping[column.strip()] = attribute.strip() or IGNORE
    return mapping


def load_map_file(path: str) -> dict[str, str]:
    """A JSON object ``{"column": "attribute"}`` or a two-column CSV ``column,attribute``."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            text = fh.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the map file {path}: {exc}") from None
    if text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise InputError(f"the map file {path} is not valid JSON: {exc}") from None
        if not all(isinstance(v, str) for v in data.values()):
            raise InputError(f"the map file {path} must map column names to attribute names")
        return {str(k).strip(): (v.strip() or IGNORE) for k, v in data.items()}
    mapping: dict[str, str] = {}
    for i, row in enumerate(csv.reader(text.splitlines()), 1):
        if not row or not any(c.strip() for c in row):
            continue
        if len(row) != 2:
            raise InputError(f"the map file {path}, line {i}: expected two cells, "
                             "column,attribute")
        column, attribute = row[0].strip(), row[1].strip()
        if i == 1 and (column.lower(), attribute.lower()) == ("column", "attribute"):
            continue
        mapping[column] = attribute or IGNORE
    return mapping


# -- coercion ---------------------------------------------------------------------------
#: unknown columns noted one by one; beyond this, one note sums them up
MAX_COLUMN_NOTES = 5


@dataclass(frozen=True)
class _Target:
    kind: str                 # field | custom | address | ignore | readonly | unknown
    name: str = ""
    spec: Field | None = None
    known_hint: str = ""
    #: for an unknown attribute: the resource to suggest a close name from
    suggest_from: Resource | None = None

    @cached_property
    def hint(self) -> str:
        """Why the column is unknown; the "did you mean" search runs only when
        asked for, not for every one of a file's thousands of stray columns."""
        res = self.suggest_from
        if self.known_hint or res is None:
            return self.known_hint
        close = did_you_mean(self.name, (f.name for f in res.fields if f.access != "r"))
        hint = f"{res.model_name} has no attribute {self.name!r}"
        return hint + (f"; did you mean {close!r}?" if close else "")


@dataclass
class ColumnMapper:
    """Turns a row of columns into the attributes of ``resource``.

    Column names are matched to attributes exactly, then case- and
    space-insensitively (``"Last Name"`` -> ``last_name``), after ``mapping``.
    ``custom_fields.<name>`` columns go into ``custom_fields``, ``address.<key>``
    columns into ``address``. Read-only attributes (``id``, ``created_at`` ...,
    as in an export) are ignored. Values are coerced by the catalog's types;
    empty cells are left out.
    """

    resource: Resource
    mapping: Mapping[str, str] = field(default_factory=dict)
    _cache: dict[str, _Target] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for column, attribute in self.mapping.items():
            if attribute == IGNORE:
                continue
            target = self._resolve_attribute(attribute)
            if target.kind == "unknown":
                raise InputError(f"mapping {column}={attribute}: {target.hint}")

    # -- names --------------------------------------------------------------------------
    def target(self, column: str) -> _Target:
        cached = self._cache.get(column)
        if cached is None:
            cached = self._cache[column] = self._resolve(column)
        return cached

    def _resolve(self, column: str) -> _Target:
        if column in self.mapping:
            attribute = self.mapping[column]
            return _Target("ignore") if attribute == IGNORE else self._resolve_attribute(attribute)
        target = self._resolve_attribute(column)
        if target.kind == "unknown":
            normal = column.strip().lower().replace(" ", "_").replace("-", "_")
            if normal != column:
                other = self._resolve_attribute(normal)
                if other.kind != "unknown":
                    return other
        return target

    def _resolve_attribute(self, name: str) -> _Target:
        res = self.resource
        head, rest = keypaths.split(name)
        if rest and head == "custom_fields" and res.has_custom_fields:
            return _Target("custom", rest)
        whole = res.field(head) if rest is not None else None
        if whole is not None and whole.type == "address":  # address.city, billing_address.city
            if rest in ADDRESS_KEYS:
                return _Target("address", str(rest), whole)
            return _Target("unknown", name, known_hint=f"{head} has no key {rest!r}; the keys are "
                           f"{', '.join(ADDRESS_KEYS)}")
        spec = res.field(name)
        if spec is not None:
            return _Target("readonly" if spec.access == "r" else "field", name, spec)
        return _Target("unknown", name, suggest_from=res)

    def header_notes(self, columns: Iterable[str]) -> list[str]:
        """What will happen to unknown columns (read-only ones are ignored silently)."""
        notes = []
        unknown: list[str] = []
        for column in columns:
            t = self.target(column)
            if t.kind == "unknown":
                unknown.append(column)
                if len(unknown) <= MAX_COLUMN_NOTES:
                    notes.append(f"column {column!r}: {t.hint}; rows with a value in it fail "
                                 f"(use --map {column!r}=attribute, or --map {column!r}=- to "
                                 "ignore it)")
        if len(unknown) > MAX_COLUMN_NOTES:
            # a file with thousands of stray columns gets one note, not thousands
            shown = ", ".join(repr(c[:40]) for c in unknown[:MAX_COLUMN_NOTES])
            return [f"{len(unknown)} columns are not attributes (the first: {shown}, ...); rows "
                    "with a value in one of them fail (map them with --map COLUMN=attribute, "
                    "or ignore one with --map COLUMN=-)"]
        return notes

    # -- values -------------------------------------------------------------------------
    def attributes(self, data: Mapping[str, Any]) -> tuple[dict[str, Any], RowError | None]:
        """The row's attributes, or the first error found."""
        out: dict[str, Any] = {}
        for column, raw in data.items():
            if _empty(raw):
                continue
            t = self.target(str(column))
            try:
                if t.kind in ("ignore", "readonly"):
                    continue
                if t.kind == "unknown":
                    return out, RowError("unknown_column", f"column {column!r} has a value but "
                                         f"{t.hint} (map it with --map or drop it)", str(column))
                if t.kind == "custom":
                    out.setdefault("custom_fields", {})[t.name] = _custom_value(raw)
                elif t.kind == "address":
                    assert t.spec is not None
                    out.setdefault(t.spec.name, {})[t.name] = _text(raw)
                else:
                    assert t.spec is not None
                    value = coerce_value(t.spec, raw)
                    if isinstance(value, dict) and isinstance(out.get(t.name), dict):
                        value = {**value, **out[t.name]}    # address.city beats address{}
                    out[t.name] = value
            except ValueError as exc:
                return out, RowError("invalid_value", f"column {column!r}: {exc}", t.name or None)
        return out, None


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value: Any) -> str:
    if isinstance(value, (dict, list)):
        raise ValueError(f"expected text, got a JSON {type(value).__name__}")
    return value if isinstance(value, str) else str(value)


def _custom_value(value: Any) -> Any:
    if isinstance(value, str):
        return value
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else value
    return value


def coerce_value(spec: Field, raw: Any) -> Any:
    """One value of attribute ``spec`` from a cell or a JSON value; ValueError when it cannot be."""
    kind = spec.type
    if kind == "boolean":
        value: Any = _boolean(raw)
    elif kind == "integer":
        value = _integer(raw)
    elif kind == "decimal":
        value = parse_decimal(raw)
    elif kind == "number":
        if isinstance(raw, bool):
            raise ValueError(f"{raw!r} is not a number")
        value = float(parse_decimal(raw))
    elif kind == "date":
        value = _dt.date.fromisoformat(_check(raw, "a date (YYYY-MM-DD)").strip()).isoformat() \
            if not isinstance(raw, _dt.date) else raw.isoformat()
    elif kind == "datetime":
        text = _check(raw, "a date and time (ISO 8601)").strip()
        try:
            _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"{text!r} is not an ISO 8601 date and time, "
                             "e.g. 2024-05-01T09:30:00Z") from None
        value = text
    elif kind == "tags":
        value = _list(raw)
    elif kind == "integer_list":
        value = [_integer(v) for v in _list(raw)]
    elif kind in ("address", "custom_fields", "object"):
        value = dict(_json(raw, dict))      # a copy: never change the caller's data
        if kind == "address":
            unknown = set(value) - set(ADDRESS_KEYS)
            if unknown:
                raise ValueError(f"address has no key {sorted(unknown)[0]!r}; the keys are "
                                 f"{', '.join(ADDRESS_KEYS)}")
    elif kind == "object_list":
        value = _json(raw, list)
    else:
        value = _text(raw)
    if spec.enum and value not in spec.enum:
        raise ValueError(f"{value!r} is not one of {', '.join(spec.enum)}")
    return value


def _check(raw: Any, what: str) -> str:
    if not isinstance(raw, str):
        raise ValueError(f"{raw!r} is not {what}")
    return raw


def _boolean(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"{raw!r} is not a boolean; use true or false")


def _integer(raw: Any) -> int:
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    try:
        number = parse_decimal(raw)
    except ValueError:
        raise ValueError(f"{raw!r} is not a whole number") from None
    if number != number.to_integral_value():
        raise ValueError(f"{raw!r} is not a whole number")
    return int(number)


def _list(raw: Any) -> list[Any]:
    if isinstance(raw, list):
        return [v.strip() if isinstance(v, str) else v for v in raw if not _empty(v)]
    if not isinstance(raw, str):
        return [raw]
    text = raw.strip()
    if text.startswith("["):
        return _list(_json(text, list))
    return [part.strip() for part in text.translate(_SPLIT).split(",") if part.strip()]


def _json(raw: Any, kind: type) -> Any:
    if isinstance(raw, kind):
        return raw
    if not isinstance(raw, str):
        raise ValueError(f"expected a JSON {kind.__name__}, got {raw!r}")
    try:
        value = json.loads(raw, parse_float=Decimal)
    except ValueError:
        raise ValueError(f"{_short(raw)!r} is not valid JSON") from None
    if not isinstance(value, kind):
        raise ValueError(f"expected a JSON {'object' if kind is dict else 'array'}, got {_short(raw)!r}")
    return value


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


# -- required attributes ----------------------------------------------------------------
def missing_required(resource: Resource, attributes: Mapping[str, Any]) -> RowError | None:
    """The first required attribute a create would lack, per the catalog."""
    for name in resource.required:
        if _empty(attributes.get(name)):
            return RowError("missing", f"{name} is required to create a {resource.model_name}", name)
    for group in resource.required_any:
        if all(_empty(attributes.get(n)) for n in group):
            return RowError("missing", f"one of {', '.join(group)} is required to create a "
                            f"{resource.model_name}", group[0])
    for rule in resource.required_if:
        if _rule_applies(resource, rule, attributes):
            for name in rule.fields:
                if _empty(attributes.get(name)):
                    return RowError("missing", f"{name} is required to create a "
                                    f"{resource.model_name} when {rule.when} is "
                                    f"{_show(rule.value)}", name)
    return None


def _rule_applies(resource: Resource, rule: RequiredIf, attributes: Mapping[str, Any]) -> bool:
    value = attributes.get(rule.when)
    if value is None:
        spec = resource.field(rule.when)
        value = spec.default if spec is not None else None
    return bool(value == rule.value)


def _show(value: Any) -> str:
    return json.dumps(value) if isinstance(value, (bool, type(None))) else str(value)
