"""``AsyncClient.search``: the plans of :mod:`.service`, awaited over the async HTTP core.

Queries, wire format, decoding, custom-field names, cursors and batch results are
those of the blocking service; only the driving differs::

    page = await client.search.deals(F("decimal_value") >= 1000).page()
    async for deal in client.search.deals(F("hot") == True).iterate():
        ...
"""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from munch import Munch

from ..http.plans import Call, Plan, arun_plan
from .query import Wire
from .service import BatchResult, QueryCore, SearchCore, SearchPage, following

if TYPE_CHECKING:
    from ..http.async_transport import AsyncHttpClient

T = TypeVar("T")


@dataclass(frozen=True)
class AsyncSearchQuery(QueryCore):
    """:class:`~basecrm_like.search.SearchQuery` for the async client: the same options,
    its actions awaited (``await query.page()``, ``async for record in query.iterate()``)."""

    service: AsyncSearchService = field(repr=False)

    async def to_wire(self, cursor: str | None = None) -> Wire:
        """The query as the ``data`` of one batch item."""
        return await self.service._run(self._wire_plan(cursor))

    async def page(self, cursor: str | None = None) -> SearchPage:
        """One page: the first, or the one ``cursor`` (a ``next_cursor``) points at."""
        return await self.service._run(self._page_plan(cursor))

    async def iterate(self) -> AsyncIterator[Munch]:
        """Every matching record, following cursors lazily: ``async for record in ...``."""
        query, cursor = self._walking(), None
        while True:
            page = await query.page(cursor)
            for record in page.items:
                yield record
            if (step := following(query, page)) is None:
                return
            query, cursor = step

    def aiterate(self) -> AsyncIterator[Munch]:
        """The same as :meth:`iterate`."""
        return self.iterate()

    def __aiter__(self) -> AsyncIterator[Munch]:
        return self.iterate()

    async def count(self) -> int:
        """How many records match (no records are sent)."""
        return await self.service._run(self._count_plan())

    async def aggregate(self, *attributes: str, **kinds: str | Sequence[str]) -> Munch:
        """Statistics of the matching records, without the records; as
        :meth:`basecrm_like.search.SearchQuery.aggregate`."""
        return await self.service._run(self._aggregate_plan(attributes, kinds))


@dataclass(frozen=True)
class _Wait(Call):
    """A step of a plan that awaits another task's request instead of sending one."""

    done: asyncio.Future[None] | None = None

    def on(self, http_client: Any) -> Awaitable[None]:
        assert self.done is not None
        return asyncio.shield(self.done)


class AsyncSearchService(SearchCore[AsyncSearchQuery]):
    """``await client.search.deals(F("decimal_value") >= 1000).page()`` on the async client."""

    query_class = AsyncSearchQuery

    def __init__(self, http_client: AsyncHttpClient) -> None:
        super().__init__(http_client)
        #: resource -> done when the task reading its custom fields has them
        self._reading: dict[str, asyncio.Future[None]] = {}

    if TYPE_CHECKING:
        @property
        def http_client(self) -> AsyncHttpClient: ...

    async def _run(self, plan: Plan[T]) -> T:
        return await arun_plan(plan, self._http)

    def _custom_fields_plan(self, resource: str) -> Plan[dict[str, str]]:
        # tasks asking at once read the mapping once: the others await the first
        while resource in self._reading:
            yield _Wait("wait", resource, done=self._reading[resource])
        if resource in self._custom:
            return (yield from super()._custom_fields_plan(resource))
        done = self._reading[resource] = asyncio.get_running_loop().create_future()
        try:
            return (yield from super()._custom_fields_plan(resource))
        finally:
            del self._reading[resource]
            done.set_result(None)

    async def custom_fields(self, resource: str) -> dict[str, str]:
        """Custom field name -> search id (``custom_fields.<id>``), read once and cached."""
        return await self._run(self._custom_fields_plan(resource))

    async def resolver(self, resource: str, names: Iterable[str] = ()) -> Any:
        """A function from the names a caller writes to the Search API's names."""
        return await self._run(self._resolver_plan(resource, names))

    async def batch(self, queries: Iterable[AsyncSearchQuery]) -> list[BatchResult]:
        """Run several queries in one request per resource; a result per query, in order
        (a refused query answers ``BatchResult(error=...)``, the others still run)."""
        return await self.send([(query, None) for query in queries])

    async def send(self, requests: Sequence[tuple[AsyncSearchQuery, str | None]]
                   ) -> list[BatchResult]:
        return await self._run(self._send_plan(requests))
