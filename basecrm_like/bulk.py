"""Bulk imports and exports: concurrent, rate-limited, idempotent, resumable.

>>> summary = client.bulk.import_file("contacts", "people.csv", key="email")  # doctest: +SKIP
>>> summary.line()                                                             # doctest: +SKIP
'1000 rows: 990 created, 0 updated, 5 unchanged, 5 failed, 0 skipped in 101.2 s'

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

import csv
import logging
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from munch import Munch

from . import errors, resources
from .http_client import backoff_delay
from .journal import Journal, JournalEntry, JournalError
from .ratelimit import DEFAULT_RATE, TokenBucket, limiter_for
from .records import (
    ColumnMapper,
    InputError,
    InputRow,
    RowError,
    missing_required,
    read_rows,
)
from .resources import Resource

if TYPE_CHECKING:
    from .client import Client
    from .services import Service

__all__ = [
    "BulkService", "Importer", "ImportSummary", "RowResult", "ReportWriter", "STATUSES",
    "InputError", "JournalError", "default_journal_path",
]

logger = logging.getLogger("basecrm_like.bulk")

STATUSES = ("created", "updated", "unchanged", "failed", "skipped")
#: the status of a row that passed ``dry_run`` validation
VALID = "valid"
REPORT_COLUMNS = ("row", "line", "status", "id", "key", "error_code", "error_field", "message")
_RETRYABLE = (errors.ServerError, errors.ConnectionError, errors.TimeoutError)


@dataclass(frozen=True)
class RowResult:
    """The outcome of one input row.

    ``row`` counts records from 1 (the first record after a CSV header);
    ``line`` is where it starts in the file. Failures carry the API's error
    ``error_code`` and ``error_field`` (a JSON pointer or attribute name) and
    a readable ``message``. ``from_journal`` marks rows a resumed run took
    from the journal instead of sending them.
    """

    row: int
    status: str
    id: Any = None
    key: Any = None
    error_code: str | None = None
    error_field: str | None = None
    message: str | None = None
    line: int | None = None
    attempts: int = 0
    from_journal: bool = False
    uncertain: bool = False

    def as_row(self) -> dict[str, Any]:
        return {"row": self.row, "line": self.line, "status": self.status, "id": self.id,
                "key": self.key, "error_code": self.error_code,
                "error_field": self.error_field, "message": self.message}


@dataclass
class ImportSummary:
    """Counts per status and what the run cost."""

    resource: str
    counts: Counter[str] = field(default_factory=Counter)
    rows: int = 0
    elapsed: float = 0.0
    interrupted: bool = False
    dry_run: bool = False
    #: requests sent and 429 answers seen during the run (all threads of the client)
    requests: int = 0
    rate_limited: int = 0
    #: rows taken from the journal of an earlier run
    resumed: int = 0
    journal: str | None = None
    report: str | None = None

    @property
    def failed(self) -> int:
        return self.counts["failed"]

    @property
    def ok(self) -> bool:
        """True when no row failed and the run was not interrupted."""
        return not self.failed and not self.interrupted

    @property
    def rows_per_second(self) -> float:
        return (self.rows - self.resumed) / self.elapsed if self.elapsed > 0 else 0.0

    def line(self) -> str:
        """``"2000 rows: 1990 created, 3 updated, 2 unchanged, 5 failed, 0 skipped in 20.1 s"``."""
        names = (VALID, "failed", "skipped") if self.dry_run else STATUSES
        parts = ", ".join(f"{self.counts[n]} {n}" for n in names)
        text = f"{self.rows} row{'' if self.rows == 1 else 's'}: {parts} in {self.elapsed:.1f} s"
        if self.resumed:
            text += f" ({self.resumed} from the journal)"
        if self.interrupted:
            text += " (interrupted)"
        return text

    def as_dict(self) -> dict[str, Any]:
        return {"resource": self.resource, "rows": self.rows, "counts": dict(self.counts),
                "elapsed": round(self.elapsed, 3), "interrupted": self.interrupted,
                "requests": self.requests, "rate_limited": self.rate_limited,
                "resumed": self.resumed}


class ReportWriter:
    """Writes one CSV line per :class:`RowResult`, as results arrive (in input order)."""

    def __init__(self, path: str) -> None:
        self.path = path
        try:
            self._fh = open(path, "w", encoding="utf-8", newline="")
        except OSError as exc:
            raise InputError(f"cannot write the report {path}: {exc.strerror or exc}") from None
        self._writer = csv.DictWriter(self._fh, REPORT_COLUMNS)
        self._writer.writeheader()
        self._count = 0

    def __call__(self, result: RowResult) -> None:
        self._writer.writerow(result.as_row())
        self._count += 1
        if self._count % 500 == 0:
            self._fh.flush()

    def close(self) -> None:
        self._fh.close()


def default_journal_path(input_path: str | None, report_path: str | None) -> str:
    """Next to the report when there is one, else next to the input."""
    base = report_path or input_path
    if not base:
        raise ValueError("a journal needs a report or an input path to sit next to")
    return f"{base}.journal"


# -- the engine -----------------------------------------------------------------------
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
        self.resource = resource if isinstance(resource, Resource) else resources.get(resource)
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
        pool_size = getattr(getattr(service, "http_client", None), "config", None)
        pool_size = getattr(pool_size, "pool_size", concurrency)
        if isinstance(pool_size, int) and concurrency > pool_size:
            logger.warning("concurrency %d is above the client's pool_size %d: connections will "
                           "be opened and dropped; create the Client with pool_size=%d",
                           concurrency, pool_size, concurrency)
        self._key_locks: dict[Any, list[Any]] = {}
        self._key_guard = threading.Lock()

    def stop(self) -> None:
        """Finish the rows in flight, then return (what Ctrl-C does in the CLI)."""
        self.stop_event.set()

    # -- configuration checks -----------------------------------------------------------
    def _check_key(self, key: str) -> tuple[str, ...]:
        res = self.resource
        if "upsert" not in res.actions:
            upserts = ", ".join(r.name for r in resources.RESOURCES if "upsert" in r.actions)
            raise ValueError(f"--key needs the upsert endpoint, which {res.name} lacks "
                             f"(it exists for {upserts}); import without a key")
        head, dot, rest = key.partition(".")
        if dot and head == "custom_fields" and res.has_custom_fields and rest:
            return ("custom_fields", rest)
        if dot and head == "address" and f"address[{rest}]" in res.filters:
            return ("address", rest)
        if not dot and key in res.filters and res.field(key) is not None and key != "ids":
            return (key,)
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
        if self._key_path:
            task.key_value = _dig(attributes, self._key_path)
            if task.key_value is None or task.key_value == "":
                return self._finished(row, "failed", error=RowError(
                    "missing_key", f"the key {self.key} has no value in this row", self.key))
            task.filters = _nest(self._key_path, task.key_value)
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


def _dig(attributes: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = attributes
    for part in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _nest(path: tuple[str, ...], value: Any) -> dict[str, Any]:
    return {path[0]: value} if len(path) == 1 else {path[0]: {path[1]: value}}


def _get(record: Any, name: str) -> Any:
    return record.get(name) if isinstance(record, Mapping) else None


def _same(spec: resources.Field | None, sent: Any, stored: Any) -> bool:
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
            return Decimal(str(sent)) == Decimal(str(stored))
        except ArithmeticError:
            return False
    return _text(sent) == _text(stored)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# -- the client-facing service -----------------------------------------------------------
class BulkService:
    """``client.bulk``: imports and exports over one client's services and rate limit."""

    def __init__(self, client: Client) -> None:
        self.client = client

    def __repr__(self) -> str:
        return f"<BulkService {self.client!r}>"

    @property
    def limiter(self) -> TokenBucket:
        """The client's shared :class:`~basecrm_like.ratelimit.TokenBucket`."""
        return limiter_for(self.client.http_client)

    def service(self, resource: str) -> Service:
        res = resources.get(resource)
        service: Service = getattr(self.client, res.name)
        return service

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
    ) -> ImportSummary:
        """Create (or with ``key``, upsert) one record per row; see the module docs.

        ``rows`` is any iterable of dicts, read lazily: column or attribute
        names to values (strings are coerced by the catalog, ``"custom_fields.x"``
        and ``"address.city"`` keys are nested). ``on_result`` is called with
        each :class:`RowResult`, in input order. ``rate`` is requests per second
        for the whole client (0 = unlimited; None keeps the current one).
        ``report`` writes a CSV of the results; ``journal`` records outcomes so
        a later call with ``resume=True`` skips finished rows; ``stop`` (an
        Event) ends the run after the rows in flight.
        """
        limiter = None if dry_run else limiter_for(self.client.http_client, rate)
        opened = Journal(journal, {"resource": resources.get(resource).name, "key": key},
                         resume=resume) if journal and not dry_run else None
        try:
            importer = Importer(resource, None if dry_run else self.service(resource), key=key,
                                concurrency=concurrency, compare=compare, mapping=mapping,
                                journal=opened, stop=stop, max_attempts=max_attempts,
                                limiter=limiter)
        except BaseException:
            if opened is not None:
                opened.close()
            raise
        return run_with_report(importer, rows, on_result, report)

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
        """Every record matching ``filters``, fetched lazily page by page."""
        limiter_for(self.client.http_client)
        return self.service(resource).iterate(**filters)


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
