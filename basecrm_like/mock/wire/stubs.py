"""Scripted answers over HTTP (``/_mock/stubs``) and the response a stub gives."""
from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial

from werkzeug.wrappers import Response

from ..backend.errors import error
from ..backend.store import dumps
from ..backend.stubs import Stub, StubBook
from .replies import JSON_TYPE, empty_reply, json_reply
from .request import Call
from .routes import Route

STUB_KEYS = ("method", "path", "status", "body", "headers", "delay", "times")


def stub_response(stub: Stub) -> Response:
    """The scripted answer (after its delay); a body that is not a string is sent as JSON."""
    if stub.delay:
        time.sleep(stub.delay)
    if stub.body is None:
        response = empty_reply(stub.status)
    elif isinstance(stub.body, str):
        response = Response(stub.body, status=stub.status, content_type=JSON_TYPE)
    else:
        response = Response(dumps(stub.body), status=stub.status, content_type=JSON_TYPE)
    for key, value in (stub.headers or {}).items():
        response.headers[key] = value
    return response


def add_stub(book: StubBook, call: Call) -> Response:
    """``{"method": "POST", "path": "/v2/deals", "status": 503, "times": 2}`` (body,
    headers, delay optional)."""
    body = call.body()
    if not isinstance(body, dict) or "method" not in body or "path" not in body:
        raise error(400, "invalid_payload", 'Send {"method": "POST", "path": "/v2/deals", ...}',
                    f"Keys: {', '.join(STUB_KEYS)}.")
    unknown = sorted(set(body) - set(STUB_KEYS))
    if unknown:
        raise error(400, "invalid_payload", f"Unknown stub key {unknown[0]!r}",
                    f"Keys: {', '.join(STUB_KEYS)}.")
    try:
        stub = book.add(**body)
    except ValueError as exc:
        raise error(400, "invalid_payload", str(exc)) from None
    return json_reply(201, {"data": stub.as_dict()})


def list_stubs(book: StubBook, call: Call) -> Response:
    return json_reply(200, {"items": book.entries()})


def remove_stub(book: StubBook, call: Call) -> Response:
    if not book.remove(int(call.values["stub_id"])):
        raise error(404, "not_found", "Not Found", f"There is no stub {call.values['stub_id']}.")
    return empty_reply(204)


def clear_stubs(book: StubBook, call: Call) -> Response:
    book.clear()
    return empty_reply(204)


def stub_routes(book: StubBook) -> list[Route]:
    def internal(rule: str, method: str, handler: Callable[[Call], Response]) -> Route:
        return Route(rule, (method,), handler, internal=True, public=True, write=False)

    return [
        internal("/_mock/stubs", "POST", partial(add_stub, book)),
        internal("/_mock/stubs", "GET", partial(list_stubs, book)),
        internal("/_mock/stubs", "DELETE", partial(clear_stubs, book)),
        internal("/_mock/stubs/<int:stub_id>", "DELETE", partial(remove_stub, book)),
    ]

