"""Rows in, attributes out: reading CSV and JSON Lines, column mapping, catalog coercion.

A row that cannot be read or coerced never stops an import: it becomes an
:class:`InputRow` carrying a :class:`RowError`, reported as a failed row, and
reading goes on with the next one. Only problems that concern the whole file
(it does not exist, it is not in the stated encoding, the mapping names an
attribute the resource lacks) raise :class:`InputError`.
"""
from __future__ import annotations

import codecs
import csv
import datetime as _dt
import difflib
import hashlib
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from .resources import ADDRESS_KEYS, Field, RequiredIf, Resource

__all__ = [
    "InputError", "RowError", "InputRow", "ColumnMapper", "read_rows", "read_csv",
    "read_jsonl", "scan_file", "parse_map_options", "load_map_file", "missing_required",
    "IGNORE",
]

#: largest CSV field we accept (the stdlib default, 128 KiB, is too small for notes)
MAX_FIELD = 64 * 1024 * 1024
#: a quoted field may span lines, but an unclosed quote must not swallow the file
MAX_RECORD_LINES = 10_000
#: the mapping target that drops a column
IGNORE = "-"
_TRUE = frozenset({"true", "t", "yes", "y", "1", "on"})
_FALSE = frozenset({"false", "f", "no", "n", "0", "off"})
_SPLIT = str.maketrans({";": ","})


class InputError(Exception):
    """The input as a whole cannot be read (missing file, wrong encoding, bad mapping)."""


@dataclass(frozen=True)
class RowError:
    """Why a row failed before (or instead of) reaching the API."""

    code: str
    message: str
    field: str | None = None


@dataclass
class InputRow:
    """One input record: its number (1 = first record after the header) and content.

    ``data`` maps column names (or attribute names) to raw values; ``error``
    is set when the record could not even be read. ``line`` is the line of
    the file where the record starts, when there is a file.
    """

    number: int
    data: dict[str, Any] | None = None
    error: RowError | None = None
    line: int | None = None
    fingerprint: str = ""

    def __post_init__(self) -> None:
        if not self.fingerprint:
            self.fingerprint = fingerprint(self.data if self.error is None else repr(self.error))


def fingerprint(value: Any) -> str:
    """A short digest of a record, so a resumed run notices a row that changed."""
    text = json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()


# -- whole-file checks ------------------------------------------------------------------
def scan_file(path: str, encoding: str = "utf-8") -> int:
    """Check that the file decodes, and count its lines (cheaply, for progress ETA).

    Raises :class:`InputError` naming ``--encoding`` when a byte sequence is
    not valid in ``encoding``, before anything is sent.
    """
    try:
        decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    except LookupError:
        raise InputError(f"unknown encoding {encoding!r}; pass --encoding with a Python codec "
                         "name such as utf-8, utf-8-sig, cp1252 or latin-1") from None
    lines = 0
    offset = 0
    last = b""
    try:
        with open(path, "rb") as fh:
            while True:
                chunk = fh.read(1 << 20)
                if not chunk:
                    decoder.decode(b"", final=True)
                    break
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as exc:
                    bad = offset + exc.start
                    line = lines + chunk.count(b"\n", 0, max(0, exc.start)) + 1
                    raise InputError(
                        f"{path} is not valid {encoding}: byte 0x{chunk[exc.start]:02x} at offset "
                        f"{bad} (line {line}); pass --encoding with the file's encoding, e.g. "
                        "--encoding cp1252 or --encoding latin-1") from None
                lines += chunk.count(b"\n")
                offset += len(chunk)
                last = chunk[-1:]
    except UnicodeDecodeError as exc:   # an incomplete sequence at the very end
        raise InputError(f"{path} is not valid {encoding} ({exc.reason} at the end of the file); "
                         "pass --encoding with the file's encoding") from None
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    return lines + (1 if last and last != b"\n" else 0)


def detect_format(path: str, fmt: str | None = None) -> str:
    if fmt:
        fmt = fmt.lower()
        if fmt not in ("csv", "jsonl"):
            raise InputError(f"unknown input format {fmt!r}; use csv or jsonl")
        return fmt
    ext = os.path.splitext(path)[1].lower()
    if ext in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    return "csv"


