"""AsyncService: the same actions as :class:`~basecrm_like.services.Service`, awaited.

Nothing about a resource is decided here. Every action is the plan of
:class:`~basecrm_like.services.base.ServiceCore` (the same request, the same
attribute checks, decimals and invalidation), awaited over the async HTTP
client; iteration is the same page walk (:mod:`.pagination`) with ``async for``.
"""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypeVar

from munch import Munch

from ..http.errors import BadValueError
from ..http.plans import Plan, arun_plan
from .base import Records, ServiceCore
from .named import SERVICE_CLASSES
from .pagination import aiterate_pages

if TYPE_CHECKING:
    from ..http.async_transport import AsyncHttpClient

T = TypeVar("T")

#: requests ``retrieve_many`` keeps in flight unless told otherwise
DEFAULT_CONCURRENCY = 10


class AsyncService(ServiceCore):
    """A resource's actions over the shared :class:`~basecrm_like.http.async_transport.AsyncHttpClient`.

    Use the instances on :class:`~basecrm_like.AsyncClient` (``client.contacts``).
    Record objects (``get``, ``new``) load lazily on attribute access, which
    cannot be awaited: they belong to the blocking :class:`~basecrm_like.Client`.
    """

    awaits = True

    if TYPE_CHECKING:
        @property
        def http_client(self) -> AsyncHttpClient: ...

    # -- actions (top-level signatures; nested classes get parent ids first) ----------
    async def list(self, **params: Any) -> Records:
        """One page of the collection; ``page``, ``per_page`` (max 100), ``sort_by`` and filters."""
        return await self._list((), params)

    def iterate(self, **params: Any) -> AsyncIterator[Munch]:
        """Every matching record, fetched lazily 100 per request: ``async for record in ...``."""
        return self._iterate((), params)

    async def list_all(self, **params: Any) -> Records:
        """Every matching record in one list (holds them all in memory)."""
        return await self._list_all((), params)

    async def create(self, *args: Any, **kwargs: Any) -> Munch:
        """Create a record from a dict or keyword arguments."""
        return await self._create((), args, kwargs)

    async def retrieve(self, id: Any, includes: Any = None) -> Munch:
        """One record by id; :class:`~basecrm_like.RequestError` (404) when missing.

        ``includes`` (a name or a list of names, e.g. ``"organization"`` on contacts)
        asks the API to embed related records; each becomes one more attribute.
        """
        return await self._retrieve((), id, includes)

    async def update(self, id: Any, *args: Any, **kwargs: Any) -> Munch:
        """Change the given attributes only (PUT is partial)."""
        return await self._update((), id, args, kwargs)

    async def destroy(self, id: Any) -> bool:
        """Delete a record; True when the API confirmed it (204)."""
        return await self._destroy((), id)

    async def upsert(self, filters: Mapping[str, Any], *args: Any, **kwargs: Any) -> Munch:
        """Update the one record matching ``filters``, or create it from the attributes."""
        return await self._run(self._upsert_plan(filters, args, kwargs))

    async def self(self) -> Munch:
        """The record of the token's owner (``/users/self``, ``/accounts/self``)."""
        return await self._run(self._self_plan())

    async def retrieve_many(self, ids: Iterable[Any], *,
                            concurrency: int = DEFAULT_CONCURRENCY) -> Records:
        """The records ``ids``, in their order, at most ``concurrency`` requests in flight.

        Every request goes through the client's rate limit and connection pool
        like any other; the first error cancels the requests still running and
        is raised.
        """
        if concurrency < 1:
            raise BadValueError(f"retrieve_many: concurrency must be at least 1, got {concurrency}")
        gate = asyncio.Semaphore(concurrency)

        async def one(id: Any) -> Munch:
            async with gate:
                return await self.retrieve(id)

        tasks = [asyncio.ensure_future(one(id)) for id in ids]
        try:
            return list(await asyncio.gather(*tasks))
        except BaseException:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise

    # -- the plans, awaited over the async client ------------------------------------
    async def _run(self, plan: Plan[T]) -> T:
        return await arun_plan(plan, self.http_client)

    async def _list(self, parents: tuple[Any, ...], params: Mapping[str, Any]) -> Records:
        return await self._run(self._list_plan(parents, params))

    def _iterate(self, parents: tuple[Any, ...], params: Mapping[str, Any]) -> AsyncIterator[Munch]:
        fetch, per_page, page = self._pages(parents, params)
        return aiterate_pages(lambda page, size: self._run(fetch(page, size)), per_page, page)

    async def _list_all(self, parents: tuple[Any, ...], params: Mapping[str, Any]) -> Records:
        return [record async for record in self._iterate(parents, params)]

    async def _create(self, parents: tuple[Any, ...], args: tuple[Any, ...],
                      kwargs: Mapping[str, Any]) -> Munch:
        return await self._run(self._create_plan(parents, args, kwargs))

    async def _retrieve(self, parents: tuple[Any, ...], id: Any, includes: Any = None) -> Munch:
        return await self._run(self._retrieve_plan(parents, id, includes))

    async def _update(self, parents: tuple[Any, ...], id: Any, args: tuple[Any, ...],
                      kwargs: Mapping[str, Any]) -> Munch:
        return await self._run(self._update_plan(parents, id, args, kwargs))

    async def _destroy(self, parents: tuple[Any, ...], id: Any) -> bool:
        return await self._run(self._destroy_plan(parents, id))


def _async_class(name: str, sync: type) -> type[AsyncService]:
    """The async class of a resource, named after its sync one (``AsyncContactsService``)."""
    return type(f"Async{sync.__name__}", (AsyncService,),
                {"__doc__": sync.__doc__, "__module__": __name__}, resource=name)


#: catalog name -> async service class
ASYNC_SERVICE_CLASSES: Mapping[str, type[AsyncService]] = MappingProxyType({
    name: _async_class(name, cls) for name, cls in SERVICE_CLASSES.items()
})
