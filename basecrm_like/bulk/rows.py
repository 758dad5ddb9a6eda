"""Rows in: reading CSV and JSON Lines files into :class:`InputRow` records.

A row that cannot be read never stops an import: it becomes an
:class:`InputRow` carrying a :class:`RowError`, reported as a failed row, and
reading goes on with the next one. Only problems that concern the whole file
(it does not exist, it is not in the stated encoding) raise :class:`InputError`.
"""
from __future__ import annotations

import codecs
import csv
import hashlib
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any

from ..http.errors import Error

__all__ = [
    "InputError", "RowError", "InputRow", "fingerprint", "read_rows", "read_csv", "read_jsonl",
    "scan_file", "detect_format",
]

#: largest CSV field we accept (the csv module's own limit, 128 KiB, is too small for notes)
MAX_FIELD = 64 * 1024 * 1024
#: a quoted field may span lines, but an unclosed quote must not swallow the file
MAX_RECORD_LINES = 10_000


class InputError(Error):
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


class _Records:
    """CSV records pulled from :class:`_Lines`, whatever the size of their fields.

    The csv module is fast but caps a field at a process-wide limit (128 KiB by
    default) that only a global setting can raise. Rather than change that
    setting for the whole process, a record with a larger field is read again
    by :func:`_parse_long_record`, which follows the same rules.
    """

    def __init__(self, lines: _Lines, delimiter: str) -> None:
        self.lines = lines
        self.delimiter = delimiter
        self.restart()

    def restart(self) -> None:
        """Forget any half-read record (after lines were pushed back)."""
        self._reader = csv.reader(self.lines, delimiter=self.delimiter, strict=True)

    def __next__(self) -> list[str]:
        try:
            return next(self._reader)
        except csv.Error as exc:
            if not str(exc).startswith("field larger than field limit"):
                raise
        self.lines.push_back(self.lines.taken)
        self.lines.begin()
        self.restart()
        return _parse_long_record(self.lines, self.delimiter)


_START_RECORD, _START_FIELD, _IN_FIELD, _IN_QUOTED, _QUOTE_IN_QUOTED, _EAT_CRNL = range(6)
_NEWLINES = "\r\n"


def _parse_long_record(lines: Iterator[str], delimiter: str) -> list[str]:
    """One record, parsed as ``csv.reader(..., strict=True)`` parses it, without its field cap.

    The states are those of CPython's ``_csv`` reader, so both agree on every
    record, quotes and line breaks included; text is taken in slices rather than
    character by character, so a field of many megabytes is read quickly.
    """
    plain = re.compile(f"[{re.escape(delimiter)}\r\n]")
    cells: list[str] = []
    parts: list[str] = []
    size = 0
    state = _START_RECORD

    def add(text: str) -> None:
        nonlocal size
        size += len(text)
        if size > MAX_FIELD:
            raise csv.Error(f"field larger than field limit ({MAX_FIELD})")
        parts.append(text)

    def save() -> None:
        nonlocal size
        cells.append("".join(parts))
        parts.clear()
        size = 0

    for line in lines:
        pos, end = 0, len(line)
        while pos < end:
            char = line[pos]
            if state == _START_RECORD:
                if char in _NEWLINES:
                    state, pos = _EAT_CRNL, pos + 1
                    continue
                state = _START_FIELD
            if state == _START_FIELD:
                if char in _NEWLINES:
                    save()
                    state = _EAT_CRNL
                elif char == '"':
                    state = _IN_QUOTED
                elif char == delimiter:
                    save()
                else:
                    state = _IN_FIELD
                    continue
                pos += 1
            elif state == _IN_FIELD:
                found = plain.search(line, pos)
                stop = found.start() if found else end
                add(line[pos:stop])
                if stop < end:
                    save()
                    state = _START_FIELD if line[stop] == delimiter else _EAT_CRNL
                    stop += 1
                pos = stop
            elif state == _IN_QUOTED:
                stop = line.find('"', pos)
                if stop < 0:
                    add(line[pos:])
                    pos = end
                else:
                    add(line[pos:stop])
                    state, pos = _QUOTE_IN_QUOTED, stop + 1
            elif state == _QUOTE_IN_QUOTED:
                if char == '"':
                    add('"')
                    state = _IN_QUOTED
                elif char == delimiter:
                    save()
                    state = _START_FIELD
                elif char in _NEWLINES:
                    save()
                    state = _EAT_CRNL
                else:
                    raise csv.Error(f"'{delimiter}' expected after '\"'")
                pos += 1
            else:  # _EAT_CRNL
                if char not in _NEWLINES:
                    raise csv.Error("new-line character seen in unquoted field - do you need "
                                    "to open the file with newline=''?")
                pos += 1
        # the end of a line ends the record unless a quoted field is still open
        if state in (_START_FIELD, _IN_FIELD, _QUOTE_IN_QUOTED):
            save()
        if state != _IN_QUOTED:
            return cells
    if state == _IN_QUOTED:
        raise csv.Error("unexpected end of data")
    raise StopIteration


def read_csv(fh: IO[str], delimiter: str = ",") -> Iterator[InputRow]:
    """Records of an open CSV file whose first record is the header.

    Wrong cell counts, broken quoting and a quote that is never closed become
    failed rows; the rows after them are read normally. A quote left open
    swallows at most :data:`MAX_RECORD_LINES` lines before it is given up on
    and the lines are read again as records of their own.
    """
    lines = _Lines(fh)
    reader = _Records(lines, delimiter)
    header = _read_header(reader)
    width = len(header)
    number = 0
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
        reader.restart()
        if problem == "unclosed" or len(taken) > 1:
            message = (f"broken quoting: a quote opened on line {start} is not closed where the "
                       "row should end; the following lines were read as rows of their own")
        else:
            message = f"line {start}: {problem}"
        yield InputRow(number, None, RowError("broken_quoting", message), start,
                       fingerprint(taken[0][1]))


def _read_header(reader: _Records) -> list[str]:
    for _ in range(MAX_RECORD_LINES):
        reader.lines.begin()
        reader.restart()
        try:
            cells = next(reader)
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
