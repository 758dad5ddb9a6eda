"""The error hierarchy.

Every error raised for an API answer carries what the API said (status, logref,
the list of errors) and a message that tells the reader what to do next, because
the person reading a traceback at 3 a.m. in a cron log should not need the docs.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import requests
from munch import Munch, munchify

from ..support.errors import Error

__all__ = [
    "Error",
    "BadValueError",
    "BaseError",
    "ConfigurationError",
    "ConnectionError",
    "InvalidArgumentError",
    "RateLimitError",
    "RequestError",
    "ResourceError",
    "ServerError",
    "TimeoutError",
    "UnexpectedResponseError",
    "RedirectError",
    "UnknownAttributeError",
]

_HINTS = {
    400: "the request was malformed; check the query parameters and the body",
    401: "the access token is missing, malformed, expired or revoked; "
    "check the access_token option or BASECRM_ACCESS_TOKEN",
    403: "the token lacks the scope or the account lacks the plan for this call",
    404: "no such resource or path; check the id and the path",
    406: "the server cannot produce JSON for this request; send Accept: application/json",
    409: "the request conflicts with the current state of the resource",
    413: "the request body is too large; send fewer records per request",
    422: "the body did not validate; fix the fields named above",
    429: "the rate limit was exceeded; slow down or retry after the given delay",
}


class ConfigurationError(Error):
    """Raised before any request when an option is missing or invalid."""


class InvalidArgumentError(Error, TypeError):
    """A call got an argument of the wrong kind or count; also the ``TypeError`` Python raises."""


class BadValueError(Error, ValueError):
    """A call got an argument of the right kind but an unusable value (``per_page=0``,
    an empty upsert filter); also the ``ValueError`` Python code expects."""


class UnknownAttributeError(Error, ValueError):
    """Raised before any request when an attribute is not in the catalog.

    A ``ValueError`` so that code catching bad input generically still works.
    """

    def __init__(self, attribute: str, resource: str, suggestion: str | None = None) -> None:
        self.attribute = attribute
        self.resource = resource
        self.suggestion = suggestion
        message = f"unknown attribute {attribute!r} for {resource}"
        if suggestion:
            message += f"; did you mean {suggestion!r}?"
        else:
            message += "; pass strict=False to the Client to send attributes the catalog lacks"
        super().__init__(message)


class BaseError(Error):
    """An error answer from the API.

    ``errors`` is a list of Munch with ``code``, ``message``, ``details``,
    ``resource`` and ``field`` (missing keys read as None).
    """

    def __init__(
        self,
        http_status: int,
        logref: str | None = None,
        errors: Iterable[Mapping[str, Any]] | None = None,
        headers: Mapping[str, str] | None = None,
        body_excerpt: str | None = None,
    ) -> None:
        self.http_status = http_status
        self.logref = logref
        self.errors: list[Munch] = [_error_item(e) for e in (errors or [])]
        self.headers: Mapping[str, str] = headers or {}
        self.body_excerpt = body_excerpt
        super().__init__(self._message())

    @property
    def code(self) -> str | None:
        """The first error's code, the one most callers branch on."""
        return self.errors[0].code if self.errors else None

    def _message(self) -> str:
        parts = []
        for err in self.errors:
            text = f"{err.code or 'error'}: {err.message or ''}".rstrip(": ")
            if err.field:
                text += f" (field {err.field})"
            if err.details and err.details != err.message:
                text += f" - {err.details}"
            parts.append(text)
        if not parts and self.body_excerpt:
            parts.append(f"unexpected response body: {self.body_excerpt!r}")
        head = f"HTTP {self.http_status}"
        if self.logref:
            head += f" (logref {self.logref})"
        hint = _HINTS.get(self.http_status) or (
            "the server failed; retry later, and report the logref if it persists"
            if self.http_status >= 500
            else "see the errors above"
        )
        details = "; ".join(parts).rstrip(".")   # a detail's own full stop, not two
        return f"{head}: {details or 'no error details'}. What to do: {hint}."


def _error_item(raw: Mapping[str, Any]) -> Munch:
    inner = raw.get("error", raw) if isinstance(raw, Mapping) else {}
    item = munchify(dict(inner))
    for key in ("code", "message", "details", "resource", "field"):
        item.setdefault(key, None)
    return item


class RequestError(BaseError):
    """A 4xx answer other than 422 and 429: bad parameter, auth, missing id."""


class ResourceError(BaseError):
    """A 422 answer: the resource's attributes did not validate."""


class RateLimitError(BaseError):
    """A 429 answer. ``retry_after`` is the server's advice in seconds, or None.

    ``requested_retry_after`` is what the server asked for when that was more
    than the client accepts to wait (``retry_after`` then holds the cap).
    """

    def __init__(self, http_status: int = 429, logref: str | None = None,
                 errors: Iterable[Mapping[str, Any]] | None = None,
                 headers: Mapping[str, str] | None = None,
                 body_excerpt: str | None = None,
                 retry_after: float | None = None,
                 requested_retry_after: str | None = None) -> None:
        self.retry_after = retry_after
        self.requested_retry_after = requested_retry_after
        super().__init__(http_status, logref, errors, headers, body_excerpt)

    def _message(self) -> str:
        text = super()._message()
        if self.retry_after is not None:
            text += f" Retry after {self.retry_after:g} seconds."
        if self.requested_retry_after is not None:
            text += (f" (The server asked for Retry-After: {self.requested_retry_after!s:.40}; "
                     f"the client caps the wait at {self.retry_after:g} seconds.)")
        return text


class ServerError(BaseError):
    """A 5xx answer. Retried automatically for idempotent requests."""


class UnexpectedResponseError(BaseError):
    """A success status whose body is not the API's JSON answer: an HTML page from
    a proxy or captive portal, invalid JSON, JSON nested beyond reason.

    Whether a write it answered was applied is unknown: check before sending it
    again. ``reason`` says what was wrong with the body.
    """

    def __init__(self, http_status: int, reason: str, *, method: str = "", path: str = "",
                 headers: Mapping[str, str] | None = None,
                 body_excerpt: str | None = None) -> None:
        self.reason = reason
        self.method = method
        self.path = path
        super().__init__(http_status, None, None, headers, body_excerpt)

    def _message(self) -> str:
        where = f"{self.method} {self.path}: ".lstrip() if self.method else ""
        excerpt = f" Body starts: {self.body_excerpt!r}." if self.body_excerpt else ""
        return (f"{where}HTTP {self.http_status} but {self.reason}.{excerpt} What to do: check "
                "base_url points at the API and no proxy answers in its place; for a write, "
                "check whether it was applied before sending it again.")


class RedirectError(UnexpectedResponseError):
    """A 3xx answer. The API never redirects, and the client does not follow
    redirects (a token must not travel to another host)."""

    def _message(self) -> str:
        return (f"{self.method} {self.path}: HTTP {self.http_status} redirect to "
                f"{self.reason!r}, which the API never sends. What to do: check base_url "
                "(scheme, host, a missing or extra path) and any proxy in between.")


class ConnectionError(Error, requests.exceptions.ConnectionError):  # noqa: A001
    """The server could not be reached, or closed the connection with no answer.

    Also a ``requests.exceptions.ConnectionError``, so existing handlers keep working.
    ``request_sent`` is True when the connection was lost after the request went
    out (its answer cut short): a write may then have been applied.
    """

    request_sent: bool = False


class TimeoutError(Error, requests.exceptions.Timeout):  # noqa: A001
    """The server did not answer within the configured timeout.

    Also a ``requests.exceptions.Timeout``.
    """
