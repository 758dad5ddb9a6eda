"""A small read-through cache with a time-to-live, for reference data.

Pipelines, stages, sources, loss and unqualified reasons, users and custom field
definitions change rarely, yet the model layer reads them over and over
(``deal.stage`` for every deal of a report). The client keeps one
:class:`ReferenceCache` (``client.cache``); models read reference records
through it, plain service calls never do, and every write made through the
same client's services (create, update, destroy, upsert) drops what is cached
for that resource.

Why not ``functools.lru_cache`` or a third-party TTL cache: entries must be
dropped per resource on writes, a load racing a write must not store a stale
answer, and concurrent misses on one key should cost one request. That is a
few dozen lines on top of a dict, so it is written here rather than adding a
dependency to the client side.
"""
from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from ..http.config import DEFAULT_CACHE_TTL
from ..http.errors import ConfigurationError

T = TypeVar("T")

#: seconds a reference record stays fresh unless the client says otherwise
DEFAULT_TTL = DEFAULT_CACHE_TTL
_STRIPES = 32


class ReferenceCache:
    """Thread-safe, per-resource read-through cache with a time-to-live.

    ``ttl`` is in seconds (``0`` stores nothing); ``enabled = False`` turns it
    off without losing the setting; ``clock`` returns seconds and exists so
    tests can move time by hand. Values are deep-copied in and out, so a caller
    editing what it got cannot change what others get.
    """

    def __init__(self, ttl: float = DEFAULT_TTL, clock: Callable[[], float] = time.monotonic,
                 enabled: bool = True) -> None:
        self._lock = threading.Lock()
        # one lock per stripe of keys: concurrent misses on a key load once
        self._load_locks = tuple(threading.Lock() for _ in range(_STRIPES))
        self._entries: dict[tuple[str, Hashable], tuple[float, Any]] = {}
        # bumped by invalidate() per resource and by clear() for all: a load that
        # started before either must not store its (possibly stale) answer
        self._generations: dict[str, int] = {}
        self._epoch = 0
        self._ttl = DEFAULT_TTL
        self.ttl = ttl
        self.clock = clock
        self.enabled = enabled
        #: lookups answered from the cache, and loads made because of a miss
        self.hits = 0
        self.misses = 0

    def __repr__(self) -> str:
        state = "on" if self.enabled else "off"
        return f"<ReferenceCache {state} ttl={self._ttl:g}s entries={len(self)}>"

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    @property
    def ttl(self) -> float:
        """Seconds an entry stays fresh; 0 disables storing."""
        return self._ttl

    @ttl.setter
    def ttl(self, value: float) -> None:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise ConfigurationError(
                f"cache_ttl must be a number of seconds >= 0 (0 turns the cache off), got {value!r}"
            )
        self._ttl = float(value)

    @property
    def active(self) -> bool:
        """True when lookups may be answered from the cache."""
        return self.enabled and self._ttl > 0

    # -- reads --------------------------------------------------------------------
    def get(self, resource: str, key: Hashable, default: Any = None) -> Any:
        """The fresh value stored for ``(resource, key)``, else ``default``."""
        with self._lock:
            found, value = self._lookup(resource, key)
        return copy.deepcopy(value) if found else default

    def get_or_load(self, resource: str, key: Hashable, loader: Callable[[], T]) -> T:
        """The cached value, or ``loader()``'s answer, stored for ``ttl`` seconds.

        Errors from ``loader`` propagate and nothing is stored. A write to the
        resource while ``loader`` runs keeps its answer out of the cache.
        """
        if not self.active:
            return loader()
        with self._lock:
            found, value = self._lookup(resource, key)
            if found:
                self.hits += 1
                return copy.deepcopy(value)
        with self._load_locks[hash((resource, key)) % _STRIPES]:
            with self._lock:
                found, value = self._lookup(resource, key)
                if found:
                    self.hits += 1
                    return copy.deepcopy(value)
                generation = self._generation(resource)
                self.misses += 1
            loaded = loader()
            self._store(resource, key, loaded, generation)
            return loaded

    # -- writes -------------------------------------------------------------------
    def put(self, resource: str, key: Hashable, value: Any) -> None:
        """Store a value already fetched (e.g. records met while listing)."""
        if not self.active:
            return
        with self._lock:
            generation = self._generation(resource)
        self._store(resource, key, value, generation)

    def invalidate(self, resource: str) -> None:
        """Forget everything cached for one resource (called after writes to it)."""
        with self._lock:
            self._generations[resource] = self._generations.get(resource, 0) + 1
            for entry in [k for k in self._entries if k[0] == resource]:
                del self._entries[entry]

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._epoch += 1
            self._entries.clear()

    # -- internals ----------------------------------------------------------------
    def _generation(self, resource: str) -> tuple[int, int]:
        return self._epoch, self._generations.get(resource, 0)

    def _lookup(self, resource: str, key: Hashable) -> tuple[bool, Any]:
        entry = self._entries.get((resource, key))
        if entry is None:
            return False, None
        expires, value = entry
        if self.clock() >= expires:
            del self._entries[(resource, key)]
            return False, None
        return True, value

    def _store(self, resource: str, key: Hashable, value: Any,
               generation: tuple[int, int]) -> None:
        stored = copy.deepcopy(value)
        with self._lock:
            if not self.active or self._generation(resource) != generation:
                return
            self._entries[(resource, key)] = (self.clock() + self._ttl, stored)
