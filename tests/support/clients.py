"""Both clients behind one blocking face, so one test asserts a behaviour once and
checks it on both.

``client_kind`` is a fixture parametrized ``["sync", "async"]``; ``make_client``
builds a :class:`basecrm_like.Client` or an :class:`basecrm_like.AsyncClient`
seen through :class:`Blocking`, which runs each coroutine the async client
returns on an event loop of its own (in a thread) and hands back the result, and
turns ``async for`` iteration into plain iteration. Everything a test reads (records,
errors, answers, the token manager) is the async client's own.
"""
from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from typing import Any, TypeVar

import pytest

import basecrm_like
from basecrm_like.async_client import AsyncClient
from basecrm_like.http.raw import RawResponses
from basecrm_like.search import AsyncSearchQuery, AsyncSearchService
from basecrm_like.services.async_base import AsyncService
from basecrm_like.sync import Sync
from basecrm_like.sync.async_driver import AsyncSync
from basecrm_like.sync.async_wire import AsyncSyncService

T = TypeVar("T")
CLIENT_KINDS = ["sync", "async"]
#: the async objects whose methods are run on the loop (the rest is handed out as it is)
_BRIDGED = (AsyncClient, AsyncService, AsyncSyncService, AsyncSync, RawResponses,
            AsyncSearchService, AsyncSearchQuery)


class EventLoopThread:
    """An event loop running in a daemon thread, for blocking callers."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


class Blocking:
    """``target`` (an async client, service, ...) with blocking methods."""

    def __init__(self, target: Any, loop: EventLoopThread) -> None:
        self._target = target
        self._loop = loop

    def __repr__(self) -> str:
        return repr(self._target)

    def __getattr__(self, name: str) -> Any:
        return self._settle(getattr(self._target, name))

    def __iter__(self) -> Iterator[Any]:
        """``async for`` over the target (a search query), as plain iteration."""
        return self._iterate(self._target.__aiter__())

    def _settle(self, value: Any) -> Any:
        if isinstance(value, _BRIDGED):
            return Blocking(value, self._loop)
        if inspect.ismethod(value) or inspect.isfunction(value):
            return self._blocking(value)
        return value

    def _blocking(self, method: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            if inspect.iscoroutinefunction(method):
                return self._settle(self._loop.run(method(*args, **kwargs)))
            result = method(*args, **kwargs)  # may need the loop: run it there
            if inspect.isawaitable(result):
                return self._settle(self._loop.run(_awaited(result)))
            if isinstance(result, AsyncIterator):
                return self._iterate(result)
            return self._settle(result)

        return call

    def _iterate(self, items: AsyncIterator[Any]) -> Iterator[Any]:
        while True:
            try:
                yield self._loop.run(_next(items))
            except StopAsyncIteration:
                return


async def _awaited(awaitable: Any) -> Any:
    return await awaitable


async def _next(items: AsyncIterator[Any]) -> Any:
    return await items.__anext__()


def unwrap(client: Any) -> Any:
    """The client behind a :class:`Blocking` face (the client itself otherwise)."""
    return client._target if isinstance(client, Blocking) else client  # noqa: SLF001


def sync_driver(client: Any, device_uuid: str) -> Any:
    """The Sync driver of ``client``: :class:`Sync`, or :class:`AsyncSync` behind blocking calls."""
    if isinstance(client, Blocking):
        return Blocking(AsyncSync(unwrap(client), device_uuid), client._loop)  # noqa: SLF001
    return Sync(client, device_uuid)


@pytest.fixture(params=CLIENT_KINDS)
def client_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def make_client(client_kind: str) -> Iterator[Callable[..., Any]]:
    """``make_client(**options)``: a Client, or an AsyncClient behind blocking calls
    (closed, with its event loop, after the test)."""
    if client_kind == "sync":
        yield basecrm_like.Client
        return
    loop = EventLoopThread()
    made: list[AsyncClient] = []

    def build(**options: Any) -> Blocking:
        # the pool is made on the loop, which the client's tasks will run on
        async def construct() -> AsyncClient:
            return AsyncClient(**options)

        client = loop.run(construct())
        made.append(client)
        return Blocking(client, loop)

    yield build
    for client in made:
        loop.run(client.aclose())
    loop.close()
