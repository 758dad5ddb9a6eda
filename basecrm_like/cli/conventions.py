"""The command-line conventions every command follows, as ``gh`` and ``aws`` do.

``-`` is stdin or stdout; the file format comes from the extension (or, on
stdin, from the first character); ``-v`` shows the HTTP log with secrets
redacted; ``--json`` prints one machine-readable summary on stdout; an output
file appears only when the run succeeded; messages name the options a
command-line user typed, not the keyword arguments of the Python client.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import re
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any, cast

import click

from .. import catalog
from ..bulk import InputError, InputRow, RowError, read_csv, read_jsonl, scan_file
from ..catalog import Resource
from ..http.encoding import encode_json
from ..http.logging import enable_verbose_logging
from ..support.suggest import did_you_mean, suggestion

__all__ = [
    "verbose_option", "json_option", "delimiter_option", "keep_journal_option",
    "for_command_line", "print_json", "input_rows", "output_format", "atomic_output",
    "detect_delimiter", "complete_resource", "Input", "check_mapped_columns",
    "key_suggestion", "import_summary", "remove_files", "quiet_closed_pipe", "INPUT_FORMATS", "OUTPUT_FORMATS",
]

INPUT_FORMATS = ("csv", "jsonl", "json")
OUTPUT_FORMATS = ("csv", "jsonl", "json")
#: the delimiters recognised in a CSV header, in order of preference on a tie
DELIMITERS = (",", ";", "\t")
_EXTENSIONS = {".csv": "csv", ".tsv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl",
               ".json": "json"}


def _enable_verbose(_ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        enable_verbose_logging()


#: ``-v/--verbose``: each request and answer on stderr; tokens and secrets are redacted
verbose_option = click.option(
    "-v", "--verbose", is_flag=True, expose_value=False, callback=_enable_verbose,
    help="Log every HTTP request and answer on stderr (tokens redacted).")

#: ``--json``: the summary as one JSON object on stdout, for scripts
json_option = click.option("--json", "as_json", is_flag=True,
                           help="Print the summary as one JSON object on stdout.")

delimiter_option = click.option(
    "--delimiter", metavar="CHAR",
    help="CSV field separator: ',', ';' or 'tab'. Default: detected from the header row.")

keep_journal_option = click.option(
    "--keep-journal", is_flag=True,
    help="Keep the journal after a run in which every row succeeded (it is removed otherwise).")


def complete_resource(_ctx: click.Context, _param: click.Parameter,
                      incomplete: str) -> list[Any]:
    """Shell completion of a RESOURCE argument: the catalog's resource names."""
    from click.shell_completion import CompletionItem

    return [CompletionItem(r.name, help=r.description or None) for r in catalog.RESOURCES
            if r.name.startswith(incomplete)]


# -- messages ------------------------------------------------------------------------
_REWRITES = (
    (re.compile(r"pass access_token='[^']*' to the Client or set the "
                r"(\w+) environment variable"), r"pass --token or set $\1"),
    (re.compile(r"check the access_token option or (\w+)"), r"check --token or $\1"),
    (re.compile(r"\bpass (\w+)=\S+ to the Client\b"), r"set \1"),
    (re.compile(r"^access_token\b"), "--token"),
    (re.compile(r"^base_url\b"), "--base-url"),
    (re.compile(r"\bthe base_url option\b"), "--base-url"),
    (re.compile(r"(?<!\.)\.\.(?!\.)"), "."),
)


def for_command_line(message: str) -> str:
    """A library message as a command-line user should read it.

    The client's messages name its keyword arguments (``access_token=...``);
    on the command line the same setting is ``--token``. Also drops the doubled
    full stop a message ending in "." gets when more text is appended to it.
    """
    for pattern, replacement in _REWRITES:
        message = pattern.sub(replacement, message)
    return message


