"""AsyncHttpClient: the async sender, over a pooled ``httpx.AsyncClient``.

Only the sending lives here. What a request looks like, what an answer means
(:mod:`.outcome`), which attempts are repeated and how long to wait first (the
same urllib3 :class:`~urllib3.util.retry.Retry` the requests transport mounts,
:mod:`.retry`), redaction and the request log are the code the requests
transport uses too.
"""
from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import ssl
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

import httpx
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError, ReadTimeoutError

from .answers import lost_answer_error
from .common import KEEP, HttpBase
from .config import Configuration
from .deadlines import deadline_error
from .derived import derived_config
from .exchange import ApiResponse, PreparedRequest, prepare_request
from .hooks import Hook, Hooks, RequestWatch
from .logging import log_request, log_response, request_logging
from .option_checks import check_token_characters
from .outcome import (
    rejected_token,
    renewal_due,
    settle,
    timeout_error,
    unreachable_error,
)
from .retry import ApiRetry, AttemptAnswer, Limiter, build_retry, retry_pause
from .tracing import Tracer


class AsyncTokenSource(Protocol):
    """What the async HTTP layer needs from a token provider (OAuth2's AsyncTokenManager)."""

    async def access_token(self) -> str: ...

    async def renew(self, rejected: str) -> bool: ...

    def secrets(self) -> list[str]: ...


async def pause(seconds: float) -> None:
    """Wait between attempts (tests replace it to record the waits)."""
    await asyncio.sleep(seconds)


#: connections per ``httpx.AsyncClient`` of a pool: httpcore looks over every connection
#: of its pool for each request it places, so one pool of 50 costs far more per request
#: than seven of 8
SHARD = 8


