"""What a handler gets: :class:`Call`, one request with the pieces serving it needs
(its path values, the open store transaction, the authenticated user), and the
strict reading of its JSON body."""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

from werkzeug.wrappers import Request

from ...catalog import Resource
from ..backend.errors import error
from ..backend.store import Store, dumps
from ..backend.validation import parse_envelope
from ..backend.values import INT64
from .request_log import ENTRY_BODY_LIMIT

MAX_BODY = 1024 * 1024
_UNSET = object()


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"{text[:40]} is beyond the range of a JSON number the API stores")
    return number


def _int64(text: str) -> int:
    number = int(text)
    if not -INT64 - 1 <= number <= INT64:
        raise ValueError(f"{text[:40]}{'...' if len(text) > 40 else ''} is outside the 64-bit integer range")
    return number


def parse_json(raw: bytes) -> Any:
    """Strict JSON: no NaN/Infinity (nor numbers that overflow to it), integers
    within 64 bits, no lone surrogates, bounded nesting.

    Anything accepted here can be stored and sent back as valid UTF-8 JSON, so a
    client cannot make a later answer fail.
    """
    try:
        value = json.loads(raw, parse_constant=_no_constants, parse_float=_finite,
                           parse_int=_int64)
        dumps(value).encode("utf-8")
    except RecursionError:
        raise ValueError("nested too deeply") from None
    except UnicodeError as exc:
        raise ValueError(f"not valid UTF-8 text ({exc})") from None
    return value


def logged_body(request: Request) -> Any:
    """The JSON body for the request log (None when absent, too big or not JSON)."""
    length = request.content_length
    if not length or length > ENTRY_BODY_LIMIT:
        return None  # the log says it omitted the body; no need to parse it
    try:
        return parse_json(request.get_data(cache=True))
    except ValueError:
        return None


@dataclass
class Call:
    """One request on its way through a handler."""

    request: Request
    values: dict[str, Any]
    request_id: str
    store: Store
    resource: Resource | None = None
    user_id: int = 1
    _body: Any = field(default=_UNSET, repr=False)

    @property
    def args(self) -> dict[str, str]:
        """Query parameters, first value of each."""
        return {key: self.request.args[key] for key in self.request.args}

    def raw_body(self) -> bytes:
        length = self.request.content_length
        if length is not None and length > MAX_BODY:
            raise error(413, "request_too_large", "Request body too large",
                        f"The body has {length} bytes; the limit is {MAX_BODY} bytes (1 MB). "
                        "Send fewer records per request.")
        data = self.request.get_data(cache=True)
        if len(data) > MAX_BODY:
            raise error(413, "request_too_large", "Request body too large",
                        f"The limit is {MAX_BODY} bytes (1 MB).")
        return data

    def body(self) -> Any:
        """The decoded JSON body (None when empty), or 400 ``invalid_payload``."""
        if self._body is _UNSET:
            raw = self.raw_body()
            if not raw.strip():
                self._body = None
            else:
                try:
                    self._body = parse_json(raw)
                except ValueError as exc:
                    raise error(400, "invalid_payload", "The request body is not valid JSON",
                                f"Could not parse the body as JSON: {exc}") from None
        return self._body

    def data(self) -> dict[str, Any]:
        """The ``data`` object of the body, or 400 ``invalid_payload``."""
        return parse_envelope(self.body())
