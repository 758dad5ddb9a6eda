"""A rate limit shared by several processes or machines on one token.

The API counts requests per token, so scripts and app servers on one token
must draw from one budget. The budget is kept by ``pyrate-limiter`` in a store
named by a URL: ``memory`` (this process), ``sqlite:///path`` (the processes
of one host; a file lock serialises them) or ``redis://host:port/db``
(several hosts).

Why a wrapper around the library: its rates are fixed when the bucket is
made, and it knows nothing of answers, so it cannot slow down when the server
says 429. The wrapper keeps the library's budget for the pace and adds this
process's pause after a 429 (the server's ``Retry-After``, else one second);
the processes sharing the store that were refused too pause on their own 429.
Permits are spaced ``1/rate`` apart rather than granted in bursts of ``rate``,
so requests that queue in the network cannot reach the server as one burst.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

from .common import KEEP
from .errors import ConfigurationError
from .ratelimit import DEFAULT_PAUSE, TokenBucket
from .retry import Limiter, parse_retry_after

STORE_SCHEMES = ("memory", "sqlite", "redis", "rediss")
#: the library sleeps this much past the computed wait, for clock drift between processes
BUFFER_MS = 2


#: seconds acquire_nowait lets the store answer (its lock, a Redis round trip)
NOWAIT_GRACE = 0.05


class SharedRateLimiter:
    """``rate`` requests per second from a budget kept in ``store`` (see the module doc).

    Same protocol as :class:`~basecrm_like.http.ratelimit.TokenBucket`:
    :meth:`acquire` waits for a permit, :meth:`observe` hears every answer.
    """

    def __init__(self, rate: float, store: str = "memory", *, key: str = "basecrm",
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or rate <= 0:
            raise ConfigurationError(f"a shared rate limit needs a rate > 0, got {rate!r}")
        self.rate = float(rate)
        self.store = store
        self._limiter = _pyrate_limiter(self.rate, store, key)
        self._key = key
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._paused_until = 0.0
        #: permits handed out, and 429 answers seen, by this process
        self.acquired = 0
        self.rate_limited = 0

    def __repr__(self) -> str:
        return f"<SharedRateLimiter {self.rate:g} per s in {redact_store(self.store)}>"

    def acquire(self) -> float:
        """Wait for a permit (and for a 429's pause); returns the seconds waited."""
        started = self._clock()
        pause = self._paused_until - started
        if pause > 0:
            self._sleep(pause)
        self._limiter.try_acquire(self._key, blocking=True)
        with self._lock:
            self.acquired += 1
        return self._clock() - started

    __call__ = acquire

    def acquire_nowait(self) -> bool:
        """Take a permit if the shared budget has one right now; never waits."""
        # blocking for a moment rather than blocking=False: the library passes
        # False positionally to the file lock, which filelock 4 takes as a timeout;
        # and a zero timeout can expire before the library has looked at the bucket
        if self._paused_until > self._clock() or not self._limiter.try_acquire(
                self._key, blocking=True, timeout=NOWAIT_GRACE):
            return False
        with self._lock:
            self.acquired += 1
        return True

    def observe(self, status: int, headers: Mapping[str, str]) -> None:
        if status == 429:
            self.penalize(parse_retry_after(headers))

    def penalize(self, retry_after: float | None = None) -> None:
        pause = DEFAULT_PAUSE if retry_after is None else max(0.0, retry_after)
        with self._lock:
            self.rate_limited += 1
            self._paused_until = max(self._paused_until, self._clock() + pause)

    def close(self) -> None:
        self._limiter.close()


def build_limiter(rate: float | None, store: str | None) -> Limiter | None:
    """No limiter without a rate; the adaptive in-process bucket without a store; a
    budget kept in ``store`` with one."""
    if not rate:
        return None
    if store is None:
        return TokenBucket(rate)
    return SharedRateLimiter(rate, store)


def check_store(store: str) -> str:
    """``store`` if it names a store we know; ConfigurationError naming the forms otherwise."""
    scheme = store.partition(":")[0] if isinstance(store, str) else ""
    if scheme not in STORE_SCHEMES or (scheme == "sqlite" and not urlsplit(store).path):
        raise ConfigurationError(
            f"rate_limit_store must be 'memory', 'sqlite:///path/to/file' or "
            f"'redis://host:port/db', got {redact_store(str(store))!r}")
    return store


def redact_store(store: str) -> str:
    """The store URL without a password (``redis://:secret@host``)."""
    parts = urlsplit(store)
    if parts.password:
        return store.replace(parts.password, "<redacted>")
    return store


def _pyrate_limiter(rate: float, store: str, key: str) -> Any:
    try:
        import pyrate_limiter as pyrate
    except ImportError:
        raise ConfigurationError(
            "rate_limit_store needs the pyrate-limiter package: "
            "pip install 'basecrm_like[ratelimit]'") from None
    check_store(store)
    # one permit per interval: a smooth pace, never a burst of `rate` at once
    rates = [pyrate.Rate(1, max(1, round(1000 / rate)))]
    scheme = store.partition(":")[0]
    bucket: Any
    if scheme == "memory":
        bucket = pyrate.InMemoryBucket(rates)
    elif scheme == "sqlite":
        path = unquote(urlsplit(store).path)
        bucket = pyrate.SQLiteBucket.init_from_file(
            rates, table=_table_name(key), db_path=path, create_new_table=True,
            use_file_lock=True)
    else:
        try:
            import redis
        except ImportError:
            raise ConfigurationError("a redis:// rate_limit_store needs the redis package: "
                                     "pip install 'basecrm_like[ratelimit]'") from None
        bucket = pyrate.RedisBucket.init(rates, redis.Redis.from_url(store), f"{key}:rate")
    return pyrate.Limiter(bucket, buffer_ms=BUFFER_MS)


def _table_name(key: str) -> str:
    return "rate_" + "".join(c if c.isalnum() else "_" for c in key)


def derived_http_client(http_client: Any, *, timeout: Any, max_retries: Any,
                        headers: Mapping[str, str] | None, rate_limit: Any,
                        hooks: Mapping[str, Any] | None) -> Any:
    """``http_client.with_options(...)`` for a client's ``with_options``: a ``rate_limit``
    (requests per second; 0 or None for none) becomes a limiter drawing from the same
    ``rate_limit_store`` when one is set, else a bucket of its own."""
    limiter: Any = KEEP
    if rate_limit is not KEEP:
        limiter = build_limiter(rate_limit, http_client.config.rate_limit_store)
    return http_client.with_options(timeout=timeout, max_retries=max_retries, headers=headers,
                                    limiter=limiter, hooks=hooks)
