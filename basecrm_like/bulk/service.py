"""``client.bulk``: imports and exports over one client's HTTP layer and services.

The client hands this service its HTTP layer and its services; nothing here
changes them. An import with its own ``rate`` paces itself with a
:class:`~basecrm_like.ratelimit.TokenBucket` of its own, over a sibling of the
client's HTTP layer (same session and token, that limiter), so when it ends
the client is exactly as fast as before.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from munch import Munch

from .. import catalog
from ..http.ratelimit import DEFAULT_RATE, TokenBucket
from ..http.shared_ratelimit import build_limiter
from ..http.transport import HttpClient, Limiter
from ..search import SearchService
from ..services import Service
from .engine import Importer, run_with_report
from .journal import Journal, default_journal_path
from .lookup import KeyLookup, LookupPlan
from .results import ImportSummary, RowResult
from .rows import InputRow, read_rows

__all__ = ["BulkService"]


class BulkService:
    """Imports and exports for one client.

    ``services`` maps resource names (``"contacts"``) to the client's services,
    which run over ``http_client``.
    """

    def __init__(self, http_client: HttpClient, services: Mapping[str, Service]) -> None:
        self.http_client = http_client
        self.services = services

    def __repr__(self) -> str:
        return f"<BulkService base_url={self.http_client.config.base_url!r}>"

    @property
    def limiter(self) -> Any:
        """The client's own rate limiter (``Client(rate_limit=...)``), or None.

        An import with an explicit ``rate`` uses a bucket of its own instead.
        """
        return self.http_client.limiter

    def service(self, resource: str) -> Service:
        """The client's service for ``resource`` (a name such as ``contacts``)."""
        return self.services[catalog.get(resource).name]

    def import_records(
        self,
        resource: str,
        rows: Iterable[Mapping[str, Any] | InputRow],
        key: str | None = None,
        concurrency: int = 8,
        on_result: Callable[[RowResult], None] | None = None,
        *,
        rate: float | None = DEFAULT_RATE,
        mapping: Mapping[str, str] | None = None,
        dry_run: bool = False,
        compare: bool = True,
        report: str | None = None,
        journal: str | None = None,
        resume: bool = False,
        stop: threading.Event | None = None,
        max_attempts: int = 8,
        lookup: str | KeyLookup | None = None,
        expected_rows: int | None = None,
        on_plan: Callable[[LookupPlan], None] | None = None,
        limiter: Limiter | None = None,
    ) -> ImportSummary:
        """Create (or with ``key``, upsert) one record per row; see :mod:`basecrm_like.bulk`.

        ``rows`` is any iterable of dicts, read lazily: column or attribute
        names to values (strings are coerced by the catalog, ``"custom_fields.x"``
        and ``"address.city"`` keys are nested). ``on_result`` is called with
        each :class:`RowResult`, in input order. ``rate`` is requests per second
        for this import (0 = unlimited; None = the client's own ``rate_limit``,
        if it has one); the client itself is never slowed down by it.
        ``report`` writes a CSV of the results; ``journal`` records outcomes so
        a later call with ``resume=True`` skips finished rows; ``stop`` (an
        Event) ends the run after the rows in flight.

        With ``key``, ``lookup`` says how existing records are found:
        ``"auto"`` (the default), ``"prefetch"``, ``"search"``, ``"none"``
        (``compare=False`` is ``"none"``), or a ready
        :class:`~basecrm_like.bulk.lookup.KeyLookup`; ``expected_rows`` (the
        input's size, if known) lets ``auto`` weigh a prefetch against it, and
        ``on_plan`` is told the strategy chosen before the first row is sent.
        ``limiter`` paces this import instead of ``rate`` (any object with
        the limiter protocol of the HTTP layer, such as one whose budget is
        shared with other processes).
        Custom-field values are typed by the account's definitions. An error
        no row can survive raises :class:`~basecrm_like.bulk.ImportStopped`.
        """
        res = catalog.get(resource)
        service: Service | None = None
        http = self.http_client
        if not dry_run:
            service = self.service(res.name)
            if limiter is None and rate is None:
                limiter = http.limiter
            else:
                # a store shared with other processes (--rate-store) holds this budget too
                limiter = limiter if limiter is not None else (
                    build_limiter(rate, http.config.rate_limit_store) or TokenBucket(rate))
                # the same service over a sibling HTTP layer paced by this import alone;
                # its writes still clear the client's cache
                http = http.with_limiter(limiter)
                service = type(service)(http, cache=service.cache)
        opened = Journal(journal, {"resource": res.name, "key": key},
                         resume=resume) if journal and not dry_run else None
        try:
            if lookup is None:
                lookup = "auto" if compare else "none"
            importer = Importer(res, service, key=key, concurrency=concurrency,
                                compare=compare, mapping=mapping, journal=opened, stop=stop,
                                max_attempts=max_attempts, limiter=limiter, lookup=lookup,
                                expected_rows=expected_rows, on_plan=on_plan,
                                custom_fields=self._definitions(res, http) if service else None,
                                search=SearchService(http) if service else None)
        except BaseException:
            if opened is not None:
                opened.close()
            raise
        return run_with_report(importer, rows, on_result, report)

    def _definitions(self, res: catalog.Resource, http: HttpClient) -> Callable[[], Any] | None:
        """Loads ``res``'s custom field definitions (paced like the import), if it has any."""
        known = self.services.get("custom_fields")
        if not res.has_custom_fields or known is None:
            return None
        definitions: Any = type(known)(http)
        return lambda: definitions.list(res.type)

    def import_file(self, resource: str, path: str, key: str | None = None,
                    concurrency: int = 8, on_result: Callable[[RowResult], None] | None = None,
                    *, format: str | None = None, encoding: str = "utf-8",
                    journal: str | bool | None = True, report: str | None = None,
                    **options: Any) -> ImportSummary:
        """:meth:`import_records` for a CSV or JSON Lines file.

        ``journal=True`` puts the journal next to the report, or next to the file.
        """
        if journal is True:
            journal = default_journal_path(path, report)
        rows = read_rows(path, format, encoding)
        return self.import_records(resource, rows, key, concurrency, on_result,
                                   journal=journal or None, report=report, **options)

    def export_records(self, resource: str, **filters: Any) -> Iterator[Munch]:
        """Every record matching ``filters``, fetched lazily page by page.

        Paced by the client's own ``rate_limit``, if any; the client is left as it was.
        """
        return self.service(resource).iterate(**filters)
