"""Recorded exchanges with a real API: storing them (secrets scrubbed), finding
the recorded answer of a request, and comparing answers by shape.

No HTTP here; :mod:`..wire.cassettes` records, replays and compares over it.
File format (JSON): ``{"version": 1, "interactions": [{"request": {"method",
"path", "query": [[k, v], ...], "body"}, "response": {"status", "headers",
"body"}}]}``.
"""
from __future__ import annotations

import difflib
import json
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...support.files import atomic_write

VERSION = 1
SCRUBBED = "[scrubbed]"
#: names (in bodies, queries and headers) whose values never reach a cassette
SECRET_NAMES = frozenset({
    "authorization", "token", "access_token", "refresh_token", "client_secret", "password",
    "secret", "api_key", "code", "cookie", "set-cookie", "x-api-key"})
#: response headers worth keeping (the rest vary per request)
KEPT_HEADERS = ("Content-Type", "Retry-After", "X-RateLimit-Limit", "X-RateLimit-Remaining")


def scrub(value: Any) -> Any:
    """``value`` with every secret-named member replaced, at any depth."""
    if isinstance(value, dict):
        return {k: SCRUBBED if str(k).lower() in SECRET_NAMES and v is not None else scrub(v)
                for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(item) for item in value]
    return value


def scrub_query(pairs: Iterable[tuple[str, str]]) -> list[list[str]]:
    return [[k, SCRUBBED if k.lower() in SECRET_NAMES else v] for k, v in pairs]


def request_key(method: str, path: str, query: Iterable[Iterable[str]], body: Any) -> str:
    """What identifies a request for replay: method, path, sorted query, body."""
    pairs = sorted((str(k), str(v)) for k, v in query)
    return json.dumps([method.upper(), path, pairs, body], sort_keys=True, default=str)


@dataclass
class Cassette:
    """The interactions of one file; recording appends and rewrites the file atomically."""

    path: Path
    interactions: list[dict[str, Any]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _used: dict[str, int] = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls, path: str | Path) -> Cassette:
        """A recorded file; ValueError saying what is wrong with it."""
        file = Path(path)
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ValueError(f"cannot read cassette {file}: {exc.strerror or exc}") from None
        except json.JSONDecodeError as exc:
            raise ValueError(f"cassette {file} is not JSON: {exc}") from None
        if not isinstance(data, dict) or data.get("version") != VERSION or not isinstance(
                data.get("interactions"), list):
            raise ValueError(f"cassette {file} is not a version {VERSION} cassette")
        return cls(file, list(data["interactions"]))

    def record(self, method: str, path: str, query: Iterable[tuple[str, str]], body: Any,
               status: int, headers: Mapping[str, str], response_body: Any) -> None:
        kept = {name: headers[name] for name in KEPT_HEADERS if name in headers}
        interaction = {
            "request": {"method": method.upper(), "path": path, "query": scrub_query(query),
                        "body": scrub(body)},
            "response": {"status": status, "headers": kept, "body": scrub(response_body)},
        }
        with self._lock:
            self.interactions.append(interaction)
            text = json.dumps({"version": VERSION, "interactions": self.interactions}, indent=1)
            atomic_write(self.path, text.encode("utf-8"))

    def answer(self, method: str, path: str, query: Iterable[tuple[str, str]],
               body: Any) -> dict[str, Any] | None:
        """The recorded response of this request: identical requests get their
        recorded answers in order, the last one repeating."""
        key = request_key(method, path, scrub_query(query), scrub(body))
        with self._lock:
            found = [item for item in self.interactions
                     if request_key(**_request_fields(item)) == key]
            if not found:
                return None
            index = self._used.get(key, 0)
            self._used[key] = index + 1
            return dict(found[min(index, len(found) - 1)]["response"])

    def closest(self, method: str, path: str) -> str | None:
        """The recorded request most like ``method path``, for the unrecorded error."""
        texts = [f"{item['request']['method']} {item['request']['path']}"
                 for item in self.interactions]
        match = difflib.get_close_matches(f"{method.upper()} {path}", texts, n=1, cutoff=0)
        return match[0] if match else None


def _request_fields(item: Mapping[str, Any]) -> dict[str, Any]:
    request = item["request"]
    return {"method": request["method"], "path": request["path"],
            "query": request.get("query") or [], "body": request.get("body")}


# -- shapes --------------------------------------------------------------------------------
def shape_differences(real: Any, mock: Any, where: str = "$") -> list[str]:
    """Where the mock's JSON differs in shape from the real one: missing or extra
    keys and different types. Values may differ; a null matches any type."""
    if real is None or mock is None:
        return []
    if isinstance(real, dict) and isinstance(mock, dict):
        out = [f"{where}.{key}: missing in the mock" for key in sorted(set(real) - set(mock))]
        out += [f"{where}.{key}: only in the mock" for key in sorted(set(mock) - set(real))]
        for key in sorted(set(real) & set(mock)):
            out += shape_differences(real[key], mock[key], f"{where}.{key}")
        return out
    if isinstance(real, list) and isinstance(mock, list):
        if real and mock:
            return shape_differences(real[0], mock[0], f"{where}[0]")
        return []
    if _kind(real) != _kind(mock):
        return [f"{where}: {_kind(real)} in reality, {_kind(mock)} in the mock"]
    return []


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "object"
    return "array" if isinstance(value, list) else type(value).__name__
