"""The services of one client: one per catalog resource, sharing every collaborator."""
from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping

from ..http.transport import HttpClient
from ..support.suggest import suggestion
from .base import RecordFactory, Service
from .cache import ReferenceCache
from .named import SERVICE_CLASSES


class ServiceDirectory(Mapping[str, Service]):
    """Catalog name -> service, each built on first use over one HTTP layer, cache and
    record factory, and handed this directory to find its siblings (``deal.stage``)."""

    def __init__(self, http_client: HttpClient, *, cache: ReferenceCache | None = None,
                 records: RecordFactory | None = None,
                 classes: Mapping[str, type[Service]] = SERVICE_CLASSES) -> None:
        """``classes`` are the service classes by catalog name (the async ones for the
        async client)."""
        self._classes = classes
        self._http_client = http_client
        self._cache = cache
        self._records = records
        self._lock = threading.Lock()
        self._built: dict[str, Service] = {}

    def __getitem__(self, name: str) -> Service:
        cls = self._classes[name]
        with self._lock:
            service = self._built.get(name)
            if service is None:
                service = cls(self._http_client, cache=self._cache, records=self._records,
                              siblings=self)
                self._built[name] = service
            return service

    def attribute_of(self, owner: object, name: str) -> Service:
        """``owner.<name>`` for a client: the service ``name``, or the AttributeError
        Python would raise, with a suggestion. The service is kept on ``owner``, so
        the next lookup does not come here."""
        if name in self._classes:
            service = vars(owner)[name] = self[name]
            return service
        raise AttributeError(f"{type(owner).__name__!r} object has no attribute {name!r}"
                             f"{suggestion(name, self._classes)}")

    def __iter__(self) -> Iterator[str]:
        return iter(self._classes)

    def __len__(self) -> int:
        return len(self._classes)
