"""The Sync driver for the async client: the same run, awaited.

The rules of a run (start, drain page by page, acknowledge only what the
callback or sink kept, acknowledge what was kept before a failure, stop on a
request or on a page sent twice) are :meth:`SyncCore._drain_plan
<basecrm_like.sync.driver.SyncCore._drain_plan>`, which the blocking
:class:`~basecrm_like.sync.driver.Sync` runs too. Callbacks and sinks are
called as they are, on the event loop: keep them quick, or hand pages to a
thread yourself.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..http.plans import arun_plan
from .driver import Sink, SyncCore, SyncSummary


class AsyncSync(SyncCore):
    """``await AsyncSync(client=async_client, device_uuid=...).fetch(callback)``."""

    async def fetch(self, callback: Callable[[Any, Any], Any]) -> SyncSummary:
        """As :meth:`Sync.fetch <basecrm_like.sync.driver.Sync.fetch>`, awaited."""
        return await arun_plan(self._drain_plan(self._callback_handler(callback)),
                               self.client.sync)

    async def run(self, sink: Sink,
                  progress: Callable[[SyncSummary], None] | None = None) -> SyncSummary:
        """As :meth:`Sync.run <basecrm_like.sync.driver.Sync.run>`, awaited."""
        return await arun_plan(self._drain_plan(self._sink_handler(sink), progress),
                               self.client.sync)
