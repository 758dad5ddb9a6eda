"""The import engine: rows to API calls, with worker threads, retries and the journal.

How a row is sent:

- With ``key`` (``email``, ``custom_fields.external_id``, ``address.city``...)
  and a :class:`~.lookup.KeyLookup` (a prefetched key index), rows are looked
  up in batches before they are sent: a row whose record already holds its
  values is ``unchanged`` and sends nothing, a row whose record differs is
  updated by id (one request), a row with no record goes through the upsert
  endpoint (one request), so a record someone else created meanwhile is still
  never duplicated, and a key held by several records fails the row.
- With ``key`` and no lookup the row goes through the upsert endpoint with the
  key as filter, so sending it twice (a retry, a rerun, a resume) never makes
  a second record. With
  ``compare=True`` the record is read first: no match creates it,
  one match that already holds every value of the row is ``unchanged`` and is
  not written at all, one match that differs is ``updated``, several matches
  fail the row. With ``compare=False`` there is one request per row and the
  status comes from the answer's timestamps (``created_at == updated_at`` means
  created); ``unchanged`` is then never reported.
- Without ``key`` the row is created. It is retried only when the API refused
  it without applying it (429); after a server error or a lost connection it
  fails as *uncertain* rather than risk a duplicate, and a resumed run skips
  it. The journal notes a row just before it is created, so a resume after a
  kill skips rows that may already exist.

Errors no row can survive stop the whole run (:class:`ImportStopped`): a
refused token (401, 403), a base URL that is not the API (404 on the
collection path) and a server that cannot be reached at all. Their rows are
journaled as not done, so ``resume`` sends them after the fix. A 2xx answer
that is not a record, or a connection lost after a create was sent, makes the
row ``uncertain``: it may exist, and a keyless resume never sends it again.

At most ``concurrency`` requests are on the wire at once, but a row waiting to
retry gives its place up, so slow rows never leave the rate budget unused.
Rows are read lazily: at most ``4 * concurrency`` are being sent, and at most
``window`` are read but not yet reported (finished rows wait there for a slower
row before them), so memory stays flat whatever the input size. Results come
back in input order, one per input row.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from typing import Any

from .. import catalog
from ..catalog import Resource
from ..http import errors
from ..services import Service
from ..support import keypaths
from .calls import Caller
from .customfields import CustomFieldTypes
from .journal import Journal, JournalEntry
from .keylocks import KeyLocks
from .lookup import LOOKUPS, KeyLookup, LookupFailed, LookupPlan, key_text, plan_lookup
from .mapping import ColumnMapper, missing_required
from .outcomes import Fatal, ImportStopped, RowFailure, field_of
from .results import VALID, ImportSummary, ReportWriter, RowResult
from .rows import InputRow, RowError
from .writes import RowWriter, Task

__all__ = ["Importer", "ImportStopped", "run_with_report"]

logger = logging.getLogger("basecrm_like.bulk")


class Importer:
    """Sends rows of one resource with ``concurrency`` worker threads.

    ``service`` is None for a dry run (validation only, nothing sent). Use
    :meth:`BulkService.import_records` rather than building one yourself.

    With a ``key``, ``lookup`` is a strategy name (``auto``, ``prefetch``,
    ``search``, ``none``) planned when the run starts, or a ready
    :class:`~.lookup.KeyLookup`; None keeps the per-row read of ``compare``.
    ``custom_fields`` loads the account's custom field definitions at the
    start of a run, to type custom-field values. ``search`` (the client's
    Search v3 service) makes the ``search`` strategy possible.
    """

    def __init__(self, resource: str | Resource, service: Service | None = None, *,
                 key: str | None = None, concurrency: int = 8, compare: bool = True,
                 mapping: Mapping[str, str] | None = None, journal: Journal | None = None,
                 stop: threading.Event | None = None, max_attempts: int = 8,
                 backoff: float = 0.1, limiter: Any = None,
                 window: int | None = None, lookup: str | KeyLookup | None = None,
                 expected_rows: int | None = None,
                 on_plan: Callable[[LookupPlan], None] | None = None,
                 custom_fields: Callable[[], Iterable[Mapping[str, Any]]] | None = None,
                 search: Any = None) -> None:
        self.resource = resource if isinstance(resource, Resource) else catalog.get(resource)
        self.service = service
        self.dry_run = service is None
        if not isinstance(concurrency, int) or concurrency < 1:
            raise errors.BadValueError(f"concurrency must be a whole number >= 1, got {concurrency!r}")
        if max_attempts < 1:
            raise errors.BadValueError("max_attempts must be at least 1")
        self.concurrency = concurrency
        self.compare = compare
        self.mapper = ColumnMapper(self.resource, dict(mapping or {}))
        self.key = key
        self._key_path = self._check_key(key) if key else None
        if "create" not in self.resource.actions and "upsert" not in self.resource.actions:
            raise errors.BadValueError(f"{self.resource.name} cannot be imported: the API offers no create "
                             f"for it (actions: {', '.join(sorted(self.resource.actions))})")
        self.journal = journal
        self.stop_event = stop or threading.Event()
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.limiter = limiter
        # the key lookup: a strategy name planned when the run starts, or a ready lookup
        if isinstance(lookup, str) and lookup not in LOOKUPS:
            raise errors.BadValueError(f"lookup must be one of {', '.join(LOOKUPS)}, got {lookup!r}")
        keyed = self._key_path is not None and service is not None
        self._lookup_choice = lookup if isinstance(lookup, str) and keyed else None
        #: finds the records of a batch of keyed rows before they are sent
        self.lookup: KeyLookup | None = lookup if keyed and not isinstance(lookup, str) else None
        self._owns_lookup = False
        self.expected_rows = expected_rows
        self.on_plan = on_plan
        self.search = search
        #: the lookup strategy chosen at the start of the last run, and why
        self.plan: LookupPlan | None = None
        #: loads the account's custom field definitions at the start of a run
        self.custom_field_source = custom_fields
        self.custom_fields: CustomFieldTypes | None = None
        #: runs each API call: at most ``concurrency`` on the wire, a retrying row holds no slot
        self._call = Caller(concurrency, max_attempts, backoff, lambda: (
            self.stop_event.is_set() and self._fatal is not None))
        #: worker threads, more than slots so that retrying rows do not idle the budget
        self.workers = 4 * concurrency
        #: rows being sent at once (queued for or held by a worker)
        self.in_flight = self.workers
        #: rows read but not reported yet: a slow row (retrying) holds back the report of
        #: the rows after it, not the work on them, until this many are waiting
        self.window = window or max(128 * concurrency, 1024)
        # any object with the service's calls will do (a stub has no HTTP layer to size)
        config = getattr(getattr(service, "http_client", None), "config", None)
        pool_size = getattr(config, "pool_size", concurrency)
        if concurrency > pool_size:
            logger.warning("concurrency %d is above the client's pool_size %d: connections will "
                           "be opened and dropped; create the Client with pool_size=%d",
                           concurrency, pool_size, concurrency)
        self._key_locks = KeyLocks()
        self._fatal_guard = threading.Lock()
        #: writes the rows of the current run (made when it starts)
        self._writer: RowWriter | None = None
        self._fatal: str | None = None

    def stop(self) -> None:
        """Finish the rows in flight, then return (what Ctrl-C does in the CLI)."""
        self.stop_event.set()

    # -- configuration checks -----------------------------------------------------------
    def _check_key(self, key: str) -> tuple[str, str | None]:
        res = self.resource
        if "upsert" not in res.actions:
            upserts = ", ".join(r.name for r in catalog.RESOURCES if "upsert" in r.actions)
            raise errors.BadValueError(f"--key needs the upsert endpoint, which {res.name} lacks "
                             f"(it exists for {upserts}); import without a key")
        head, rest = keypaths.split(key)
        if rest and head == "custom_fields" and res.has_custom_fields:
            return head, rest
        if rest is not None and head == "address" and f"address[{rest}]" in res.filters:
            return head, rest
        if rest is None and key in res.filters and res.field(key) is not None and key != "ids":
            return head, rest
        usable = [f for f in res.filters if res.field(f) is not None and f != "ids"]
        usable += [f.replace("[", ".").rstrip("]") for f in res.filters if f.startswith("address[")]
        raise errors.BadValueError(f"cannot use {key!r} as the key of {res.name}: the upsert endpoint "
                         f"matches on {', '.join(usable)} or custom_fields.<name>")

    # -- the main loop ------------------------------------------------------------------
    def run(self, rows: Iterable[InputRow | Mapping[str, Any]],
            on_result: Callable[[RowResult], None] | None = None) -> ImportSummary:
        """Import ``rows`` and return the summary; ``on_result`` gets each row's result in order.

        Raises :class:`ImportStopped` when an error no row can survive ended the run.
        """
        summary = ImportSummary(self.resource.name, dry_run=self.dry_run,
                                journal=self.journal.path if self.journal else None)
        started = time.monotonic()
        sent0, limited0 = self._limiter_counts()
        window: deque[RowResult | Future[RowResult]] = deque()

        def emit(result: RowResult) -> None:
            summary.add(result)
            if on_result is not None:
                on_result(result)

        pending: set[Future[RowResult]] = set()
        #: rows read and prepared, waiting for their batch's lookup (in input order)
        batch: list[RowResult | Task] = []

        def drain_ready() -> None:
            while window and _ready(window[0]):
                head = window.popleft()
                emit(head.result() if isinstance(head, Future) else head)

        def wait_some() -> None:
            done, _ = wait_futures(pending, timeout=0.2, return_when=FIRST_COMPLETED)
            pending.difference_update(done)
            drain_ready()

        def flush() -> None:
            tasks = [t for t in batch if isinstance(t, Task) and t.filters is not None]
            if tasks and self.lookup is not None:
                try:
                    found = self.lookup.find([key_text(t.key_value) for t in tasks])
                except (RowFailure, LookupFailed) as exc:
                    # these rows are looked up one by one instead
                    logger.warning("key lookup failed (%s); reading each row's record",
                                   getattr(exc, "message", exc))
                    found = None
                if found is not None:
                    for task in tasks:
                        task.matches = list(found.get(key_text(task.key_value), ()))
            for item in batch:
                if isinstance(item, RowResult):
                    window.append(item)
                else:
                    future = pool.submit(self._process, item)
                    pending.add(future)
                    window.append(future)
            batch.clear()

        batch_size = self.lookup.batch_size if self.lookup is not None else 1
        pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="basecrm-import")
        try:
            if not self.dry_run:
                self._start()
                self._writer = RowWriter(self.resource, self.service, self.key, self.journal,
                                         self._call, compare=self.compare, lookup=self.lookup)
                summary.lookup = self.plan.strategy if self.plan else None
                batch_size = self.lookup.batch_size if self.lookup is not None else 1
            for number, item in enumerate(rows, 1):
                row = item if isinstance(item, InputRow) else InputRow(number, dict(item))
                batch.append(self._prepare(row))
                if len(batch) >= batch_size:
                    flush()
                drain_ready()
                # bounded: rows being sent, and rows read but not yet reported
                while pending and (len(pending) >= self.in_flight or len(window) >= self.window):
                    wait_some()
                if self.stop_event.is_set():
                    summary.interrupted = True
                    break
            flush()
            while window:
                if pending:
                    wait_some()
                else:
                    drain_ready()
        except Fatal as exc:
            self._fatal = self._fatal or str(exc)
            self.stop_event.set()
        except BaseException:
            self.stop_event.set()
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        finally:
            pool.shutdown(wait=True)
            summary.elapsed = time.monotonic() - started
            sent1, limited1 = self._limiter_counts()
            summary.requests, summary.rate_limited = sent1 - sent0, limited1 - limited0
            if self.lookup is not None and self._owns_lookup:
                self.lookup.close()
            if self.journal is not None:
                # a complete run: a later run without --resume may replace the journal;
                # not while it lists keyless rows that may exist (a new run would resend them)
                if not summary.interrupted and not self.stop_event.is_set() and \
                        not (summary.uncertain and self.key is None):
                    self.journal.finish(summary.as_dict())
                self.journal.close()
        if self._fatal is not None:
            summary.interrupted = True
            raise ImportStopped(self._fatal, summary)
        return summary

    def _start(self) -> None:
        """What a run needs before its first row: custom field types, the key lookup.

        Neither is worth failing the run for on an error a row would survive:
        without definitions custom fields go as read, without a lookup every
        keyed row goes through the upsert endpoint.
        """
        attempts = [0]
        if self.custom_field_source is not None and self.custom_fields is None:
            source = self.custom_field_source
            try:
                self.custom_fields = CustomFieldTypes(
                    self._call(lambda: list(source()), attempts, True, collection=True))
            except RowFailure as exc:
                logger.warning("custom field definitions unavailable (%s); custom field "
                               "values are sent as read", exc.message)
        if self._lookup_choice is not None:
            assert self.service is not None and self.key is not None
            service = self.service
            try:
                plan = plan_lookup(self._lookup_choice, service, self.key,
                                   lambda fn: self._call(fn, attempts, True, collection=True),
                                   expected_rows=self.expected_rows, search=self.search,
                                   resource=self.resource.name)
            except (RowFailure, LookupFailed) as exc:
                plan = LookupPlan("none", None, f"no lookup: reading the existing records "
                                  f"failed ({getattr(exc, 'message', exc)}); one upsert "
                                  "request per row")
            self.plan = plan
            self.lookup, self._owns_lookup = plan.lookup, True
            self.compare = self.compare and plan.strategy != "none"
            if self.on_plan is not None:
                self.on_plan(plan)

    def _limiter_counts(self) -> tuple[int, int]:
        # any limiter counts if it keeps TokenBucket's counters
        return (getattr(self.limiter, "acquired", 0) or 0,
                getattr(self.limiter, "rate_limited", 0) or 0)

    # -- per row, in the reading thread -------------------------------------------------
    def _prepare(self, row: InputRow) -> RowResult | Task:
        """Coerce and check a row; a RowResult when nothing needs sending."""
        if row.error is not None:
            status = "skipped" if row.error.code == "empty_row" else "failed"
            return self._finished(row, status, error=row.error)
        if self.journal is not None:
            entry = self.journal.done(row.number, row.fingerprint)
            # a keyed row is safe to send again, even one that may have been applied
            if entry is not None and not (self.key and (entry.status == "pending"
                                                        or entry.uncertain)):
                return self._from_journal(row, entry)
        assert row.data is not None
        attributes, error = self.mapper.attributes(row.data)
        if error is None and self.custom_fields is not None:
            error = self.custom_fields.coerce(attributes)
        if error is not None:
            return self._finished(row, "failed", error=error)
        task = Task(row, attributes)
        key = self.key if self._key_path else None
        if key is not None:
            task.key_value = keypaths.dig(attributes, key)
            if task.key_value is None or task.key_value == "":
                return self._finished(row, "failed", error=RowError(
                    "missing_key", f"the key {self.key} has no value in this row", self.key))
            task.filters = {}
            keypaths.nest(task.filters, key, task.key_value)
        if self.dry_run or not self._key_path:
            # with a key a row may update a record, and need less; checked on create
            missing = missing_required(self.resource, attributes)
            if missing is not None:
                return self._finished(row, "failed", error=missing, key=task.key_value)
        if self.dry_run:
            return RowResult(row.number, VALID, key=task.key_value, line=row.line,
                             message="valid; nothing sent (dry run)")
        return task

    def _finished(self, row: InputRow, status: str, error: RowError | None = None,
                  key: Any = None) -> RowResult:
        result = RowResult(row.number, status, key=key, line=row.line,
                           error_code=error.code if error else None,
                           error_field=error.field if error else None,
                           message=error.message if error else None)
        self._journal(row, result)
        return result

    def _from_journal(self, row: InputRow, entry: JournalEntry) -> RowResult:
        if entry.status == "pending" or entry.uncertain:
            # still unknown: a keyless resume never sends it again, and says so
            return RowResult(row.number, "uncertain", entry.id, line=row.line, from_journal=True,
                             uncertain=True, error_code=entry.code, message=(
                                 "an earlier run stopped while creating this row, so it may "
                                 "exist already; check, then import it with a --key"))
        return RowResult(row.number, entry.status, entry.id, line=row.line, from_journal=True,
                         error_code=entry.code, error_field=entry.field,
                         message=entry.message or "done by an earlier run")

    def _journal(self, row: InputRow, result: RowResult) -> None:
        if self.journal is not None and not self.dry_run:
            self.journal.record(row.number, JournalEntry(
                result.status, result.id, row.fingerprint, result.error_code,
                result.error_field, result.message, result.uncertain))

    # -- per row, in a worker thread ----------------------------------------------------
    def _process(self, task: Task) -> RowResult:
        attempts = [0]
        row = task.row
        if self._fatal is not None:
            # the run is stopping: not sent, not journaled, so a resume sends it
            return RowResult(row.number, "skipped", key=task.key_value, line=row.line,
                             error_code="not_sent", message=f"not sent: {self._fatal}")
        try:
            writer = self._writer
            assert writer is not None
            if task.filters is None:
                status, record = writer.create(task, attempts)
            else:
                with self._key_locks.hold(task.key_value):
                    status, record = writer.upsert(task, attempts)
            result = RowResult(row.number, status, field_of(record, "id"), task.key_value,
                               line=row.line, attempts=attempts[0])
        except Fatal as exc:
            with self._fatal_guard:
                self._fatal = self._fatal or str(exc)
            self.stop_event.set()
            # journaled as failed (a create's "pending" mark is lifted): nothing was applied
            result = RowResult(row.number, "failed", key=task.key_value, error_code="stopped",
                               message=f"not applied: {exc}", line=row.line,
                               attempts=attempts[0])
        except RowFailure as exc:
            result = RowResult(row.number, "uncertain" if exc.uncertain else "failed",
                               key=task.key_value, error_code=exc.code, error_field=exc.field,
                               message=exc.message, line=row.line, attempts=attempts[0],
                               uncertain=exc.uncertain)
        except Exception as exc:   # a bug must cost one row, not the run
            logger.exception("row %s failed unexpectedly", row.number)
            result = RowResult(row.number, "failed", key=task.key_value,
                               error_code="internal_error", message=f"{type(exc).__name__}: {exc}",
                               line=row.line, attempts=attempts[0])
        self._journal(row, result)
        return result


def _ready(item: RowResult | Future[RowResult]) -> bool:
    return not isinstance(item, Future) or item.done()


def run_with_report(importer: Importer, rows: Iterable[Any],
                    on_result: Callable[[RowResult], None] | None,
                    report: str | None) -> ImportSummary:
    """Run ``importer``, writing ``report`` (CSV) as results arrive."""
    writer = ReportWriter(report) if report else None
    try:
        def both(result: RowResult) -> None:
            if writer is not None:
                writer(result)
            if on_result is not None:
                on_result(result)

        summary = importer.run(rows, both)
    finally:
        if writer is not None:
            writer.close()
    summary.report = report
    return summary
