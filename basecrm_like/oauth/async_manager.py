"""OAuth2 for the async client: one refresh for many tasks, the same manager underneath.

:class:`AsyncTokenManager` wraps a :class:`~.manager.TokenManager`, so the
rules (refresh within the leeway, once after a 401, adopt what another
process saved, save before use) and the token store are the same as the
blocking client's. An ``asyncio.Lock`` queues the tasks that need a refresh:
the first refreshes, the others then find the new token and do not. The
refresh itself (a POST to the token endpoint and a write to the store, both
blocking) runs in a worker thread, so the event loop keeps serving; it
happens about once an hour.
"""
from __future__ import annotations

import asyncio

from .manager import TokenManager
from .token import Token

__all__ = ["AsyncTokenManager"]


class AsyncTokenManager:
    """The :class:`~basecrm_like.http.async_transport.AsyncTokenSource` over a TokenManager."""

    def __init__(self, manager: TokenManager) -> None:
        self.manager = manager
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"<AsyncTokenManager {self.manager!r}>"

    @property
    def token(self) -> Token:
        """The token in use (its repr hides the values)."""
        return self.manager.token

    @property
    def refresh_count(self) -> int:
        return self.manager.refresh_count

    async def access_token(self) -> str:
        """A usable access token, refreshed first (by one task) if it is about to expire."""
        usable = self.manager.usable_token()
        if usable is not None:
            return usable
        async with self._lock:
            return await asyncio.to_thread(self.manager.access_token)

    async def renew(self, rejected: str) -> bool:
        """After a 401 for ``rejected``: True when there is another token to try.

        The manager decides (a token refreshed by another task while this one
        waited is simply handed over); the lock keeps the waiting tasks off threads.
        """
        async with self._lock:
            return await asyncio.to_thread(self.manager.renew, rejected)

    def secrets(self) -> list[str]:
        return self.manager.secrets()
