"""Test helpers under /_mock/: reset, the request log, extra tokens.

They need no token and are never faulted, rate limited or logged, so a test
can always reach them, even against a server configured to misbehave.
"""
from __future__ import annotations

import threading
import time
from collections import deque
from typing import Any

from werkzeug.wrappers import Request, Response

from .context import Call, empty_reply, json_reply
from .errors import error
from .routes import Route

LOG_LIMIT = 100_000


class RequestLog:
    """Requests in arrival order (the newest ``LOG_LIMIT``), for tests to assert on."""

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


def reset(call: Call) -> Response:
    call.app.reset()
    return json_reply(200, {"data": {"reset": True, "seed": call.app.seed_count}})


def list_requests(call: Call) -> Response:
    return json_reply(200, {"items": call.app.request_log.entries()})


def clear_requests(call: Call) -> Response:
    call.app.request_log.clear()
    return empty_reply(204)


def add_token(call: Call) -> Response:
    """``{"token": "...", "user_id": 1, "expires_in": 3600}`` (``data`` envelope optional)."""
    body = call.body()
    if isinstance(body, dict) and isinstance(body.get("data"), dict):
        body = body["data"]
    if not isinstance(body, dict) or not isinstance(body.get("token"), str):
        raise error(400, "invalid_payload", 'Send {"token": "<token>"}',
                    'Optional: "user_id" (default 1) and "expires_in" seconds.')
    user_id = body.get("user_id", 1)
    expires_in = body.get("expires_in")
    if not isinstance(user_id, int) or (expires_in is not None
                                        and not isinstance(expires_in, (int, float))):
        raise error(400, "invalid_payload", "user_id must be an integer, expires_in a number")
    expires_at = None if expires_in is None else time.time() + float(expires_in)
    try:
        info = call.app.add_token(body["token"], user_id=user_id, expires_at=expires_at)
    except ValueError as exc:
        raise error(400, "invalid_payload", str(exc)) from None
    return json_reply(200, {"data": {"token": info.token, "user_id": info.user_id,
                                     "expires_at": info.expires_at}})


def set_faults(call: Call) -> Response:
    """``{"faults": "error=0.1,drop=0.05", "seed": 7}``; ``{"faults": null}`` turns them off."""
    body = call.body()
    if isinstance(body, dict) and isinstance(body.get("data"), dict):
        body = body["data"]
    if not isinstance(body, dict) or not isinstance(body.get("faults"), (str, type(None))) \
            or not isinstance(body.get("seed"), (int, type(None))):
        raise error(400, "invalid_payload", 'Send {"faults": "error=0.1", "seed": 7}',
                    '"faults" is a spec string or null (off); "seed" is optional.')
    try:
        call.app.set_faults(body.get("faults"), body.get("seed"))
    except ValueError as exc:
        raise error(400, "invalid_payload", str(exc)) from None
    spec = call.app.faults.spec
    return json_reply(200, {"data": {"error": spec.error, "drop": spec.drop,
                                     "latency": spec.latency}})


def admin_routes() -> list[Route]:
    return [
        Route("/_mock/reset", ("POST",), reset, internal=True, public=True, write=False),
        Route("/_mock/requests", ("GET",), list_requests, internal=True, public=True),
        Route("/_mock/requests", ("DELETE",), clear_requests, internal=True, public=True,
              write=False),
        Route("/_mock/tokens", ("POST",), add_token, internal=True, public=True, write=False),
        Route("/_mock/faults", ("POST",), set_faults, internal=True, public=True, write=False),
    ]
