"""The import engine: rows to API calls, with worker threads, retries and the journal.

How a row is sent:

- With ``key`` (``email``, ``custom_fields.external_id``, ``address.city``...)
  the row goes through the upsert endpoint with the key as filter, so sending
  it twice (a retry, a rerun, a resume) never makes a second record. With
  ``compare=True`` (the default) the record is read first: no match creates it,
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

Rows are read lazily: at most ``2 * concurrency`` are being sent, and at most
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
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .. import catalog
from ..catalog import Resource
from ..http import errors
from ..http.ratelimit import TokenBucket
from ..http.retry import backoff_delay
from ..services import Service
from ..support import keypaths
from ..support.decimals import parse_decimal
from .journal import Journal, JournalEntry
from .mapping import ColumnMapper, missing_required
from .results import VALID, ImportSummary, ReportWriter, RowResult
from .rows import InputRow, RowError

__all__ = ["Importer", "run_with_report"]

logger = logging.getLogger("basecrm_like.bulk")

_RETRYABLE = (errors.ServerError, errors.ConnectionError, errors.TimeoutError)


@dataclass
class _Task:
    row: InputRow
    attributes: dict[str, Any]
    key_value: Any = None
    filters: dict[str, Any] | None = None


class _Final(Exception):
    """A row's failure, with what to report."""

    def __init__(self, code: str, message: str, field: str | None = None,
                 uncertain: bool = False) -> None:
        super().__init__(message)
        self.code, self.message, self.field, self.uncertain = code, message, field, uncertain


