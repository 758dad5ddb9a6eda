"""The log of requests the server received, for tests to assert on (``/_mock/requests``).

Bounded so that a client cannot grow the server without limit: at most
:data:`LOG_LIMIT` entries, a body of at most :data:`ENTRY_BODY_LIMIT` bytes (or
nested at most :data:`ENTRY_BODY_DEPTH` levels) per entry, and
:data:`TOTAL_BODY_LIMIT` bytes of bodies in all; beyond that the oldest entries
go first. A body over a limit is logged as ``{"omitted": "<why>"}``.
"""
from __future__ import annotations

import threading
from collections import deque
from typing import Any

from werkzeug.wrappers import Request

LOG_LIMIT = 100_000
ENTRY_BODY_LIMIT = 64 * 1024
ENTRY_BODY_DEPTH = 32
TOTAL_BODY_LIMIT = 16 * 1024 * 1024


def nesting_exceeds(value: Any, limit: int) -> bool:
    """Whether ``value`` nests deeper than ``limit`` (no recursion, whatever its depth)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth > limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return False


class RequestLog:
    """Requests in arrival order, within the limits above; each entry gets its
    status (and the injected fault, if any) once the answer is known."""

    def __init__(self, limit: int = LOG_LIMIT, *, entry_body_limit: int = ENTRY_BODY_LIMIT,
                 total_body_limit: int = TOTAL_BODY_LIMIT) -> None:
        self._lock = threading.Lock()
        self._limit = limit
        self._entry_body_limit = entry_body_limit
        self._total_body_limit = total_body_limit
        self._entries: deque[tuple[dict[str, Any], int]] = deque()
        self._body_bytes = 0

    def arrive(self, request: Request, body: Any) -> dict[str, Any]:
        size = request.content_length or 0
        if size > self._entry_body_limit:
            body = {"omitted": f"a body of {size} bytes; the log keeps bodies of up to "
                               f"{self._entry_body_limit} bytes"}
            size = 0
        elif nesting_exceeds(body, ENTRY_BODY_DEPTH):
            body = {"omitted": f"a body nested deeper than {ENTRY_BODY_DEPTH} levels"}
            size = 0
        entry: dict[str, Any] = {
            "method": request.method, "path": request.path,
            "query": {key: request.args[key] for key in request.args},
            "status": None, "body": body, "fault": None,
        }
        with self._lock:
            self._entries.append((entry, size))
            self._body_bytes += size
            while self._entries and (len(self._entries) > self._limit
                                     or self._body_bytes > self._total_body_limit):
                self._body_bytes -= self._entries.popleft()[1]
        return entry

    def entries(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(entry) for entry, _ in self._entries]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._body_bytes = 0