def read_rows(path: str, fmt: str | None = None, encoding: str = "utf-8") -> Iterator[InputRow]:
    """The records of a CSV or JSON Lines file, lazily (the format from the extension)."""
    kind = detect_format(path, fmt)
    enc = "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
    try:
        fh = open(path, encoding=enc, newline="")
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    except LookupError:
        raise InputError(f"unknown encoding {encoding!r}; pass --encoding with a Python codec "
                         "name such as utf-8, cp1252 or latin-1") from None
    reader = read_csv(fh) if kind == "csv" else read_jsonl(fh)
    first: InputRow | None = None
    try:
        if kind == "csv":
            # fail on an empty file or a bad header now, not at the first row
            first = next(reader, None)
    except UnicodeDecodeError as exc:
        fh.close()
        raise InputError(_decode_message(path, encoding, exc)) from None
    except BaseException:
        fh.close()
        raise

    def rows() -> Iterator[InputRow]:
        with fh:
            try:
                if first is not None:
                    yield first
                yield from reader
            except UnicodeDecodeError as exc:
                raise InputError(_decode_message(path, encoding, exc)) from None
    return rows()


def _decode_message(path: str, encoding: str, exc: UnicodeDecodeError) -> str:
    return (f"{path} is not valid {encoding} ({exc.reason}); pass --encoding with the file's "
            "encoding, e.g. --encoding cp1252 or --encoding latin-1")


# -- CSV --------------------------------------------------------------------------------
class _Lines:
    """Physical lines of a file with push-back, remembering the current record's lines."""

    def __init__(self, fh: IO[str]) -> None:
        self._it = iter(fh)
        self._back: list[tuple[int, str]] = []
        self.number = 0           # line number of the last line handed out
        self.taken: list[tuple[int, str]] = []

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        if len(self.taken) >= MAX_RECORD_LINES:
            raise _RecordTooLong()
        if self._back:
            self.number, line = self._back.pop()
        else:
            line = next(self._it)
            self.number += 1
        self.taken.append((self.number, line))
        return line

    def begin(self) -> None:
        self.taken = []

    def push_back(self, lines: list[tuple[int, str]]) -> None:
        self._back.extend(reversed(lines))


class _RecordTooLong(Exception):
    pass


def read_csv(fh: IO[str], delimiter: str = ",") -> Iterator[InputRow]:
    """Records of an open CSV file whose first record is the header.

    Wrong cell counts, broken quoting and a quote that is never closed become
    failed rows; the rows after them are read normally. A quote left open
    swallows at most :data:`MAX_RECORD_LINES` lines before it is given up on
    and the lines are read again as records of their own.
    """
    if csv.field_size_limit() < MAX_FIELD:
        csv.field_size_limit(MAX_FIELD)
    lines = _Lines(fh)
    header = _read_header(lines, delimiter)
    width = len(header)
    number = 0
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    while True:
        lines.begin()
        problem: str | None = None
        cells: list[str] = []
        try:
            cells = next(reader)
        except StopIteration:
            if not lines.taken:
                return
            problem = "unclosed"          # EOF inside a quoted field
        except csv.Error as exc:
            problem = f"broken quoting ({exc})"
        except _RecordTooLong:
            problem = "unclosed"
        taken = lines.taken
        if not taken:
            return
        start = taken[0][0]
        if problem is None and (not cells or (len(cells) == 1 and not cells[0].strip()
                                              and width > 1)):
            continue                      # a blank line is not a record
        number += 1
        if problem is None and len(cells) == width:
            if all(not c.strip() for c in cells):
                yield InputRow(number, {}, RowError("empty_row", "the row has no values"), start,
                               fingerprint(cells))
            else:
                yield InputRow(number, dict(zip(header, cells, strict=True)), None, start, fingerprint(cells))
            continue
        if problem is None:
            if len(taken) == 1:
                yield InputRow(number, None, RowError(
                    "wrong_cell_count", f"line {start} has {len(cells)} cells but the header has "
                    f"{width}; check the delimiters and quotes"), start, fingerprint(cells))
                continue
            problem = "unclosed"
        # re-read everything after the record's first line as records of their own
        lines.push_back(taken[1:])
        reader = csv.reader(lines, delimiter=delimiter, strict=True)
        if problem == "unclosed" or len(taken) > 1:
            message = (f"broken quoting: a quote opened on line {start} is not closed where the "
                       "row should end; the following lines were read as rows of their own")
        else:
            message = f"line {start}: {problem}"
        yield InputRow(number, None, RowError("broken_quoting", message), start,
                       fingerprint(taken[0][1]))


def _read_header(lines: _Lines, delimiter: str) -> list[str]:
    for _ in range(MAX_RECORD_LINES):
        lines.begin()
        try:
            cells = next(csv.reader(lines, delimiter=delimiter, strict=True))
        except StopIteration:
            raise InputError("the file is empty: a CSV file needs a header row naming the "
                             "attributes, e.g. first_name,last_name,email") from None
        except (csv.Error, _RecordTooLong) as exc:
            raise InputError(f"the header row cannot be read ({exc}); check its quotes") from None
        if not cells or not any(c.strip() for c in cells):
            continue
        header = [c.strip() for c in cells]
        seen: set[str] = set()
        for name in header:
            if not name:
                raise InputError(f"the header row has an empty column name "
                                 f"(column {header.index(name) + 1}); name every column")
            if name in seen:
                raise InputError(f"the header row names column {name!r} twice")
            seen.add(name)
        return header
    raise InputError("no header row found in the first lines of the file")