def import_summary(summary: Any, report: str | None, journal: str | None) -> dict[str, Any]:
    """The ``--json`` summary of an import: counts by status, traffic and the files kept."""
    return {"resource": summary.resource, "rows": summary.rows, "counts": dict(summary.counts),
            "failed": summary.failed, "resumed": summary.resumed,
            "interrupted": summary.interrupted, "dry_run": summary.dry_run,
            "requests": summary.requests, "rate_limited": summary.rate_limited,
            "elapsed": round(summary.elapsed, 3), "report": report, "journal": journal}


def print_json(value: Any) -> None:
    """One JSON document on stdout (decimals exact, keys in the given order)."""
    click.echo(encode_json(value))


# -- input -----------------------------------------------------------------------------
def detect_delimiter(header: str) -> str:
    """The delimiter of a CSV header line: the most frequent of ``,`` ``;`` and tab
    outside quotes (a comma on a tie, as most files use it)."""
    unquoted = re.sub(r'"[^"]*"', "", header)
    counts = {d: unquoted.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def parse_delimiter(value: str | None) -> str | None:
    """``--delimiter`` as one character (``tab`` and ``\\t`` name the tab)."""
    if value is None:
        return None
    if value.lower() in ("tab", "\\t", "\t"):
        return "\t"
    if len(value) != 1 or value in "\"\r\n":
        raise InputError(f"--delimiter must be one character, such as ',' ';' or 'tab'; "
                         f"got {value!r}")
    return value


def _text_encoding(encoding: str) -> str:
    """utf-8 reads a byte-order mark too (Excel writes one)."""
    return "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding


@dataclass
class Input:
    """Rows to import, about how many there are (None: unknown) and, for CSV, the header."""

    rows: Iterator[InputRow]
    total: int | None
    columns: list[str] | None


def input_rows(path: str, fmt: str | None, encoding: str, delimiter: str | None) -> Input:
    """The rows of ``path`` (``-``: stdin), how many there are and the CSV header.

    The format is ``fmt``, else the extension, else the first character (``[``
    a JSON array, ``{`` JSON Lines, anything else CSV). Raises
    :class:`InputError` for problems of the whole input, before any row is sent.
    """
    total = columns = None
    if path != "-":
        lines = scan_file(path, encoding)   # the encoding check, and the progress total
    try:
        fh: IO[str] = (io.TextIOWrapper(sys.stdin.buffer, encoding=_text_encoding(encoding),
                                        newline="") if path == "-"
                       else open(path, encoding=_text_encoding(encoding), newline=""))
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    except LookupError:
        raise InputError(f"unknown encoding {encoding!r}; pass --encoding with a Python codec "
                         "name such as utf-8, cp1252 or latin-1") from None
    try:
        head = fh.readline()
        kind = fmt or _EXTENSIONS.get(os.path.splitext(path)[1].lower()) or ""
        start = head.lstrip()[:1]
        if kind in ("", "json") and start in ("[", "{"):
            kind = "json" if start == "[" else "jsonl"
        kind = kind or "csv"
        rest = cast(IO[str], _Replay(head, fh))
        if kind == "json":
            rows: Iterator[InputRow] = read_json_array(rest, path)
        elif kind == "jsonl":
            rows = read_jsonl(rest)
        else:
            rows = read_csv(rest, parse_delimiter(delimiter) or detect_delimiter(head))
            first = next(rows, None)   # an empty file or a bad header fails now
            columns = list(first.data) if first is not None and first.data else None
            rows = _chain_first(first, rows)
        if path != "-":
            total = max(lines - 1, 0) if kind == "csv" else (lines if kind == "jsonl" else None)
    except UnicodeDecodeError as exc:
        fh.close()
        raise InputError(f"{path} is not valid {encoding} ({exc.reason}); pass --encoding with "
                         "the file's encoding, e.g. --encoding cp1252") from None
    except BaseException:
        fh.close()
        raise
    return Input(_closing(fh, rows), total, columns)


class _Replay:
    """A text stream that gives back an already-read first line, then the rest."""

    def __init__(self, head: str, rest: IO[str]) -> None:
        self._head: str | None = head
        self._rest = rest

    def __iter__(self) -> _Replay:
        return self

    def readline(self, size: int | None = -1) -> str:
        if self._head is not None:
            head, self._head = self._head, None
            return head
        return self._rest.readline()

    def __next__(self) -> str:
        line = self.readline()
        if not line:
            raise StopIteration
        return line

    def read(self, size: int | None = -1) -> str:
        head, self._head = self._head or "", None
        return head + self._rest.read()


def _chain_first(first: InputRow | None, rows: Iterator[InputRow]) -> Iterator[InputRow]:
    if first is not None:
        yield first
    yield from rows


def _closing(fh: IO[str], rows: Iterator[InputRow]) -> Iterator[InputRow]:
    with fh:
        yield from rows


def read_json_array(fh: IO[str], name: str) -> Iterator[InputRow]:
    """The objects of a JSON array, one row each (the array is read whole)."""
    try:
        value = json.loads(fh.read(), parse_float=Decimal)
    except ValueError as exc:
        raise InputError(f"{name} is not valid JSON ({exc}); a .json file holds one array of "
                         "objects, a .jsonl file one object per line") from None
    if not isinstance(value, list):
        raise InputError(f"{name} holds a JSON {type(value).__name__}; expected an array of "
                         "objects (or use JSON Lines, one object per line)")
    for number, item in enumerate(value, 1):
        if isinstance(item, dict):
            yield InputRow(number, item)
        else:
            yield InputRow(number, None, RowError(
                "invalid_json", f"item {number} is a JSON {type(item).__name__}, not an object "
                "of attributes"))


def check_mapped_columns(mapping: dict[str, str], columns: list[str]) -> None:
    """Refuse a ``--map`` naming a column the file lacks (usually a typo): silently
    ignoring it would import every row without that attribute."""
    for column in mapping:
        if column not in columns:
            raise InputError(f"--map {column}=...: the file has no column {column!r}"
                             f"{suggestion(column, columns)}; its columns are "
                             f"{', '.join(columns)}")


def key_suggestion(res: Resource, key: str) -> str:
    """``"; did you mean 'email'?"`` for a ``--key`` close to one the upsert endpoint takes."""
    usable = [f.replace("[", ".").rstrip("]") for f in res.filters if f != "ids"]
    close = did_you_mean(key, usable)
    return f"; did you mean {close!r}?" if close and close != key else ""


# -- output ----------------------------------------------------------------------------
def output_format(path: str, fmt: str | None) -> str:
    """``--format``, else the one ``-o``'s extension names, else CSV."""
    if fmt:
        return fmt
    return _EXTENSIONS.get(os.path.splitext(path)[1].lower(), "csv") if path != "-" else "csv"


@contextlib.contextmanager
def atomic_output(path: str) -> Iterator[IO[str]]:
    """A text stream for ``path`` (``-``: stdout) that leaves no file behind on failure.

    A file is written beside its final name and renamed over it only when the
    block succeeds, so a failed run neither leaves a partial file nor
    destroys the previous good one.
    """
    if path == "-":
        yield sys.stdout
        return
    directory = os.path.dirname(os.path.abspath(path))
    fd, temp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".part",
                                dir=directory)
    try:
        with open(fd, "w", encoding="utf-8", newline="") as out:
            yield out
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def remove_files(paths: list[str]) -> None:
    """Remove files a failed run created (with SQLite's companions), ignoring missing ones."""
    for path in paths:
        for name in (path, f"{path}-wal", f"{path}-shm", f"{path}-journal"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(name)


def quiet_closed_pipe() -> int:
    """After stdout's reader went away (``| head``): silence the interpreter's final
    flush and return success, as ``gh`` and other filters do."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    return 0
