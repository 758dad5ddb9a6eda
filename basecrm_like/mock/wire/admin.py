"""Test helpers under /_mock/: reset, the request log, extra tokens, faults.

They need no token and are never faulted, rate limited or logged, so a test
can always reach them, even against a server configured to misbehave. Each
handler is bound to the one piece of server state it works on.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial
from typing import Any

from werkzeug.wrappers import Response

from ..backend.errors import error
from ..backend.faults import FaultInjector
from ..backend.tokens import Tokens
from .replies import empty_reply, json_reply
from .request import Call
from .request_log import RequestLog
from .routes import Route


def _payload(call: Call) -> Any:
    """The body, with an optional ``data`` envelope taken off."""
    body = call.body()
    if isinstance(body, dict) and isinstance(body.get("data"), dict):
        return body["data"]
    return body


def reset(reset_server: Callable[[], int], call: Call) -> Response:
    return json_reply(200, {"data": {"reset": True, "seed": reset_server()}})


def list_requests(log: RequestLog, call: Call) -> Response:
    return json_reply(200, {"items": log.entries()})


def clear_requests(log: RequestLog, call: Call) -> Response:
    log.clear()
    return empty_reply(204)


def add_token(tokens: Tokens, call: Call) -> Response:
    """``{"token": "...", "user_id": 1, "expires_in": 3600}`` (``data`` envelope optional)."""
    body = _payload(call)
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
        info = tokens.add(body["token"], user_id=user_id, expires_at=expires_at)
    except ValueError as exc:
        raise error(400, "invalid_payload", str(exc)) from None
    return json_reply(200, {"data": {"token": info.token, "user_id": info.user_id,
                                     "expires_at": info.expires_at}})


def set_faults(faults: FaultInjector, call: Call) -> Response:
    """``{"faults": "error=0.1,drop=0.05", "seed": 7}``; ``{"faults": null}`` turns them off."""
    body = _payload(call)
    if not isinstance(body, dict) or not isinstance(body.get("faults"), (str, type(None))) \
            or not isinstance(body.get("seed"), (int, type(None))):
        raise error(400, "invalid_payload", 'Send {"faults": "error=0.1", "seed": 7}',
                    '"faults" is a spec string or null (off); "seed" is optional.')
    try:
        spec = faults.configure(body.get("faults"), body.get("seed"))
    except ValueError as exc:
        raise error(400, "invalid_payload", str(exc)) from None
    return json_reply(200, {"data": {"error": spec.error, "drop": spec.drop,
                                     "latency": spec.latency}})


def admin_routes(*, reset_server: Callable[[], int], log: RequestLog, tokens: Tokens,
                 faults: FaultInjector) -> list[Route]:
    """The helpers; ``reset_server`` puts the server back to its seed state and
    returns the seed count."""
    def internal(rule: str, method: str, handler: Callable[[Call], Response],
                 write: bool | None = False) -> Route:
        return Route(rule, (method,), handler, internal=True, public=True, write=write)

    return [
        internal("/_mock/reset", "POST", partial(reset, reset_server)),
        internal("/_mock/requests", "GET", partial(list_requests, log), write=None),
        internal("/_mock/requests", "DELETE", partial(clear_requests, log)),
        internal("/_mock/tokens", "POST", partial(add_token, tokens)),
        internal("/_mock/faults", "POST", partial(set_faults, faults)),
    ]
