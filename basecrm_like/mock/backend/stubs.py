"""Scripted answers: "the next N requests matching METHOD PATTERN get this answer".

A test scripts an outage or an odd answer for exactly the requests it cares
about, then the server behaves normally again. Stubs are matched in the order
they were added; the first live one that matches answers and spends one use.
No HTTP here: the wire layer turns a :class:`Stub` into a response.
"""
from __future__ import annotations

import fnmatch
import itertools
import threading
from dataclasses import asdict, dataclass
from typing import Any

METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "*"})
MAX_DELAY = 30.0


@dataclass
class Stub:
    """``path`` is a glob (``/v2/deals``, ``/v2/deals/*``); ``method`` may be ``*``.
    ``times`` None answers every match until removed or reset."""

    id: int
    method: str
    path: str
    status: int = 200
    body: Any = None
    headers: dict[str, str] | None = None
    delay: float = 0.0
    times: int | None = 1
    used: int = 0

    def matches(self, method: str, path: str) -> bool:
        return (self.method in ("*", method.upper())) and fnmatch.fnmatchcase(path, self.path)

    @property
    def live(self) -> bool:
        return self.times is None or self.used < self.times

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "remaining": None if self.times is None else self.times - self.used}


def check(method: Any, path: Any, status: Any = 200, body: Any = None, headers: Any = None,
          delay: Any = 0.0, times: Any = 1) -> dict[str, Any]:
    """The stub's settings, checked; ValueError names what is wrong."""
    if not isinstance(method, str) or method.upper() not in METHODS:
        raise ValueError(f"method must be one of {', '.join(sorted(METHODS))}, got {method!r}")
    if not isinstance(path, str) or not path.startswith("/"):
        raise ValueError(f"path must be a pattern starting with '/', got {path!r}")
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        raise ValueError(f"status must be an HTTP status (100-599), got {status!r}")
    if headers is not None and not (isinstance(headers, dict) and all(
            isinstance(k, str) and isinstance(v, str) for k, v in headers.items())):
        raise ValueError("headers must be an object of strings")
    if isinstance(delay, bool) or not isinstance(delay, (int, float)) or not 0 <= delay <= MAX_DELAY:
        raise ValueError(f"delay must be between 0 and {MAX_DELAY:g} seconds, got {delay!r}")
    if times is not None and (isinstance(times, bool) or not isinstance(times, int) or times < 1):
        raise ValueError(f"times must be a positive integer or null (always), got {times!r}")
    return {"method": method.upper(), "path": path, "status": status, "body": body,
            "headers": dict(headers) if headers else None, "delay": float(delay), "times": times}


class StubBook:
    """The server's stubs, in the order they were added; safe across threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stubs: list[Stub] = []
        self._ids = itertools.count(1)

    def add(self, **settings: Any) -> Stub:
        stub = Stub(id=next(self._ids), **check(**settings))
        with self._lock:
            self._stubs.append(stub)
        return stub

    def take(self, method: str, path: str) -> Stub | None:
        """The first live stub matching the request, with one use spent."""
        with self._lock:
            for stub in self._stubs:
                if stub.live and stub.matches(method, path):
                    stub.used += 1
                    return stub
        return None

    def entries(self) -> list[dict[str, Any]]:
        with self._lock:
            return [stub.as_dict() for stub in self._stubs]

    def remove(self, stub_id: int) -> bool:
        with self._lock:
            before = len(self._stubs)
            self._stubs = [stub for stub in self._stubs if stub.id != stub_id]
            return len(self._stubs) < before

    def clear(self) -> None:
        with self._lock:
            self._stubs.clear()
