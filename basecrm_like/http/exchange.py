"""One request and its answer, as values: no socket, no session, no clock.

Everything here is shared by every transport (the ``requests`` one today, an
``httpx`` one tomorrow): where a path goes, what is sent, how an answer's body
becomes a result, what the hooks and the raw-response path are shown. A
transport only moves the bytes and measures the time.
"""
from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ..support.frozen import build
from .encoding import decode_json, encode_json, encode_params
from .envelopes import wrap_envelope
from .redaction import REDACTED

#: API versions a caller may address absolutely (``/v3/deals``); any other path is a v2 one
VERSION_PREFIXES = ("/v2/", "/v3/")
DEFAULT_VERSION = "/v2"
#: query parameters whose values are credentials: never shown to hooks, spans or logs
SECRET_PARAMS = frozenset({"access_token", "refresh_token", "client_secret", "code",
                           "password", "token", "api_key"})


@dataclass(frozen=True)
class PreparedRequest:
    """What goes on the wire; ``headers`` hold the token, so this never leaves the transport."""

    method: str
    url: str
    query: list[tuple[str, str]]
    data: bytes | None
    headers: dict[str, str]

    @property
    def public_url(self) -> str:
        """The URL with its query, credentials removed: what hooks, spans and logs see."""
        return public_url(self.url, self.query)


def resolve_url(base_url: str, path: str) -> str:
    """``/contacts`` -> ``{base}/v2/contacts``; ``/v3/deals`` -> ``{base}/v3/deals``;
    an absolute URL is kept."""
    if path.startswith(("http://", "https://")):
        return path
    if path.startswith(VERSION_PREFIXES):
        return f"{base_url}{path}"
    return f"{base_url}{DEFAULT_VERSION}{path}"


def prepare_request(url: str, method: str, *, authorization: str, user_agent: str,
                    params: Mapping[str, Any] | None = None, body: Any = None,
                    envelope: bool = True, headers: Mapping[str, str] | None = None,
                    default_headers: Mapping[str, str] | None = None) -> PreparedRequest:
    """The request for ``method url``: JSON body (in the ``data`` envelope unless
    ``envelope`` is False), encoded query and headers. ``headers`` win over
    ``default_headers`` (a client's ``with_options(headers=...)``), both over ours."""
    all_headers = {"Accept": "application/json", "User-Agent": user_agent,
                   "Authorization": authorization}
    data = None
    if body is not None:
        all_headers["Content-Type"] = "application/json"
        data = encode_json(wrap_envelope(body) if envelope else body).encode("utf-8")
    if default_headers:
        all_headers.update(default_headers)
    if headers:
        all_headers.update(headers)
    return build(PreparedRequest, {"method": method.upper(), "url": url,
                                   "query": encode_params(params) if params else [],
                                   "data": data, "headers": all_headers})


def public_url(url: str, query: list[tuple[str, str]] | None = None) -> str:
    """``url`` plus ``query`` without user info and with credential values redacted."""
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, keep_blank_values=True) + list(query or [])
    shown = [(k, REDACTED if k.lower() in SECRET_PARAMS else v) for k, v in pairs]
    netloc = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, netloc, parts.path, urlencode(shown), ""))


@dataclass(frozen=True)
class RequestEvent:
    """What a hook is told about one request: never a header, a body or a token.

    ``kind`` is ``"request"`` (about to be sent), ``"retry"`` (an attempt failed
    and another follows; ``status`` is the failed one's, None for a connection
    failure) or ``"response"`` (the final answer). ``attempt`` counts from 1.
    """

    kind: str
    method: str
    url: str
    attempt: int = 1
    status: int | None = None
    elapsed: float | None = None
    request_id: str | None = None


@dataclass(frozen=True)
class ApiResponse:
    """An answer with everything the plain call leaves out.

    ``data`` is what the plain call returns (unwrapped and parsed), or the
    body's bytes for ``raw=True``; ``meta`` is the answer's ``meta`` block (a
    collection's ``links`` and counts); ``attempts`` counts the tries it took.
    """

    status: int
    headers: Mapping[str, str]
    data: Any
    content: bytes = field(repr=False)
    elapsed: float = 0.0
    attempts: int = 1
    method: str = ""
    #: where it went, query apart: the public :attr:`url` is only worked out when read
    request_url: str = field(default="", repr=False)
    request_query: tuple[tuple[str, str], ...] = field(default=(), repr=False)

    @property
    def url(self) -> str:
        """The URL without user info, credential query values redacted."""
        return public_url(self.request_url, list(self.request_query))

    @property
    def request_id(self) -> str | None:
        """The API's ``X-Request-Id``, the id its support asks for."""
        return self.headers.get("X-Request-Id")

    @property
    def retries(self) -> int:
        return self.attempts - 1

    @cached_property
    def meta(self) -> Any:
        """The ``meta`` block of a JSON answer, or None (the body is parsed once for it)."""
        document = self.json() if self.content and _is_json(self.headers) else None
        return document.get("meta") if isinstance(document, dict) else None

    def json(self) -> Any:
        """The body as JSON, envelope and all (decimals exact)."""
        return decode_json(self.content)

    def __repr__(self) -> str:
        return (f"<ApiResponse {self.status} {self.method} {self.url} "
                f"request_id={self.request_id} attempts={self.attempts}>")


def _is_json(headers: Mapping[str, str]) -> bool:
    return "json" in headers.get("Content-Type", "")


#: Filled by :meth:`Service.with_raw_response <basecrm_like.services.Service.with_raw_response>`
#: calls: the answers of the requests the action sent, last one last.
captured_responses: ContextVar[list[ApiResponse] | None] = ContextVar(
    "basecrm_like_captured_responses", default=None)


def capture(response: ApiResponse) -> None:
    """Hand ``response`` to a raw-response call running in this context, if any."""
    sink = captured_responses.get()
    if sink is not None:
        sink.append(response)
