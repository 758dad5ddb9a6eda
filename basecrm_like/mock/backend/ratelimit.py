"""A token bucket per access token: ``rate`` requests per second, bursts of ``rate``.

Hand-written rather than a library: it is a dozen lines and must answer "how
long until the next request is allowed" for the Retry-After header.
"""
from __future__ import annotations

import math
import threading
import time


class RateLimiter:
    def __init__(self, rate: float) -> None:
        if rate <= 0:
            raise ValueError(f"rate limit must be > 0 requests per second, got {rate}")
        self.rate = float(rate)
        self.burst = max(1.0, float(rate))
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, last refill)

    def take(self, key: str, now: float | None = None) -> int | None:
        """None when allowed; else the whole seconds (>= 1) to wait, for Retry-After."""
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return None
            self._buckets[key] = (tokens, now)
        return max(1, math.ceil((1.0 - tokens) / self.rate))

    def clear(self) -> None:
        with self._lock:
            self._buckets.clear()
