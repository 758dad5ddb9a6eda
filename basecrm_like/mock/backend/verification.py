"""Asserting on the requests a server received, with messages that show what
came instead: the closest requests, ranked by how much of method, path and
body they share with the expected call."""
from __future__ import annotations

import difflib
import fnmatch
import json
from collections.abc import Iterable, Mapping
from typing import Any

_UNSET: Any = object()
SHOWN = 5


def matches(entry: Mapping[str, Any], method: str | None = None, path: str | None = None,
            json_body: Any = _UNSET) -> bool:
    """``path`` is a glob (``/v2/deals/*``); ``json_body`` must equal the body when given."""
    if method is not None and method != "*" and entry.get("method") != method.upper():
        return False
    if path is not None and not fnmatch.fnmatchcase(str(entry.get("path")), path):
        return False
    return json_body is _UNSET or entry.get("body") == json_body


def select(entries: Iterable[Mapping[str, Any]], method: str | None = None,
           path: str | None = None, json_body: Any = _UNSET) -> list[dict[str, Any]]:
    return [dict(entry) for entry in entries if matches(entry, method, path, json_body)]


def describe(entry: Mapping[str, Any]) -> str:
    query = "&".join(f"{k}={v}" for k, v in (entry.get("query") or {}).items())
    line = f"{entry.get('method')} {entry.get('path')}{'?' + query if query else ''}"
    if entry.get("body") is not None:
        line += f" {json.dumps(entry['body'], sort_keys=True, default=str)}"
    status = entry.get("status")
    return f"{line} -> {status}" if status is not None else line


def closest(entries: Iterable[Mapping[str, Any]], method: str | None, path: str | None,
            json_body: Any = _UNSET, count: int = SHOWN) -> list[str]:
    """The ``count`` requests most like the expected one, best first."""
    wanted = f"{(method or '*').upper()} {path or '*'}"
    if json_body is not _UNSET:
        wanted += f" {json.dumps(json_body, sort_keys=True, default=str)}"

    def score(entry: Mapping[str, Any]) -> float:
        return difflib.SequenceMatcher(None, wanted, describe(entry).rsplit(" -> ", 1)[0]).ratio()

    ranked = sorted(entries, key=score, reverse=True)
    return [describe(entry) for entry in ranked[:count]]


def _expected(method: str | None, path: str | None, json_body: Any) -> str:
    text = f"{(method or '*').upper()} {path or '*'}"
    if json_body is not _UNSET:
        text += f" with JSON {json.dumps(json_body, sort_keys=True, default=str)}"
    return text


def _failure(headline: str, entries: list[Mapping[str, Any]], method: str | None,
             path: str | None, json_body: Any) -> AssertionError:
    if not entries:
        return AssertionError(f"{headline}; the server received no requests at all")
    shown = "\n  ".join(closest(entries, method, path, json_body))
    return AssertionError(f"{headline}; the closest of the {len(entries)} requests received:"
                          f"\n  {shown}")


def assert_called(entries: Iterable[Mapping[str, Any]], method: str | None, path: str | None,
                  times: int | None = None, json_body: Any = _UNSET) -> list[dict[str, Any]]:
    """The matching requests; AssertionError when there are none (or not ``times``)."""
    received = list(entries)
    found = select(received, method, path, json_body)
    expected = _expected(method, path, json_body)
    if times is None and not found:
        raise _failure(f"expected {expected} at least once, got it 0 times", received,
                       method, path, json_body)
    if times is not None and len(found) != times:
        raise _failure(f"expected {expected} {times} time(s), got it {len(found)} time(s)",
                       received, method, path, json_body)
    return found


def assert_not_called(entries: Iterable[Mapping[str, Any]], method: str | None,
                      path: str | None, json_body: Any = _UNSET) -> None:
    found = select(entries, method, path, json_body)
    if found:
        shown = "\n  ".join(describe(entry) for entry in found[:SHOWN])
        raise AssertionError(f"expected no {_expected(method, path, json_body)}, got "
                             f"{len(found)}:\n  {shown}")
