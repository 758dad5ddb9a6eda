"""What an answer means, decided without any I/O: for the requests and the httpx transports alike.

Both transports hand these functions the answer they received, read through
:class:`AnswerView` (the attributes ``requests.Response`` and
``httpx.Response`` share), so the error mapping, the decoding of a success and
the refresh-after-401 decision are written once.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any, Protocol
from urllib.parse import urlsplit

from ..support.frozen import build
from . import errors
from .answers import decode_answer, is_json_type, redirect_error
from .encoding import decode_json
from .envelopes import unwrap_envelope
from .exchange import ApiResponse, PreparedRequest, capture
from .retry import capped_retry_after, parse_retry_after

ERROR_EXCERPT = 200


class AnswerView(Protocol):
    """The parts of an answer the rules read: ``requests.Response`` and ``httpx.Response`` both fit."""

    @property
    def status_code(self) -> int: ...

    @property
    def headers(self) -> Any: ...

    @property
    def content(self) -> bytes: ...

    @property
    def text(self) -> str: ...

    @property
    def elapsed(self) -> timedelta: ...


def renewal_due(status: int, token_source: Any, headers: Mapping[str, str] | None) -> bool:
    """A 401 with a token source and no Authorization of the caller's own: refresh once, then
    repeat the request once."""
    return status == 401 and token_source is not None and not (headers and "Authorization" in headers)


def rejected_token(prepared: PreparedRequest) -> str:
    """The bearer token a request was sent with (what a 401 rejected)."""
    return prepared.headers["Authorization"].partition(" ")[2]


def decode_success(resp: AnswerView, method: str, url: str, envelope: bool,
                   redact: Callable[[str], str]) -> Any:
    """The result of a 2xx answer: its JSON (unwrapped with ``envelope``), a file's
    bytes, or :class:`~.errors.UnexpectedResponseError` for any other body."""
    decoded = decode_answer(resp, method, urlsplit(url).path, redact, decode_json)  # type: ignore[arg-type]
    if not resp.content or not envelope:
        return decoded
    return unwrap_envelope(decoded)


def error_for(resp: AnswerView, redact: Callable[[str], str]) -> errors.BaseError:
    """The typed error for an answer, whatever its body looks like.

    The body is redacted first: a server echoing a token back must not put
    it into an exception message that ends up in a log.
    """
    status = resp.status_code
    text = redact(resp.text) if resp.content else ""
    payload: Any = None
    if is_json_type(resp.headers.get("Content-Type", "")):
        try:
            payload = json.loads(text)
        except (ValueError, RecursionError):
            payload = None
    error_list: list[Any] = []
    logref = resp.headers.get("X-Request-Id")
    excerpt = None
    if isinstance(payload, dict) and isinstance(payload.get("errors"), list):
        error_list = [e for e in payload["errors"] if isinstance(e, dict)]
        meta = payload.get("meta")
        if isinstance(meta, dict) and meta.get("logref"):
            logref = str(meta["logref"])
    else:
        excerpt = text[:ERROR_EXCERPT]
    args = (status, logref, error_list, resp.headers, excerpt)
    if status == 422:
        return errors.ResourceError(*args)
    if status == 429:
        return errors.RateLimitError(*args, retry_after=parse_retry_after(resp.headers),
                                     requested_retry_after=capped_retry_after(resp.headers))
    if 400 <= status < 500:
        return errors.RequestError(*args)
    return errors.ServerError(*args)


def settle(resp: AnswerView, prepared: PreparedRequest, attempts: int, *, envelope: bool,
           parse: bool, redact: Callable[[str], str]) -> ApiResponse:
    """The final answer of an exchange as an :class:`ApiResponse`, or the typed error it means."""
    check_status(resp, prepared, redact)
    return whole_answer(resp, prepared, attempts, envelope=envelope, parse=parse, redact=redact)


def check_status(resp: AnswerView, prepared: PreparedRequest,
                 redact: Callable[[str], str]) -> None:
    """The typed error of any answer but a 2xx one (redirects included: they are not followed)."""
    status = resp.status_code
    if 300 <= status < 400:
        raise redirect_error(resp, prepared.method, urlsplit(prepared.url).path,  # type: ignore[arg-type]
                             redact)
    if not 200 <= status < 300:
        raise error_for(resp, redact)


def whole_answer(resp: AnswerView, prepared: PreparedRequest, attempts: int, *,
                 envelope: bool, parse: bool, redact: Callable[[str], str]) -> ApiResponse:
    """A 2xx answer as an :class:`ApiResponse`, also handed to a ``with_raw_response``
    call running in this context."""
    answer = build(ApiResponse, {
        "status": resp.status_code, "headers": resp.headers,
        "data": decode_success(resp, prepared.method, prepared.url, envelope, redact) if parse
        else resp.content,
        "content": resp.content, "elapsed": resp.elapsed.total_seconds(),
        "attempts": attempts, "method": prepared.method, "request_url": prepared.url,
        "request_query": tuple(prepared.query)})
    capture(answer)
    return answer


def timeout_error(method: str, url: str, timeout: Any) -> errors.TimeoutError:
    """A request that got no answer in time."""
    # the transport's own request object is left off our errors: its headers and
    # body hold the token, a form's code or refresh token
    return errors.TimeoutError(
        f"{method} {urlsplit(url).path} timed out after {timeout!r} s; "
        "raise the timeout option or retry later",
    )


def unreachable_error(method: str, url: str, base_url: str, cause: str,
                      redact: Callable[[str], str]) -> errors.ConnectionError:
    """A request that never reached the server (refused, reset, no route, no name)."""
    return errors.ConnectionError(redact(
        f"{method} {urlsplit(url).path}: cannot reach {_host_of(url, base_url)} "
        f"({cause}); check base_url and the network, then retry"))


def _host_of(url: str, base_url: str) -> str:
    if url.startswith(base_url):
        return base_url
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"