# -- JSON Lines -------------------------------------------------------------------------
def read_jsonl(fh: IO[str]) -> Iterator[InputRow]:
    """One JSON object per line; blank lines are ignored, anything else is a failed row."""
    number = 0
    for lineno, line in enumerate(fh, 1):
        if not line.strip():
            continue
        number += 1
        try:
            value = json.loads(line, parse_float=Decimal)
        except ValueError as exc:
            yield InputRow(number, None, RowError("invalid_json", f"line {lineno} is not valid JSON "
                                                  f"({exc})"), lineno, fingerprint(line))
            continue
        if not isinstance(value, dict):
            yield InputRow(number, None, RowError(
                "invalid_json", f"line {lineno} holds a JSON {type(value).__name__}, "
                "not an object of attributes"), lineno, fingerprint(line))
            continue
        yield InputRow(number, value, None, lineno)


# -- mapping ----------------------------------------------------------------------------
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
@dataclass(frozen=True)
class _Target:
    kind: str                 # field | custom | address | ignore | readonly | unknown
    name: str = ""
    spec: Field | None = None
    hint: str = ""


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
        head, dot, rest = name.partition(".")
        if dot and head == "custom_fields" and res.has_custom_fields and rest:
            return _Target("custom", rest)
        if dot and head == "address" and res.field("address") is not None:
            if rest in ADDRESS_KEYS:
                return _Target("address", rest)
            return _Target("unknown", name, hint=f"address has no key {rest!r}; the keys are "
                           f"{', '.join(ADDRESS_KEYS)}")
        spec = res.field(name)
        if spec is not None:
            return _Target("readonly" if spec.access == "r" else "field", name, spec)
        close = _suggest(name, tuple(f.name for f in res.fields if f.access != "r"))
        hint = f"{res.model_name} has no attribute {name!r}"
        hint += f"; did you mean {close!r}?" if close else ""
        return _Target("unknown", name, hint=hint)

    def header_notes(self, columns: Iterable[str]) -> list[str]:
        """What will happen to unknown columns (read-only ones are ignored silently)."""
        notes = []
        for column in columns:
            t = self.target(column)
            if t.kind == "unknown":
                notes.append(f"column {column!r}: {t.hint}; rows with a value in it fail "
                             f"(use --map {column!r}=attribute, or --map {column!r}=- to ignore it)")
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
                    out.setdefault("address", {})[t.name] = _text(raw)
                else:
                    assert t.spec is not None
                    value = coerce_value(t.spec, raw)
                    if isinstance(value, dict) and isinstance(out.get(t.name), dict):
                        value = {**value, **out[t.name]}    # address.city beats address{}
                    out[t.name] = value
            except ValueError as exc:
                return out, RowError("invalid_value", f"column {column!r}: {exc}", t.name or None)
        return out, None


def _suggest(name: str, known: tuple[str, ...]) -> str | None:
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    return close[0] if close else None


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
        value = _decimal(raw)
    elif kind == "number":
        if isinstance(raw, bool):
            raise ValueError(f"{raw!r} is not a number")
        value = float(_decimal(raw))
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
        value = _list(raw, str)
    elif kind == "integer_list":
        value = [_integer(v) for v in _list(raw, str)]
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
    if isinstance(raw, bool):
        raise ValueError(f"{raw!r} is not a whole number")
    if isinstance(raw, int):
        return raw
    try:
        number = Decimal(str(raw).strip())
    except InvalidOperation:
        raise ValueError(f"{raw!r} is not a whole number") from None
    if not number.is_finite() or number != number.to_integral_value():
        raise ValueError(f"{raw!r} is not a whole number")
    return int(number)


def _decimal(raw: Any) -> Decimal:
    if isinstance(raw, bool):
        raise ValueError(f"{raw!r} is not a number")
    try:
        number = Decimal(str(raw).strip())
    except InvalidOperation:
        raise ValueError(f"{raw!r} is not a number") from None
    if not number.is_finite():
        raise ValueError(f"{raw!r} is not a finite number")
    return number


def _list(raw: Any, item: type) -> list[Any]:
    if isinstance(raw, list):
        return [v.strip() if isinstance(v, str) else v for v in raw if not _empty(v)]
    if not isinstance(raw, str):
        return [raw]
    text = raw.strip()
    if text.startswith("["):
        return _list(_json(text, list), item)
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


# -- the other way: records to flat rows (exports) ----------------------------------------
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
