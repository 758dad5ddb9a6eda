"""A client-side rate limiter shared by every thread that uses one client.

The API allows 10 requests per second per token and answers 429 beyond that.
Staying under the limit on our side is cheaper than being refused: a refused
request still costs a round trip and a pause.

Why a hand-written token bucket rather than a library: the mechanism is about
forty lines, the HTTP layer asks it before each attempt (:meth:`acquire`) and
tells it each answer (:meth:`observe`), and it must slow down on 429 answers
and recover afterwards. The limiter packages on PyPI either work per process or
per decorated function, use asyncio, or bring a storage backend (Redis,
SQLite) we have no use for; none adapts its rate to the server's answers.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping

from .errors import BadValueError
from .retry import parse_retry_after

__all__ = ["TokenBucket", "DEFAULT_RATE"]

#: requests per second, the documented per-token limit of the API
DEFAULT_RATE = 10.0
#: after a 429 the rate is multiplied by this ...
BACKOFF = 0.7
#: ... but never below this share of the configured rate
FLOOR = 0.1
#: each successful answer gives back this share of the configured rate
RECOVERY = 0.02
#: pause after a 429 without Retry-After (seconds)
DEFAULT_PAUSE = 1.0


class TokenBucket:
    """Hands out permits at ``rate`` per second, at most ``burst`` at once.

    Implemented as a virtual schedule (the "generic cell rate algorithm"): each
    permit is given the next free slot ``1/rate`` after the previous one, and
    a caller sleeps until its slot. That is a token bucket of ``burst`` tokens
    without a refill thread. ``rate=0`` (or None) means unlimited; a 429 pause
    still applies then.

    Thread-safe: the lock is held only to book a slot, never while sleeping.

    Adaptive: the HTTP layer calls :meth:`observe` with every answer. A
    429 answer lowers the current rate (multiplicative decrease) and holds
    every thread back for the server's ``Retry-After``; each other answer
    raises the rate again by a small step up to the configured one (additive
    increase), so a server whose real limit is lower than ours is followed.
    """

    def __init__(self, rate: float | None = DEFAULT_RATE, burst: int = 1,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self._sleep = sleep
        self._next = clock()
        self._burst = max(1, int(burst))
        self.target = 0.0
        self.current = 0.0
        self.set_rate(rate)
        #: permits handed out (one per request sent through the HTTP layer)
        self.acquired = 0
        #: 429 answers seen by :meth:`observe`
        self.rate_limited = 0

    def __repr__(self) -> str:
        rate = f"{self.current:g}/{self.target:g} per s" if self.target else "unlimited"
        return f"<TokenBucket {rate}>"

    @property
    def rate(self) -> float:
        """The configured rate (0 = unlimited)."""
        return self.target

    def set_rate(self, rate: float | None) -> None:
        """Change the configured rate; 0 or None turns the limit off."""
        if rate is not None and (not isinstance(rate, (int, float)) or rate < 0):
            raise BadValueError(f"rate must be a number of requests per second >= 0, got {rate!r}")
        with self._lock:
            self.target = float(rate or 0.0)
            self.current = self.target

    # -- the throttle hook -------------------------------------------------------
    def acquire(self) -> float:
        """Wait for a permit; returns the seconds waited."""
        wait = self.reserve()
        if wait > 0:
            self._sleep(wait)
            return wait
        return 0.0

    def reserve(self) -> float:
        """Book a permit without waiting; returns the seconds to wait before using it.

        The async client awaits this pause instead of blocking its event loop.
        """
        with self._lock:
            self.acquired += 1
            now = self._clock()
            if self.current > 0:
                interval = 1.0 / self.current
                # unused slots accumulate up to the burst, no further
                earliest = now - (self._burst - 1) * interval
                slot = max(self._next, earliest)
                self._next = slot + interval
            else:
                slot = max(self._next, now)   # unlimited, except for a 429 pause
            return slot - now

    __call__ = acquire

    # -- the observer hook -------------------------------------------------------
    def observe(self, status: int, headers: Mapping[str, str]) -> None:
        """Slow down on 429, speed back up on anything else."""
        if status == 429:
            self.penalize(parse_retry_after(headers))
        elif self.target and self.current < self.target:
            with self._lock:
                self.current = min(self.target, self.current + self.target * RECOVERY)

    def penalize(self, retry_after: float | None = None) -> None:
        """Record a 429: lower the rate and pause every caller for ``retry_after`` s."""
        with self._lock:
            self.rate_limited += 1
            if self.target:
                self.current = max(self.target * FLOOR, self.current * BACKOFF)
            pause = DEFAULT_PAUSE if retry_after is None else max(0.0, retry_after)
            self._next = max(self._next, self._clock() + pause)
