"""What only the async client has: many tasks on one pool, closing it, retrieve_many,
one OAuth2 refresh for many tasks, and a rate limit that never blocks the event loop.

Everything the two clients share (services, pagination, errors, retries, redaction,
OAuth2, hooks) is checked on both by the tests that use ``tests.support.clients``.
"""
from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

import basecrm_like
from basecrm_like import AsyncClient
from basecrm_like.oauth import MemoryTokenStore, OAuth2
from tests.support.fast_http import FastServer, fast_server

mock = pytest.importorskip("basecrm_like.mock")
from basecrm_like.mock.backend.oauth import DEV_PASSWORD  # noqa: E402
from basecrm_like.mock.backend.oauth_clients import DEV_OAUTH_CLIENT  # noqa: E402

TOKEN = "a" * 64
NO_LEAKS = [pytest.mark.filterwarnings("error::ResourceWarning"),
            pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")]


@pytest.fixture
def server() -> Iterator[FastServer]:
    with fast_server() as running:
        yield running


@pytest.fixture
def slow_server() -> Iterator[FastServer]:
    with fast_server(delay=0.005) as running:
        yield running


def wait_for(condition: Any, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


@NO_LEAKS[0]
@NO_LEAKS[1]
def test_a_thousand_tasks_share_the_pool_and_leak_nothing(server: FastServer) -> None:
    pool_size = 10

    async def main() -> Any:
        async with AsyncClient(access_token=TOKEN, base_url=server.url, pool_size=pool_size,
                               max_retries=0) as client:
            records = await asyncio.gather(*(client.contacts.retrieve(n) for n in range(1000)))
            assert [r.id for r in records] == list(range(1000))
            pool = client.http_client.pool
        # closed: every task done, no connection left in the pool
        assert asyncio.all_tasks() == {asyncio.current_task()}
        assert pool.is_closed
        return pool

    pool = asyncio.run(main())
    gc.collect()  # an unclosed socket or transport would warn here, and the warning fails the test
    assert server.requests == 1000
    assert server.most_open <= pool_size
    assert len(server.peers) <= 100  # kept alive and reused, not one per request
    assert wait_for(lambda: server.open == 0)  # the client closed every socket it opened
    assert pool.is_closed


@NO_LEAKS[0]
@NO_LEAKS[1]
def test_retrieve_many_keeps_order_and_concurrency_and_cancels_on_error(
        slow_server: FastServer) -> None:
    async def main() -> None:
        client = AsyncClient(access_token=TOKEN, base_url=slow_server.url, max_retries=0)
        try:
            records = await client.contacts.retrieve_many(range(30, 0, -1), concurrency=3)
            assert [r.id for r in records] == list(range(30, 0, -1))
            assert 1 <= slow_server.most_in_flight <= 3
            with pytest.raises(basecrm_like.RequestError) as info:
                await client.contacts.retrieve_many([1, 2, 10**6, *range(3, 40)], concurrency=2)
            assert info.value.http_status == 404
            assert asyncio.all_tasks() == {asyncio.current_task()}  # the others were cancelled
            assert slow_server.requests < 30 + 40
        finally:
            await client.aclose()

    asyncio.run(main())
    gc.collect()


def test_rate_limit_waits_without_blocking_the_event_loop(server: FastServer) -> None:
    async def main() -> None:
        async with AsyncClient(access_token=TOKEN, base_url=server.url, rate_limit=50,
                               max_retries=0) as client:
            limiter = client.http_client.limiter
            assert limiter is not None

            def blocking_sleep(seconds: float) -> None:
                raise AssertionError(f"the event loop was blocked for {seconds} s")

            limiter._sleep = blocking_sleep  # type: ignore[attr-defined]  # noqa: SLF001
            records = await client.contacts.retrieve_many(range(10), concurrency=10)
            assert len(records) == 10
            assert limiter.acquired == 10  # type: ignore[attr-defined]  # every request booked a permit
            # the same limiter logic decided the pace: the last permit was booked ~9/50 s ahead
            assert limiter._next > time.monotonic() - 1  # type: ignore[attr-defined]  # noqa: SLF001

    asyncio.run(main())


def test_many_tasks_cause_one_refresh_after_the_token_expires_on_the_server() -> None:
    with mock.serve() as srv:
        client_id, client_secret = DEV_OAUTH_CLIENT
        oauth = OAuth2(client_id, client_secret, "http://127.0.0.1:5000/callback",
                       base_url=srv.url)
        store = MemoryTokenStore({"alice": oauth.password("admin@mock.example", DEV_PASSWORD)})

        async def main() -> None:
            async with AsyncClient(oauth=oauth, token_store=store, user="alice",
                                   base_url=srv.url, max_retries=0, pool_size=20) as client:
                manager = client.http_client.token_source
                first = manager.token.access_token
                assert (await client.users.self()).id == 1
                srv.app.tokens.add(first, user_id=1, expires_at=time.time() - 1)
                answers = await asyncio.gather(*(client.users.self() for _ in range(50)))
                assert {a.id for a in answers} == {1}
                assert manager.refresh_count == 1
                assert store.load("alice").access_token == manager.token.access_token != first

        asyncio.run(main())


def test_two_clients_on_a_shared_store_stay_under_the_servers_limit(tmp_path: Any) -> None:
    """A store shared with other processes only blocks; the async client waits for it in a
    worker thread, so the event loop keeps running and the server sees no 429."""
    store = f"sqlite:///{tmp_path}/budget.db"
    with mock.serve(rate_limit=20) as srv:
        async def main() -> tuple[int, float]:
            ticks = 0

            async def ticker() -> None:
                nonlocal ticks
                while True:
                    ticks += 1
                    await asyncio.sleep(0.01)

            clients = [AsyncClient(access_token=mock.DEV_TOKEN, base_url=srv.url,
                                   rate_limit=20, rate_limit_store=store, max_retries=0)
                       for _ in range(2)]
            beat = asyncio.create_task(ticker())
            started = time.monotonic()
            try:
                await asyncio.gather(*(client.users.self() for client in clients
                                       for _ in range(25)))
            finally:
                seconds = time.monotonic() - started
                beat.cancel()
                for client in clients:
                    await client.aclose()
            return ticks, seconds

        ticks, seconds = asyncio.run(main())
        log = requests.get(f"{srv.url}/_mock/requests", timeout=30).json()["items"]
    answered = [e for e in log if e["path"] == "/v2/users/self"]
    assert len(answered) == 50 and [e for e in answered if e["status"] == 429] == []
    assert seconds > 1.5  # 50 requests at 20 per second, after the first burst
    assert ticks > seconds * 20  # the loop ran on while the clients waited for the store
