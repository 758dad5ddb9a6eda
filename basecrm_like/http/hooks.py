"""Callbacks on every request: ``{"request": [...], "response": [...], "retry": [...]}``.

A hook sees a :class:`~basecrm_like.http.exchange.RequestEvent` and nothing
else: no header, body or token. A hook that raises is logged and skipped: an
observer must never be the reason a call fails.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ..support.suggest import suggestion
from .errors import ConfigurationError
from .exchange import RequestEvent

HOOK_KINDS = ("request", "response", "retry")
Hook = Callable[[RequestEvent], object]

logger = logging.getLogger("basecrm_like.hooks")


class Hooks:
    """The validated hooks of one client; empty hooks cost one truth test per request."""

    __slots__ = ("_by_kind",)

    def __init__(self, hooks: Mapping[str, Iterable[Hook]] | None = None) -> None:
        by_kind: dict[str, tuple[Hook, ...]] = {}
        for kind, callbacks in (hooks or {}).items():
            if kind not in HOOK_KINDS:
                raise ConfigurationError(f"unknown hook {kind!r}{suggestion(kind, HOOK_KINDS)}; "
                                         f"the hooks are: {', '.join(HOOK_KINDS)}")
            listed = (callbacks,) if callable(callbacks) else tuple(callbacks)
            for callback in listed:
                if not callable(callback):
                    raise ConfigurationError(f"hooks[{kind!r}] must hold callables, "
                                             f"got {callback!r}")
            if listed:
                by_kind[kind] = listed
        self._by_kind = by_kind

    def __bool__(self) -> bool:
        return bool(self._by_kind)

    def __repr__(self) -> str:
        return f"<Hooks {', '.join(f'{k}={len(v)}' for k, v in self._by_kind.items()) or 'none'}>"

    def merged(self, more: Mapping[str, Iterable[Hook]] | None) -> Hooks:
        """These hooks and ``more`` (a derived client adds to its parent's)."""
        if not more:
            return self  # read-only: a derived client without hooks of its own shares them
        combined: dict[str, list[Hook]] = {k: list(v) for k, v in self._by_kind.items()}
        for kind, callbacks in Hooks(more)._by_kind.items():
            combined.setdefault(kind, []).extend(callbacks)
        return Hooks(combined)

    def emit(self, event: RequestEvent) -> None:
        for callback in self._by_kind.get(event.kind, ()):
            try:
                callback(event)
            except Exception:  # noqa: BLE001 - a hook must not break the call
                logger.warning("%s hook %r failed on %s %s", event.kind, callback,
                               event.method, event.url, exc_info=True)


class RequestWatch:
    """The request, retry and response events of one logical request, for the hooks.

    Both transports report through it, so an event's attempt number and elapsed
    time mean the same whichever client sent the request.
    """

    def __init__(self, hooks: Hooks, method: str, url: str, earlier_attempts: int) -> None:
        self.hooks, self.method, self.url = hooks, method, url
        self.started = time.perf_counter()
        self.attempt = earlier_attempts + 1
        hooks.emit(RequestEvent("request", method, url, self.attempt))

    def retrying(self, status: int | None) -> None:
        self.hooks.emit(RequestEvent("retry", self.method, self.url, self.attempt, status,
                                     time.perf_counter() - self.started))
        self.attempt += 1

    def answered(self, status: int, headers: Mapping[str, Any], attempts: int) -> None:
        self.hooks.emit(RequestEvent("response", self.method, self.url, attempts, status,
                                     time.perf_counter() - self.started,
                                     headers.get("X-Request-Id")))
