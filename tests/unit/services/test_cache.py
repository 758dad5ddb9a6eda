"""The reference-data cache: TTL with an injected clock, invalidation, thread safety."""
from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from basecrm_like import Client, ConfigurationError
from basecrm_like.services.cache import DEFAULT_TTL, ReferenceCache

TOKEN = "c" * 64


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Loader:
    def __init__(self, value: Any = "v") -> None:
        self.value = value
        self.calls = 0

    def __call__(self) -> Any:
        self.calls += 1
        return self.value


def test_read_through_until_ttl_expires() -> None:
    clock = Clock()
    cache = ReferenceCache(ttl=60, clock=clock)
    load = Loader({"id": 1, "name": "Won"})
    assert cache.get_or_load("stages", 1, load) == {"id": 1, "name": "Won"}
    clock.now += 59.9
    assert cache.get_or_load("stages", 1, load) == {"id": 1, "name": "Won"}
    assert load.calls == 1
    assert (cache.hits, cache.misses) == (1, 1)
    clock.now += 0.1
    cache.get_or_load("stages", 1, load)
    assert load.calls == 2


def test_keys_and_resources_are_separate() -> None:
    cache = ReferenceCache(clock=Clock())
    a, b, c = Loader("a"), Loader("b"), Loader("c")
    assert cache.get_or_load("stages", 1, a) == "a"
    assert cache.get_or_load("stages", 2, b) == "b"
    assert cache.get_or_load("users", 1, c) == "c"
    assert len(cache) == 3
    assert cache.get("stages", 1) == "a"
    assert cache.get("stages", 3, default="none") == "none"


def test_invalidate_drops_one_resource_only() -> None:
    cache = ReferenceCache(clock=Clock())
    stages, users = Loader(), Loader()
    cache.get_or_load("stages", 1, stages)
    cache.get_or_load("users", 1, users)
    cache.invalidate("stages")
    cache.get_or_load("stages", 1, stages)
    cache.get_or_load("users", 1, users)
    assert (stages.calls, users.calls) == (2, 1)


def test_clear_drops_everything() -> None:
    cache = ReferenceCache(clock=Clock())
    load = Loader()
    cache.get_or_load("stages", 1, load)
    cache.put("users", 7, "ann")
    cache.clear()
    assert len(cache) == 0
    cache.get_or_load("stages", 1, load)
    assert load.calls == 2


def test_values_are_copied_in_and_out() -> None:
    cache = ReferenceCache(clock=Clock())
    original = {"id": 1, "tags": ["a"]}
    got = cache.get_or_load("stages", 1, Loader(original))
    got["tags"].append("changed")
    original["tags"].append("also changed")
    assert cache.get("stages", 1) == {"id": 1, "tags": ["a"]}


def test_errors_are_not_cached() -> None:
    cache = ReferenceCache(clock=Clock())
    calls = []

    def failing() -> Any:
        calls.append(1)
        raise RuntimeError("boom")

    for _ in range(2):
        with pytest.raises(RuntimeError):
            cache.get_or_load("stages", 1, failing)
    assert len(calls) == 2 and len(cache) == 0


def test_disabled_or_zero_ttl_always_loads() -> None:
    for cache in (ReferenceCache(ttl=0), ReferenceCache(enabled=False)):
        load = Loader()
        cache.get_or_load("stages", 1, load)
        cache.get_or_load("stages", 1, load)
        cache.put("stages", 2, "x")
        assert load.calls == 2 and len(cache) == 0 and not cache.active


def test_ttl_validation() -> None:
    assert ReferenceCache().ttl == DEFAULT_TTL
    for bad in (-1, "60", True, None):
        with pytest.raises(ConfigurationError, match="cache_ttl"):
            ReferenceCache(ttl=bad)  # type: ignore[arg-type]
    cache = ReferenceCache()
    cache.ttl = 5
    assert cache.ttl == 5.0
    assert "ttl=5s" in repr(cache)


def test_client_option_and_shared_instance() -> None:
    client = Client(access_token=TOKEN, base_url="https://api.example.test", cache_ttl=42)
    assert client.cache.ttl == 42
    assert client.stages.cache is client.cache and client.deals.cache is client.cache
    assert Client(access_token=TOKEN).cache.ttl == DEFAULT_TTL
    with pytest.raises(ConfigurationError, match="cache_ttl"):
        Client(access_token=TOKEN, cache_ttl=-5)


def test_load_racing_an_invalidation_is_not_stored() -> None:
    cache = ReferenceCache(clock=Clock())

    def load_then_someone_writes() -> str:
        cache.invalidate("stages")  # a write lands while the answer is on its way
        return "stale"

    assert cache.get_or_load("stages", 1, load_then_someone_writes) == "stale"
    assert cache.get("stages", 1) is None


def test_load_racing_a_clear_is_not_stored() -> None:
    cache = ReferenceCache(clock=Clock())

    def load_then_clear() -> str:
        cache.clear()
        return "stale"

    cache.get_or_load("pipelines", 1, load_then_clear)
    assert len(cache) == 0


def test_concurrent_misses_on_one_key_load_once() -> None:
    cache = ReferenceCache()
    calls = []
    barrier = threading.Barrier(8)

    def slow() -> str:
        calls.append(1)
        time.sleep(0.05)
        return "value"

    results: list[str] = []

    def worker() -> None:
        barrier.wait()
        results.append(cache.get_or_load("users", 1, slow))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == ["value"] * 8
    assert len(calls) == 1


def test_many_threads_many_keys() -> None:
    cache = ReferenceCache()
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            for i in range(200):
                key = (n + i) % 17
                assert cache.get_or_load("users", key, lambda k=key: {"id": k}) == {"id": key}
                if i % 50 == 0:
                    cache.invalidate("users")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
