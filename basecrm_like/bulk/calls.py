"""One API call of a row, with the retries it may have and the fail-fast rules.

At most ``concurrency`` calls are on the wire at once; a call waiting to retry
holds no slot, so slow rows never leave the rate budget unused.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import requests

from ..http import errors
from ..http.retry import backoff_delay
from .outcomes import Fatal, RowFailure, failure, fatal_message, never_connected

__all__ = ["Caller"]

logger = logging.getLogger("basecrm_like.bulk")

_RETRYABLE = (errors.ServerError, errors.ConnectionError, errors.TimeoutError)


class Caller:
    """Runs API calls for rows: ``concurrency`` at once, retried up to ``max_attempts`` times.

    ``stopping`` says the run is ending on a fatal error: a retrying call then
    gives up at once.
    """

    def __init__(self, concurrency: int, max_attempts: int, backoff: float,
                 stopping: Callable[[], bool]) -> None:
        self.max_attempts, self.backoff, self.stopping = max_attempts, backoff, stopping
        #: requests on the wire at once; a row sleeping before a retry holds no slot
        self._slots = threading.BoundedSemaphore(concurrency)

    def __call__(self, fn: Callable[[], Any], attempts: list[int], idempotent: bool,
                 collection: bool = False) -> Any:
        """Run one API call, retrying what may be retried; a RowFailure otherwise.

        ``collection`` says the call goes to the resource's collection path, where
        a 404 means the base URL is not the API. Holds a request slot only while
        the call runs, never while it waits to retry.
        """
        for attempt in range(1, self.max_attempts + 1):
            attempts[0] += 1
            try:
                with self._slots:
                    return fn()
            except errors.RateLimitError as exc:   # refused, not applied: always safe to repeat
                error: Exception = exc
                delay = exc.retry_after if exc.retry_after is not None else self.delay(attempt)
            except _RETRYABLE as exc:
                if isinstance(exc, errors.ConnectionError) and never_connected(exc):
                    raise Fatal(f"cannot connect to the API ({str(exc).split('; ')[0]}); "
                                 "check --base-url and the network") from None
                if not idempotent:
                    raise failure(exc, uncertain=True) from None
                error, delay = exc, self.delay(attempt)
            except errors.BaseError as exc:
                fatal = fatal_message(exc, collection)
                if fatal is not None:
                    raise Fatal(fatal) from None
                if 200 <= (exc.http_status or 0) < 300:   # an answer that is not the API's
                    raise failure(exc, uncertain=not idempotent) from None
                raise failure(exc) from None
            except (errors.UnknownAttributeError, ValueError, TypeError) as exc:
                raise RowFailure("invalid", str(exc), getattr(exc, "attribute", None)) from None
            except requests.exceptions.RequestException as exc:
                # the answer was cut short (a lost connection after the request was sent)
                if not idempotent:
                    raise RowFailure("connection_lost", f"the connection was lost before the answer "
                                 f"was read ({type(exc).__name__})", uncertain=True) from None
                error, delay = exc, self.delay(attempt)
            if self.stopping():
                break
            if attempt < self.max_attempts:
                logger.debug("retrying after %s in %.2f s", type(error).__name__, delay)
                time.sleep(delay)
        raise failure(error, attempts=attempts[0])

    def delay(self, attempt: int) -> float:
        return backoff_delay(self.backoff, attempt, 8.0)