class Importer:
    """Sends rows of one resource with ``concurrency`` worker threads.

    ``service`` is None for a dry run (validation only, nothing sent). Use
    :meth:`BulkService.import_records` rather than building one yourself.
    """

    def __init__(self, resource: str | Resource, service: Service | None = None, *,
                 key: str | None = None, concurrency: int = 8, compare: bool = True,
                 mapping: Mapping[str, str] | None = None, journal: Journal | None = None,
                 stop: threading.Event | None = None, max_attempts: int = 8,
                 backoff: float = 0.1, limiter: TokenBucket | None = None,
                 window: int | None = None) -> None:
        self.resource = resource if isinstance(resource, Resource) else catalog.get(resource)
        self.service = service
        self.dry_run = service is None
        if not isinstance(concurrency, int) or concurrency < 1:
            raise ValueError(f"concurrency must be a whole number >= 1, got {concurrency!r}")
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.concurrency = concurrency
        self.compare = compare
        self.mapper = ColumnMapper(self.resource, dict(mapping or {}))
        self.key = key
        self._key_path = self._check_key(key) if key else None
        if "create" not in self.resource.actions and "upsert" not in self.resource.actions:
            raise ValueError(f"{self.resource.name} cannot be imported: the API offers no create "
                             f"for it (actions: {', '.join(sorted(self.resource.actions))})")
        self.journal = journal
        self.stop_event = stop or threading.Event()
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.limiter = limiter
        #: rows being sent at once (queued for or held by a worker)
        self.in_flight = 2 * concurrency
        #: rows read but not reported yet: a slow row (retrying) holds back the report of
        #: the rows after it, not the work on them, until this many are waiting
        self.window = window or max(128 * concurrency, 1024)
        pool_size = service.http_client.config.pool_size if service is not None else concurrency
        if concurrency > pool_size:
            logger.warning("concurrency %d is above the client's pool_size %d: connections will "
                           "be opened and dropped; create the Client with pool_size=%d",
                           concurrency, pool_size, concurrency)
        self._key_locks: dict[Any, list[Any]] = {}
        self._key_guard = threading.Lock()

    def stop(self) -> None:
        """Finish the rows in flight, then return (what Ctrl-C does in the CLI)."""
        self.stop_event.set()

    # -- configuration checks -----------------------------------------------------------
    def _check_key(self, key: str) -> tuple[str, str | None]:
        res = self.resource
        if "upsert" not in res.actions:
            upserts = ", ".join(r.name for r in catalog.RESOURCES if "upsert" in r.actions)
            raise ValueError(f"--key needs the upsert endpoint, which {res.name} lacks "
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
        raise ValueError(f"cannot use {key!r} as the key of {res.name}: the upsert endpoint "
                         f"matches on {', '.join(usable)} or custom_fields.<name>")

    # -- the main loop ------------------------------------------------------------------
    def run(self, rows: Iterable[InputRow | Mapping[str, Any]],
            on_result: Callable[[RowResult], None] | None = None) -> ImportSummary:
        """Import ``rows`` and return the summary; ``on_result`` gets each row's result in order."""
        summary = ImportSummary(self.resource.name, dry_run=self.dry_run,
                                journal=self.journal.path if self.journal else None)
        started = time.monotonic()
        sent0, limited0 = self._limiter_counts()
        window: deque[RowResult | Future[RowResult]] = deque()

        def emit(result: RowResult) -> None:
            summary.rows += 1
            summary.counts[result.status] += 1
            if result.from_journal:
                summary.resumed += 1
            if on_result is not None:
                on_result(result)

        pending: set[Future[RowResult]] = set()

        def drain_ready() -> None:
            while window and _ready(window[0]):
                head = window.popleft()
                emit(head.result() if isinstance(head, Future) else head)

        def wait_some() -> None:
            done, _ = wait_futures(pending, timeout=0.2, return_when=FIRST_COMPLETED)
            pending.difference_update(done)
            drain_ready()

        pool = ThreadPoolExecutor(max_workers=self.concurrency,
                                  thread_name_prefix="basecrm-import")
        try:
            for number, item in enumerate(rows, 1):
                row = item if isinstance(item, InputRow) else InputRow(number, dict(item))
                ready = self._prepare(row)
                if isinstance(ready, RowResult):
                    window.append(ready)
                else:
                    future = pool.submit(self._process, ready)
                    pending.add(future)
                    window.append(future)
                drain_ready()
                # bounded: rows being sent, and rows read but not yet reported
                while pending and (len(pending) >= self.in_flight or len(window) >= self.window):
                    wait_some()
                if self.stop_event.is_set():
                    summary.interrupted = True
                    break
            while window:
                if pending:
                    wait_some()
                else:
                    drain_ready()
        except BaseException:
            self.stop_event.set()
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        finally:
            pool.shutdown(wait=True)
            summary.elapsed = time.monotonic() - started
            sent1, limited1 = self._limiter_counts()
            summary.requests, summary.rate_limited = sent1 - sent0, limited1 - limited0
            if self.journal is not None:
                if not summary.interrupted and not self.stop_event.is_set():
                    # a complete run: a later run without --resume may replace the journal
                    self.journal.finish(summary.as_dict())
                self.journal.close()
        return summary

    def _limiter_counts(self) -> tuple[int, int]:
        if self.limiter is None:
            return 0, 0
        return self.limiter.acquired, self.limiter.rate_limited

    # -- per row, in the reading thread -------------------------------------------------
    def _prepare(self, row: InputRow) -> RowResult | _Task:
        """Coerce and check a row; a RowResult when nothing needs sending."""
        if row.error is not None:
            status = "skipped" if row.error.code == "empty_row" else "failed"
            return self._finished(row, status, error=row.error)
        if self.journal is not None:
            entry = self.journal.done(row.number, row.fingerprint)
            if entry is not None and not (self.key and entry.status == "pending"):
                return self._from_journal(row, entry)
        assert row.data is not None
        attributes, error = self.mapper.attributes(row.data)
        if error is not None:
            return self._finished(row, "failed", error=error)
        task = _Task(row, attributes)
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
            return RowResult(row.number, "skipped", entry.id, line=row.line, from_journal=True,
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
    def _process(self, task: _Task) -> RowResult:
        attempts = [0]
        try:
            if task.filters is None:
                status, record = self._create(task, attempts)
            else:
                with self._key_lock(task.key_value):
                    status, record = self._upsert(task, attempts)
            result = RowResult(task.row.number, status, _get(record, "id"), task.key_value,
                               line=task.row.line, attempts=attempts[0])
        except _Final as exc:
            result = RowResult(task.row.number, "failed", key=task.key_value, error_code=exc.code,
                               error_field=exc.field, message=exc.message, line=task.row.line,
                               attempts=attempts[0], uncertain=exc.uncertain)
        except Exception as exc:   # a bug must cost one row, not the run
            logger.exception("row %s failed unexpectedly", task.row.number)
            result = RowResult(task.row.number, "failed", key=task.key_value,
                               error_code="internal_error", message=f"{type(exc).__name__}: {exc}",
                               line=task.row.line, attempts=attempts[0])
        self._journal(task.row, result)
        return result

    def _create(self, task: _Task, attempts: list[int]) -> tuple[str, Any]:
        assert self.service is not None
        service = self.service
        if self.journal is not None:
            self.journal.pending(task.row.number, task.row.fingerprint)
        record = self._call(lambda: service.create(task.attributes), attempts, idempotent=False)
        return "created", record

    def _upsert(self, task: _Task, attempts: list[int]) -> tuple[str, Any]:
        assert self.service is not None and task.filters is not None
        service, filters, attributes = self.service, task.filters, task.attributes
        if not self.compare:
            record = self._call(lambda: service.upsert(filters, attributes), attempts, True)
            created = _get(record, "created_at")
            return ("created" if created and created == _get(record, "updated_at")
                    else "updated"), record
        found = self._call(lambda: service.list(**filters, per_page=2), attempts, True)
        if len(found) > 1:
            raise _Final("ambiguous_key", f"{self.key}={task.key_value!r} matches more than one "
                         f"{self.resource.model_name}; make the key unique", self.key)
        if not found:
            missing = missing_required(self.resource, attributes)
            if missing is not None:
                raise _Final(missing.code, missing.message, missing.field)
            record = self._call(lambda: service.upsert(filters, attributes), attempts, True)
            return "created", record
        existing = found[0]
        changed = [name for name, value in attributes.items()
                   if not _same(self.resource.field(name), value, existing.get(name))]
        if not changed:
            return "unchanged", existing
        for name in changed:
            spec = self.resource.field(name)
            if spec is not None and spec.access == "c":
                raise _Final("create_only", f"{name} can be set only when the "
                             f"{self.resource.model_name} is created (it is "
                             f"{existing.get(name)!r}, the row says {attributes[name]!r})", name)
        body = {k: v for k, v in attributes.items()
                if (s := self.resource.field(k)) is None or s.access != "c"}
        record = self._call(lambda: service.upsert(filters, body), attempts, True)
        return "updated", record

    def _call(self, fn: Callable[[], Any], attempts: list[int], idempotent: bool) -> Any:
        """Run one API call, retrying what may be retried; a _Final otherwise."""
        for attempt in range(1, self.max_attempts + 1):
            attempts[0] += 1
            try:
                return fn()
            except errors.RateLimitError as exc:   # refused, not applied: always safe to repeat
                error: Exception = exc
                delay = exc.retry_after if exc.retry_after is not None else self._delay(attempt)
            except _RETRYABLE as exc:
                if not idempotent:
                    raise _final(exc, uncertain=True) from None
                error, delay = exc, self._delay(attempt)
            except errors.BaseError as exc:
                raise _final(exc) from None
            except (errors.UnknownAttributeError, ValueError, TypeError) as exc:
                raise _Final("invalid", str(exc), getattr(exc, "attribute", None)) from None
            if attempt < self.max_attempts:
                logger.debug("retrying after %s in %.2f s", type(error).__name__, delay)
                time.sleep(delay)
        raise _final(error, attempts=self.max_attempts)

    def _delay(self, attempt: int) -> float:
        return backoff_delay(self.backoff, attempt, 8.0)

    def _key_lock(self, value: Any) -> _KeyLock:
        return _KeyLock(self, str(value).strip().lower())


class _KeyLock:
    """Rows with the same key value run one after another, so the second sees the first."""

    def __init__(self, importer: Importer, value: str) -> None:
        self.importer, self.value = importer, value

    def __enter__(self) -> None:
        imp = self.importer
        with imp._key_guard:
            entry = imp._key_locks.setdefault(self.value, [threading.Lock(), 0])
            entry[1] += 1
        entry[0].acquire()

    def __exit__(self, *exc: object) -> None:
        imp = self.importer
        with imp._key_guard:
            entry = imp._key_locks[self.value]
            entry[0].release()
            entry[1] -= 1
            if not entry[1]:
                del imp._key_locks[self.value]


def _ready(item: RowResult | Future[RowResult]) -> bool:
    return not isinstance(item, Future) or item.done()


def _final(exc: BaseException, uncertain: bool = False, attempts: int = 0) -> _Final:
    if isinstance(exc, errors.BaseError):
        first = exc.errors[0] if exc.errors else None
        code = (first.code if first and first.code else None) or f"http_{exc.http_status}"
        parts = [p for p in ((first.message, first.details) if first else ()) if p]
        text = " - ".join(dict.fromkeys(str(p) for p in parts)) or f"HTTP {exc.http_status}"
        field_ = first.field if first else None
    else:
        code = "timeout" if isinstance(exc, errors.TimeoutError) else "connection_error"
        text, field_ = str(exc).split("; ")[0], None
    if attempts:
        text = f"{text} (gave up after {attempts} attempts)"
    if uncertain:
        text += ("; the record may or may not have been created, so it was not retried "
                 "(import with a --key to retry safely)")
    return _Final(code, text, field_, uncertain)


def _get(record: Any, name: str) -> Any:
    return record.get(name) if isinstance(record, Mapping) else None


def _same(spec: catalog.Field | None, sent: Any, stored: Any) -> bool:
    """Whether the stored value already says what the row says."""
    if isinstance(sent, Mapping):
        # custom fields and address: the keys the row sets must match
        stored = stored if isinstance(stored, Mapping) else {}
        return all(_same(None, v, stored.get(k)) for k, v in sent.items())
    if spec is not None and spec.type == "tags":
        return isinstance(stored, list) and sorted(map(str, sent)) == sorted(map(str, stored))
    if isinstance(sent, list):
        return isinstance(stored, list) and len(sent) == len(stored) and \
            all(_same(None, a, b) for a, b in zip(sent, stored, strict=True))
    if sent == stored:
        return True
    if stored is None:
        return False
    if isinstance(sent, (Decimal, int, float)) and not isinstance(sent, bool):
        try:
            return parse_decimal(sent) == parse_decimal(stored)
        except ValueError:
            return False
    return _text(sent) == _text(stored)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


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
