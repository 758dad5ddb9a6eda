"""Compatibility path of the rate limiter, which lives in :mod:`basecrm_like.http.ratelimit`."""
from __future__ import annotations

from .http.ratelimit import BACKOFF, DEFAULT_PAUSE, DEFAULT_RATE, FLOOR, RECOVERY, TokenBucket

__all__ = ["BACKOFF", "DEFAULT_PAUSE", "DEFAULT_RATE", "FLOOR", "RECOVERY", "TokenBucket"]

