"""Compatibility path of the rate limiter, which lives in :mod:`basecrm_like.http.ratelimit`."""
from __future__ import annotations

from typing import Any

from .http.ratelimit import BACKOFF, DEFAULT_PAUSE, DEFAULT_RATE, FLOOR, RECOVERY, TokenBucket

__all__ = ["BACKOFF", "DEFAULT_PAUSE", "DEFAULT_RATE", "FLOOR", "RECOVERY", "TokenBucket"]


def limiter_for(http_client: Any, rate: float | None = None) -> TokenBucket:
    """Deprecated: the HTTP layer's own limiter, else a new, detached bucket.

    Kept only until the bulk engine paces itself with ``HttpClient.with_limiter``;
    nothing is installed on ``http_client``.
    """
    bucket = getattr(http_client, "limiter", None)
    if not isinstance(bucket, TokenBucket):
        return TokenBucket(DEFAULT_RATE if rate is None else rate)
    if rate is not None and rate != bucket.rate:
        bucket.set_rate(rate)
    return bucket
