"""The shared rate limit: stores named by URL, the 429 pause, and three processes on
one token against a mock that allows 10 requests per second."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import basecrm_like
from basecrm_like.errors import ConfigurationError
from basecrm_like.http.ratelimit import TokenBucket
from basecrm_like.http.shared_ratelimit import (
    SharedRateLimiter,
    build_limiter,
    check_store,
    redact_store,
)

pytest.importorskip("pyrate_limiter")


@pytest.mark.parametrize("store", ["postgres://x", "sqlite://", "file.db", ""])
def test_unknown_stores_are_refused(store: str) -> None:
    with pytest.raises(ConfigurationError, match="rate_limit_store must be"):
        check_store(store)


def test_a_store_needs_a_rate() -> None:
    with pytest.raises(ConfigurationError, match="needs rate_limit"):
        basecrm_like.Client(access_token="t" * 64, rate_limit_store="memory")


def test_the_default_stays_the_adaptive_bucket(tmp_path: Path) -> None:
    assert build_limiter(None, "memory") is None
    assert isinstance(build_limiter(10, None), TokenBucket)
    shared = build_limiter(10, f"sqlite:///{tmp_path}/budget.db")
    assert isinstance(shared, SharedRateLimiter)
    assert "sqlite" in repr(shared)


def test_limiters_on_one_sqlite_file_share_the_budget(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path}/budget.db"
    first, second = SharedRateLimiter(1, store), SharedRateLimiter(1, store)
    assert first.acquire_nowait()
    assert not second.acquire_nowait()   # the one permit of this second is spent
    assert SharedRateLimiter(1, "memory").acquire_nowait()   # a budget of its own


def test_limiters_on_one_redis_share_the_budget(redis_url: str) -> None:
    first, second = SharedRateLimiter(1, redis_url, key="t1"), SharedRateLimiter(1, redis_url, key="t1")
    assert first.acquire_nowait()
    assert not second.acquire_nowait()
    assert SharedRateLimiter(1, redis_url, key="other").acquire_nowait()


def test_a_429_pauses_this_process() -> None:
    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    limiter = SharedRateLimiter(1000, "memory", clock=lambda: now[0], sleep=sleep)
    limiter.observe(429, {"Retry-After": "3"})
    assert limiter.rate_limited == 1 and not limiter.acquire_nowait()
    limiter.acquire()
    assert slept == [3.0] and limiter.acquired == 1
    limiter.observe(200, {})
    limiter.acquire()
    assert slept == [3.0]


def test_the_redis_password_stays_out_of_messages() -> None:
    with pytest.raises(ConfigurationError) as info:
        check_store("rediz://:hunter2@127.0.0.1:6379/0")
    assert "hunter2" not in str(info.value)
    assert redact_store("redis://:hunter2@127.0.0.1:6379/0") == "redis://:<redacted>@127.0.0.1:6379/0"


@pytest.fixture(scope="module")
def limited_mock() -> Any:
    pytest.importorskip("waitress")
    from basecrm_like.mock.process import mock_command, running

    with running(mock_command("--rate-limit", "10")) as server:
        yield server


REQUESTS = 10   # per process; benchmarks/request_options.py runs 100


def test_three_processes_share_a_budget(limited_mock: Any, tmp_path: Path, redis_url: str) -> None:
    from basecrm_like.mock import DEV_TOKEN
    from tests.support.shared_budget import run_processes

    for store in (f"sqlite:///{tmp_path}/budget.db", redis_url):
        run = run_processes(limited_mock.url, DEV_TOKEN, store, requests=REQUESTS)
        assert run.sent == 3 * REQUESTS
        assert run.rate_limited == 0, store
    alone = run_processes(limited_mock.url, DEV_TOKEN, None, requests=REQUESTS)
    assert alone.rate_limited > 0
