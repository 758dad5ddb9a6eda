"""When a request is tried again, and how long to wait first.

urllib3's Retry does the retrying inside the connection pool; these are the
API's rules on top of it, and the one reading of ``Retry-After``.
"""
from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Iterable, Mapping
from contextvars import ContextVar
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

from urllib3.util.retry import Retry

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
#: answers retried for idempotent methods; a read that failed on a server error is safe to repeat
RETRY_STATUSES = frozenset({500, 502, 503, 504})
#: the longest pause a server's Retry-After can impose on us (seconds)
MAX_RETRY_AFTER = 120.0


class Limiter(Protocol):
    """What the HTTP layer needs from a rate limiter such as :class:`~basecrm_like.ratelimit.TokenBucket`."""

    def acquire(self) -> float: ...

    def observe(self, status: int, headers: Mapping[str, str]) -> None: ...


#: The limiter of the request being sent on this thread. urllib3 retries inside
#: one shared adapter, so a retried attempt can only find the limiter of the
#: HttpClient that sent it through the context of the call.
attempt_limiter: ContextVar[Limiter | None] = ContextVar("basecrm_like_attempt_limiter",
                                                           default=None)
#: Told of every attempt urllib3 is about to repeat, with the failed one's status
#: (None for a connection failure): hooks and spans count retries through it.
attempt_observer: ContextVar[Callable[[int | None], None] | None] = ContextVar(
    "basecrm_like_attempt_observer", default=None)


class ApiRetry(Retry):
    """urllib3's Retry with the API's rules.

    - connection failures before the request went out: every method (urllib3's
      ``connect`` counter; a POST that never left cannot have been applied);
    - read failures and 502/503/504: idempotent methods only;
    - 429: every method, since the server refused it without applying it;
      Retry-After is honoured, otherwise exponential backoff with jitter.
    """

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        if status_code == 429:
            return bool(self.total) and (self.status is None or self.status > 0)
        return super().is_retry(method, status_code, has_retry_after)

    def get_backoff_time(self) -> float:
        # urllib3 retries the first failure at once; a server that just said
        # "too busy" deserves a pause from the first retry on.
        attempts = sum(1 for h in self.history if h.redirect_location is None)
        if attempts == 0:
            return 0.0
        return backoff_delay(self.backoff_factor, attempts, self.backoff_max)

    def get_retry_after(self, response: Any) -> float | None:
        return parse_retry_after(response.headers)

    def increment(self, *args: Any, **kwargs: Any) -> ApiRetry:
        retry = super().increment(*args, **kwargs)
        # Not exhausted, so another attempt follows. Attempts urllib3 makes
        # never reach HttpClient.send: the limiter hears of the answer here and
        # books the next attempt (the last answer is observed by send).
        response = kwargs.get("response")
        observer = attempt_observer.get()
        if observer is not None:
            observer(None if response is None else response.status)
        limiter = attempt_limiter.get()
        if limiter is not None:
            if response is not None:
                limiter.observe(response.status, response.headers)
            limiter.acquire()
        return retry


def backoff_delay(factor: float, attempt: int, ceiling: float) -> float:
    """Exponential backoff with jitter: between half and all of ``factor * 2**(attempt-1)``,
    capped at ``ceiling``, so clients retrying together spread out."""
    top = min(ceiling, factor * (2 ** (attempt - 1)))
    return random.uniform(top / 2, top)


def retry_statuses(configured: Iterable[int] | None) -> frozenset[int]:
    """The statuses retried for idempotent methods: ``configured`` or the default.

    429 is not among them: it is retried for every method whatever this says,
    since the server refused the request without applying it.
    """
    return RETRY_STATUSES if configured is None else frozenset(configured)


def build_retry(max_retries: int, backoff_factor: float,
                statuses: Iterable[int] | None = None) -> ApiRetry:
    return ApiRetry(
        total=max_retries,
        connect=max_retries,
        read=max_retries,
        status=max_retries,
        other=0,
        redirect=0,
        allowed_methods=IDEMPOTENT_METHODS,
        status_forcelist=retry_statuses(statuses),
        backoff_factor=backoff_factor,
        backoff_max=30,
        respect_retry_after_header=True,
        raise_on_status=False,
        raise_on_redirect=False,
    )


def parse_retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds the server asks us to wait: ``Retry-After`` as seconds or an HTTP date,
    at most :data:`MAX_RETRY_AFTER`; None when absent or unreadable."""
    seconds = _requested_seconds(headers)
    if seconds is None:
        return None
    return min(max(0.0, seconds), MAX_RETRY_AFTER)


def capped_retry_after(headers: Mapping[str, str] | None) -> str | None:
    """The ``Retry-After`` a server sent when :func:`parse_retry_after` cut it down
    to :data:`MAX_RETRY_AFTER` (for messages saying what was capped), else None."""
    seconds = _requested_seconds(headers)
    if seconds is None or not seconds > MAX_RETRY_AFTER:
        return None
    return str((headers or {}).get("Retry-After", "")).strip()


def _requested_seconds(headers: Mapping[str, str] | None) -> float | None:
    value = headers.get("Retry-After") if headers else None
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError, OverflowError):
            return None
    if math.isnan(seconds):
        return None
    return seconds




class AttemptAnswer:
    """An answer as urllib3's :class:`Retry` reads it, for a transport that is not urllib3.

    ``Retry.increment`` and ``Retry.get_retry_after`` read ``status``, ``headers``
    and ``get_redirect_location()``; the async transport hands them this, so the
    retry policy above decides for both transports.
    """

    def __init__(self, status: int, headers: Mapping[str, str]) -> None:
        self.status = status
        self.headers = headers

    def get_redirect_location(self) -> bool:
        return False  # redirects are never followed: they are answers


def retry_pause(retry: Retry, answer: AttemptAnswer | None = None) -> float:
    """The seconds ``retry.sleep(answer)`` would sleep, without sleeping: the server's
    ``Retry-After`` when it sent one, else the backoff with jitter."""
    if answer is not None and retry.respect_retry_after_header:
        after = retry.get_retry_after(answer)  # type: ignore[arg-type]
        if after:
            return after
    return retry.get_backoff_time()
