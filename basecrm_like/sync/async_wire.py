"""The Sync API's three calls for the async client: the plans of :mod:`.wire`, awaited."""
from __future__ import annotations

from typing import Any

from ..http.async_transport import AsyncHttpClient
from ..http.plans import arun_plan
from .wire import SyncService, ack_plan, fetch_plan, start_plan


class AsyncSyncService:
    """``await start``, ``fetch`` and ``ack`` of the Sync API for one device UUID."""

    build_headers = staticmethod(SyncService.build_headers)

    def __init__(self, http_client: AsyncHttpClient) -> None:
        self.__http_client = http_client

    @property
    def http_client(self) -> AsyncHttpClient:
        return self.__http_client

    async def start(self, device_uuid: str) -> Any:
        """Open a session; None when there is nothing new for this device (204)."""
        return await arun_plan(start_plan(device_uuid), self.http_client)

    async def fetch(self, device_uuid: str, session_id: str, queue: str = "main") -> list[Any]:
        """The next page of the queue: items with ``meta`` and ``data``; [] when drained."""
        return await arun_plan(fetch_plan(device_uuid, session_id, queue), self.http_client)

    async def ack(self, device_uuid: str, ack_keys: list[str]) -> bool:
        """Acknowledge items so they are never sent to this device again."""
        return await arun_plan(ack_plan(device_uuid, ack_keys), self.http_client)
