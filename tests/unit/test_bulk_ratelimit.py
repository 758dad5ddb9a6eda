"""The client-side token bucket and how it hooks into the HTTP layer."""
from __future__ import annotations

import threading
import time

import pytest
import responses

import basecrm_like
from basecrm_like.ratelimit import TokenBucket, limiter_for


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept = 0.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept += seconds
        self.now += seconds


def bucket(rate: float | None, burst: int = 1) -> tuple[TokenBucket, FakeTime]:
    t = FakeTime()
    return TokenBucket(rate, burst=burst, clock=t.clock, sleep=t.sleep), t


def test_permits_are_spaced_at_the_rate() -> None:
    b, t = bucket(10)
    for _ in range(21):
        b.acquire()
    assert t.now - 100.0 == pytest.approx(2.0)
    assert b.acquired == 21


def test_idle_time_does_not_buy_a_burst_beyond_the_configured_one() -> None:
    b, t = bucket(10, burst=3)
    t.now += 60
    for _ in range(3):
        assert b.acquire() == 0.0
    assert b.acquire() == pytest.approx(0.1)


def test_zero_means_unlimited() -> None:
    b, t = bucket(0)
    for _ in range(1000):
        b.acquire()
    assert t.slept == 0.0


def test_a_429_pauses_everyone_and_lowers_the_rate_then_it_recovers() -> None:
    b, t = bucket(10)
    b.acquire()
    b.observe(429, {"Retry-After": "2"})
    assert b.rate_limited == 1 and b.current == pytest.approx(7.0)
    assert b.acquire() == pytest.approx(2.0, abs=0.11)
    for _ in range(200):
        b.observe(200, {})
    assert b.current == pytest.approx(10.0)


def test_a_429_pauses_even_an_unlimited_bucket() -> None:
    b, t = bucket(0)
    b.observe(429, {})
    assert b.acquire() == pytest.approx(1.0)


def test_rate_must_be_a_non_negative_number() -> None:
    with pytest.raises(ValueError):
        TokenBucket(-1)


def test_threads_share_one_budget() -> None:
    b = TokenBucket(200)
    started = time.monotonic()
    threads = [threading.Thread(target=lambda: [b.acquire() for _ in range(10)]) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert time.monotonic() - started >= 79 / 200 * 0.95


def test_one_bucket_per_client_installed_on_its_http_layer(client: basecrm_like.Client) -> None:
    first = limiter_for(client.http_client, 5)
    assert limiter_for(client.http_client) is first and first.rate == 5
    assert limiter_for(client.http_client, 20) is first and first.rate == 20
    assert client.http_client.throttle == first.acquire
    assert client.http_client.observers.count(first.observe) == 1
    assert client.bulk.limiter is first


def test_an_existing_throttle_is_kept(client: basecrm_like.Client) -> None:
    calls: list[int] = []
    client.http_client.throttle = lambda: calls.append(1)
    b = limiter_for(client.http_client, 0)
    client.http_client.throttle()
    assert calls == [1] and b.acquired == 1


@responses.activate
def test_every_request_of_the_client_goes_through_the_bucket(client: basecrm_like.Client) -> None:
    responses.get("https://api.example.test/v2/contacts", json={"items": [], "meta": {}})
    responses.get("https://api.example.test/v2/deals", status=429, json={"errors": []},
                  headers={"Retry-After": "0"})
    b = limiter_for(client.http_client, 0)
    client.contacts.list()
    with pytest.raises(basecrm_like.RateLimitError):
        client.deals.list()
    assert b.acquired == 2 and b.rate_limited == 1