class ConnectionPool:
    """``pool_size`` connections, held by ``httpx.AsyncClient`` shards of at most
    :data:`SHARD` each. A task takes a free connection's place with :meth:`take` before
    sending: tasks queue here, where waiting is cheap and does not count against
    an attempt's time, and never more requests than connections reach httpx."""

    def __init__(self, config: Configuration) -> None:
        sizes = [SHARD] * (config.pool_size // SHARD) + [config.pool_size % SHARD]
        sizes = [size for size in sizes if size]
        tls = _tls_context(config.verify_ssl)  # one for every shard
        self.clients = [_http_client(config, size, tls) for size in sizes]
        self._free: asyncio.LifoQueue[httpx.AsyncClient] = asyncio.LifoQueue()
        for client, size in zip(self.clients, sizes, strict=True):
            for _ in range(size):  # last in, first out: warm connections are used again
                self._free.put_nowait(client)

    async def take(self) -> httpx.AsyncClient:
        """The shard of a free connection, waiting for one; :meth:`give` it back after."""
        return await self._free.get()

    def give(self, client: httpx.AsyncClient) -> None:
        self._free.put_nowait(client)

    @property
    def is_closed(self) -> bool:
        return all(client.is_closed for client in self.clients)

    async def aclose(self) -> None:
        for client in self.clients:
            await client.aclose()


def _tls_context(verify: bool | str) -> ssl.SSLContext:
    """``verify_ssl`` as an SSL context: a CA bundle file or directory, on or off."""
    if isinstance(verify, str):
        if os.path.isdir(verify):
            return ssl.create_default_context(capath=verify)
        return ssl.create_default_context(cafile=verify)
    return httpx.create_ssl_context(verify=verify)


def _http_client(config: Configuration, connections: int,
                 tls: ssl.SSLContext) -> httpx.AsyncClient:
    """One shard: its timeouts and TLS verification, redirects never followed."""
    timeout = config.timeout
    connect, read = timeout if isinstance(timeout, tuple) else (timeout, timeout)
    # no pool timeout: requests wait for a connection in ConnectionPool.take
    return httpx.AsyncClient(
        timeout=httpx.Timeout(read, connect=connect, pool=None),
        limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
        verify=tls, follow_redirects=False, trust_env=False)


class AsyncHttpClient(HttpBase):
    """The async twin of :class:`~basecrm_like.http.transport.HttpClient`: the same
    methods, each a coroutine, returning ``(status, headers, body)``.

    A :class:`ConnectionPool` holds the connections; :meth:`aclose` closes it.
    """

    def __init__(self, config: Configuration, *, limiter: Limiter | None = None,
                 token_source: AsyncTokenSource | None = None,
                 pool: ConnectionPool | None = None, hooks: Hooks | None = None,
                 tracer: Tracer | None | Any = KEEP) -> None:
        """``pool`` is shared by ``with_options`` copies."""
        super().__init__(config, limiter, token_source, hooks, tracer)
        self.pool = pool if pool is not None else ConnectionPool(config)
        timeout = config.timeout
        self._budget = float(timeout[1] if isinstance(timeout, tuple) else timeout)
        self.retry: ApiRetry = build_retry(config.max_retries, config.backoff_factor,
                                           config.retry_statuses)

    async def aclose(self) -> None:
        """Close the connection pool (shared with every ``with_options`` copy)."""
        await self.pool.aclose()

    def with_options(self, *, timeout: Any = KEEP, max_retries: Any = KEEP,
                     headers: Mapping[str, str] | None = None, limiter: Any = KEEP,
                     hooks: Mapping[str, list[Hook]] | None = None) -> AsyncHttpClient:
        """A new client over the same pool and token source with these settings."""
        config = derived_config(self.config, timeout=timeout, max_retries=max_retries,
                                headers=headers)
        return AsyncHttpClient(config, limiter=self._limiter if limiter is KEEP else limiter,
                               token_source=self._token_source, pool=self.pool,
                               hooks=self.hooks.merged(hooks), tracer=self.tracer)

    def with_limiter(self, limiter: Limiter | None) -> AsyncHttpClient:
        return self.with_options(limiter=limiter)

    # -- the official surface, awaited ------------------------------------------
    async def get(self, url: str, params: Mapping[str, Any] | None = None,
                  **kwargs: Any) -> tuple[int, Any, Any]:
        return await self.request("GET", url, params=params, **kwargs)

    async def post(self, url: str, body: Any = None, **kwargs: Any) -> tuple[int, Any, Any]:
        return await self.request("POST", url, body=body, **kwargs)

    async def put(self, url: str, body: Any = None, **kwargs: Any) -> tuple[int, Any, Any]:
        return await self.request("PUT", url, body=body, **kwargs)

    async def delete(self, url: str, params: Mapping[str, Any] | None = None,
                     **kwargs: Any) -> tuple[int, Any, Any]:
        return await self.request("DELETE", url, params=params, **kwargs)

    async def request(self, method: str, url: str, params: Mapping[str, Any] | None = None,
                      body: Any = None, headers: Mapping[str, str] | None = None,
                      raw: bool = False) -> tuple[int, Any, Any]:
        """Send one request; raise a typed error for any non-2xx answer."""
        answer = await self.exchange(method, url, params=params, body=body, headers=headers,
                                     envelope=not raw)
        return answer.status, answer.headers, answer.data

    async def exchange(self, method: str, url: str, *, params: Mapping[str, Any] | None = None,
                       body: Any = None, headers: Mapping[str, str] | None = None,
                       envelope: bool = True, parse: bool = True) -> ApiResponse:
        """Send one request and return the whole answer; a typed error for any non-2xx one."""
        prepared = prepare_request(
            self.build_url(url), method, authorization=await self.authorization(),
            user_agent=self.config.user_agent, params=params, body=body, envelope=envelope,
            headers=headers, default_headers=self.config.headers)
        resp, attempts = await self.send_observed(prepared)
        if renewal_due(resp.status_code, self._token_source, headers) \
                and await self._token_source.renew(rejected_token(prepared)):
            authorization = await self.authorization()
            prepared = dataclasses.replace(
                prepared, headers={**prepared.headers, "Authorization": authorization})
            resp, more = await self.send_observed(prepared, attempts)
            attempts += more
        return settle(resp, prepared, attempts, envelope=envelope, parse=parse,
                      redact=self.redact)

    async def authorization(self) -> str:
        if self._token_source is None:
            return f"Bearer {self.config.access_token}"
        token = await self._token_source.access_token()
        check_token_characters("the OAuth2 access token", token)
        return f"Bearer {token}"

    async def send_observed(self, prepared: PreparedRequest,
                            earlier_attempts: int = 0) -> tuple[httpx.Response, int]:
        """:meth:`send` told to the hooks and traced; the answer and the attempts it took."""
        tracer = self.tracer if self.tracer is not None and self.tracer.active else None
        if not self.hooks and tracer is None:
            return await self.send(prepared)
        watch = RequestWatch(self.hooks, prepared.method, prepared.public_url, earlier_attempts)
        with tracer.request(prepared.method, prepared.public_url) if tracer is not None \
                else contextlib.nullcontext() as span:
            resp, attempts = await self.send(prepared, watch.retrying)
            if span is not None:
                span.answered(resp.status_code, earlier_attempts + attempts)
        watch.answered(resp.status_code, resp.headers, earlier_attempts + attempts)
        return resp, attempts

    async def send(self, prepared: PreparedRequest,
                   on_retry: Any = None) -> tuple[httpx.Response, int]:
        """One logical request: every attempt the retry policy allows; the last answer and
        how many attempts it took. Failures to connect or to hear an answer are typed."""
        method, url = prepared.method, prepared.url
        retry: Any = self.retry
        attempts = 0
        while True:
            attempts += 1
            await self._wait_turn()
            try:
                resp = await self._attempt(prepared)
            except MaxRetryError as exc:  # a failure urllib3 classified, out of retries
                raise self._failure(method, url, exc.reason) from None
            except (NewConnectionError, ProtocolError, ReadTimeoutError) as exc:
                try:
                    retry = retry.increment(method, url, error=exc)
                except (MaxRetryError, type(exc)) as final:
                    raise self._failure(method, url, getattr(final, "reason", None) or exc) \
                        from None
                answer = None
            else:
                if self._limiter is not None:
                    self._limiter.observe(resp.status_code, resp.headers)
                if not retry.is_retry(method, resp.status_code,
                                      bool(resp.headers.get("Retry-After"))):
                    return resp, attempts
                answer = AttemptAnswer(resp.status_code, resp.headers)
                try:
                    retry = retry.increment(method, url, response=answer)
                except MaxRetryError:
                    return resp, attempts
            if on_retry is not None:
                on_retry(None if answer is None else answer.status)
            await pause(retry_pause(retry, answer))

    async def _attempt(self, prepared: PreparedRequest) -> httpx.Response:
        """One attempt; httpx's failures as the urllib3 errors the retry policy reads."""
        verbose = request_logging()
        started = time.perf_counter()
        if verbose:
            log_request(prepared.method, prepared.url, prepared.query, prepared.data,
                        prepared.headers, self.redact)
        try:
            # a free connection first, then the whole attempt in its budget, as the
            # requests transport's deadline guard does
            client = await self.pool.take()
            try:
                async with _within(self._budget):
                    resp = await client.send(client.build_request(
                        prepared.method, prepared.url, params=list(prepared.query) or None,
                        content=prepared.data, headers=prepared.headers), stream=True)
                    await _read_whole(resp, prepared)
            finally:
                self.pool.give(client)
        except asyncio.TimeoutError:
            raise _CutOff(None, prepared.url, "no whole answer in time") from None  # type: ignore[arg-type]
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise NewConnectionError(None, _describe(exc)) from None  # type: ignore[arg-type]
        except httpx.ReadTimeout as exc:
            raise ReadTimeoutError(None, prepared.url, _describe(exc)) from None  # type: ignore[arg-type]
        except (httpx.TimeoutException, httpx.TransportError) as exc:
            raise ProtocolError(_describe(exc)) from None
        if verbose:
            log_response(prepared.method, httpx.URL(prepared.url).path, resp,
                         time.perf_counter() - started, self.redact)
        return resp

    async def _wait_turn(self) -> None:
        """The rate limiter's permit, awaited: the event loop keeps running meanwhile."""
        limiter = self._limiter
        if limiter is None:
            return
        reserve = getattr(limiter, "reserve", None)
        if reserve is None:  # a limiter that can only block: let it block a worker thread
            await asyncio.to_thread(limiter.acquire)
            return
        wait = reserve()
        if wait > 0:
            await asyncio.sleep(wait)

    def _failure(self, method: str, url: str, cause: BaseException | None) -> Exception:
        if isinstance(cause, _CutOff):
            return deadline_error(method, httpx.URL(url).path, self.config.timeout)
        if isinstance(cause, (ReadTimeoutError, httpx.TimeoutException)) or (
                isinstance(cause, NewConnectionError) and "Timeout" in str(cause)):
            return timeout_error(method, url, self.config.timeout)
        return unreachable_error(method, url, self.config.base_url, str(cause), self.redact)


class _CutOff(ReadTimeoutError):
    """An attempt that ran past its budget: a read timeout to the retry policy."""


async def _read_whole(resp: httpx.Response, prepared: PreparedRequest) -> None:
    """The body of an answer whose head arrived; cut short, it is the typed
    ConnectionError saying the server may have applied the request (never retried)."""
    try:
        await resp.aread()
    except httpx.TransportError as exc:
        await resp.aclose()
        raise lost_answer_error(prepared.method, httpx.URL(prepared.url).path, exc) from None
    except BaseException:  # cancelled or out of time: give the connection back closed
        await resp.aclose()
        raise


@contextlib.asynccontextmanager
async def _cancel_after(seconds: float) -> AsyncIterator[None]:
    """``asyncio.timeout`` for Python 3.10: cancel the task, raise TimeoutError."""
    task = asyncio.current_task()
    assert task is not None
    handle = asyncio.get_running_loop().call_later(seconds, task.cancel)
    try:
        yield
    except asyncio.CancelledError:
        raise asyncio.TimeoutError from None
    finally:
        handle.cancel()


#: the attempt's time limit, without a task of its own (``wait_for`` makes one)
_within: Callable[[float], AbstractAsyncContextManager[Any]] = getattr(
    asyncio, "timeout", _cancel_after)


def _describe(exc: BaseException) -> str:
    return type(exc).__name__ + (f": {exc}" if str(exc) else "")


