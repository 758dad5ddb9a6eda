"""AsyncClient: the composition root of the asyncio client.

It builds the same collaborators as :class:`~basecrm_like.Client` (a rate
limiter, a token source, a reference cache, one service per resource) over an
:class:`~basecrm_like.http.async_transport.AsyncHttpClient`, the async twin of
the transport. Needs the ``async`` extra (httpx).
"""
from __future__ import annotations

from functools import cached_property
from types import TracebackType
from typing import TYPE_CHECKING, Any

from .http.async_transport import AsyncHttpClient
from .http.common import KEEP
from .http.config import Configuration
from .http.exchange import ApiResponse
from .http.shared_ratelimit import build_limiter, derived_http_client
from .oauth import TokenManager
from .oauth.async_manager import AsyncTokenManager
from .search.async_service import AsyncSearchService
from .services import ReferenceCache, ServiceDirectory
from .services.async_base import ASYNC_SERVICE_CLASSES, AsyncService
from .sync.async_wire import AsyncSyncService

if TYPE_CHECKING:
    from typing_extensions import Self, Unpack

    from .http.config import ClientOptions


class AsyncClient:
    """Every resource of the Core API v2 and the Sync API, for asyncio::

        async with AsyncClient(access_token="...") as client:
            contact = await client.contacts.create(last_name="Lovelace")
            async for deal in client.deals.iterate(contact_id=contact.id):
                ...

    Options are those of :class:`~basecrm_like.Configuration` (``session``
    excepted: the pool is an ``httpx.AsyncClient`` of ``pool_size``
    connections). Share one client between the tasks of an event loop and
    close it with ``async with`` or :meth:`aclose`.
    """

    def __init__(self, **options: Unpack[ClientOptions]) -> None:
        config = Configuration(**options)
        config.validate()
        token_source = None if config.oauth is None else AsyncTokenManager(
            TokenManager(config.oauth, config.token_store, config.user))
        self._compose(AsyncHttpClient(
            config, limiter=build_limiter(config.rate_limit, config.rate_limit_store),
            token_source=token_source,
        ), ReferenceCache(ttl=config.cache_ttl))

    def _compose(self, http_client: AsyncHttpClient, cache: ReferenceCache) -> None:
        self.config = http_client.config
        self.http_client = http_client
        self.cache = cache
        self._services = ServiceDirectory(http_client, cache=cache,  # type: ignore[arg-type]
                                          classes=ASYNC_SERVICE_CLASSES)  # type: ignore[arg-type]
        self.__sync = AsyncSyncService(http_client)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None,
                        traceback: TracebackType | None) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool; ``with_options`` copies share it and close with it."""
        await self.http_client.aclose()

    def with_options(self, *, timeout: Any = KEEP, max_retries: Any = KEEP,
                     headers: dict[str, str] | None = None, rate_limit: Any = KEEP,
                     hooks: dict[str, Any] | None = None) -> AsyncClient:
        """A client for some calls with other settings, sharing the pool, the token (and
        its refreshes) and the cache; as :meth:`basecrm_like.Client.with_options`."""
        derived = object.__new__(AsyncClient)
        derived._compose(derived_http_client(
            self.http_client, timeout=timeout, max_retries=max_retries, headers=headers,
            rate_limit=rate_limit, hooks=hooks), self.cache)
        return derived

    def __getattr__(self, name: str) -> AsyncService:
        # one service per catalog resource, built on first use, shared afterwards
        if "_services" not in self.__dict__:
            raise AttributeError(name)
        return self._services.attribute_of(self, name)  # type: ignore[return-value]

    def __repr__(self) -> str:
        return f"<basecrm_like.AsyncClient base_url={self.config.base_url!r}>"

    @property
    def sync(self) -> AsyncSyncService:
        """Low-level Sync API calls (``await start``, ``fetch``, ``ack``)."""
        return self.__sync

    @cached_property
    def search(self) -> AsyncSearchService:
        """Search API v3, awaited: ``await client.search.deals(F(...)).page()``
        (:mod:`basecrm_like.search`)."""
        return AsyncSearchService(self.http_client)

    async def request(self, method: str, path: str, params: dict[str, Any] | None = None,
                      body: Any = None, raw: bool = False) -> Any:
        """Any endpoint, as :meth:`basecrm_like.Client.request`."""
        answer = await self.http_client.exchange(method, path, params=params, body=body,
                                                 envelope=not raw, parse=not raw)
        return answer if raw else answer.data

    async def request_with_response(self, method: str, path: str,
                                    params: dict[str, Any] | None = None,
                                    body: Any = None) -> ApiResponse:
        """:meth:`request` with the whole answer (status, headers, request id, ``meta``)."""
        return await self.http_client.exchange(method, path, params=params, body=body)
