"""The log of requests the server received, for tests to assert on (``/_mock/requests``)."""
from __future__ import annotations

import threading
from collections import deque
from typing import Any

from werkzeug.wrappers import Request

LOG_LIMIT = 100_000


class RequestLog:
    """Requests in arrival order (the newest ``limit``); each entry gets its status
    (and the injected fault, if any) once the answer is known."""

    def __init__(self, limit: int = LOG_LIMIT) -> None:
        self._lock = threading.Lock()
        self._entries: deque[dict[str, Any]] = deque(maxlen=limit)

    def arrive(self, request: Request, body: Any) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "method": request.method, "path": request.path,
            "query": {key: request.args[key] for key in request.args},
            "status": None, "body": body, "fault": None,
        }
        with self._lock:
            self._entries.append(entry)
        return entry

    def entries(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(entry) for entry in self._entries]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
