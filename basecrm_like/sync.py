"""Sync API: the low-level SyncService, the Sync (ACK/NACK) driver and a SQLite mirror.

Calls are made exactly as the official 1.x client makes them, because users'
unit tests mock ``HttpClient`` and assert on those calls.

The protocol in one paragraph: ``start`` opens a session for a device UUID,
``fetch`` is called until the queue is drained, and every item whose ack key
is acknowledged is never sent to that device again. Anything not acknowledged
comes back in a later session, so a consumer that acknowledges a page only
after it durably stored it can crash at any point without losing anything.
"""
from __future__ import annotations

import json
import logging
import os
import re
import sqlite3
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from . import resources
from .http_client import HttpClient
from .resources import Resource

if TYPE_CHECKING:  # the client imports this module; avoid the cycle at run time
    from .client import Client

logger = logging.getLogger("basecrm_like.sync")

DEVICE_HEADER = "X-Basecrm-Device-UUID"


class SyncService:
    """``start``, ``fetch`` and ``ack`` of the Sync API for one device UUID."""

    def __init__(self, http_client: HttpClient) -> None:
        self.__http_client = http_client

    @property
    def http_client(self) -> HttpClient:
        return self.__http_client

    def start(self, device_uuid: str) -> Any:
        """Open a session; None when there is nothing new for this device (204)."""
        status, _, session = self.http_client.post(
            "/sync/start", body=None, headers=self.build_headers(device_uuid))
        return None if status == 204 else session

    def fetch(self, device_uuid: str, session_id: str, queue: str = "main") -> list[Any]:
        """The next page of the queue: items with ``meta`` and ``data``; [] when drained."""
        status, _, root = self.http_client.get(
            f"/sync/{session_id}/queues/{queue}", params=None,
            headers=self.build_headers(device_uuid), raw=True)
        return [] if status == 204 else list(root["items"])

    def ack(self, device_uuid: str, ack_keys: list[str]) -> bool:
        """Acknowledge items so they are never sent to this device again."""
        status, _, _ = self.http_client.post(
            "/sync/ack", body={"ack_keys": ack_keys}, headers=self.build_headers(device_uuid))
        return status == 202

    @staticmethod
    def build_headers(device_uuid: str) -> dict[str, str]:
        return {DEVICE_HEADER: device_uuid}


# -- the driver ----------------------------------------------------------------------
@dataclass
class SyncSummary:
    """What one :meth:`Sync.fetch` or :meth:`Sync.run` did.

    ``by_type`` counts the items seen per ``meta.type``; ``estimated_total`` is
    the server's estimate from ``start`` (None when it gave none); ``stopped``
    is True when :meth:`Sync.request_stop` ended the run before the queue was drained.
    """

    session_id: str | None = None
    estimated_total: int | None = None
    pages: int = 0
    seen: int = 0
    acked: int = 0
    nacked: int = 0
    by_type: Counter[str] = field(default_factory=Counter)
    stopped: bool = False
    elapsed: float = 0.0

    @property
    def drained(self) -> bool:
        """True when the queue was read to its end (or there was nothing to read)."""
        return not self.stopped

    def describe(self) -> str:
        """One line for logs: ``120 items (acked 118, nacked 2) in 3 pages: contact 100, deal 20``."""
        types = ", ".join(f"{t} {n}" for t, n in sorted(self.by_type.items()))
        text = (f"{self.seen} items (acked {self.acked}, nacked {self.nacked}) "
                f"in {self.pages} pages")
        return f"{text}: {types}" if types else text


class Sink(Protocol):
    """Where :meth:`Sync.run` puts items.

    ``apply(items)`` stores a page durably and returns one ACK (True) or NACK
    (False) per item, in order. Items are only acknowledged after it returned,
    so what it committed must survive a crash right after it returns.
    """

    def apply(self, items: Sequence[Mapping[str, Any]]) -> list[bool]: ...


class Sync:
    """Drives a whole synchronization: start a session, drain the queue, acknowledge.

    >>> sync = Sync(client=client, device_uuid="<your device's UUID>")  # doctest: +SKIP
    >>> sync.fetch(lambda meta, data: Sync.ACK)                         # doctest: +SKIP

    Compared with the official driver it returns a :class:`SyncSummary`, stops
    cleanly on :meth:`request_stop`, and keeps what a failing callback already
    accepted (see :meth:`fetch`).
    """

    ACK = True
    NACK = False

    def __init__(self, client: Client, device_uuid: str) -> None:
        self.__client = client
        self.__device_uuid = device_uuid
        self._stop = threading.Event()
        #: the summary of the current or last run, readable after an exception
        self.summary = SyncSummary()

    @property
    def client(self) -> Client:
        return self.__client

    @property
    def device_uuid(self) -> str:
        return self.__device_uuid

    def __repr__(self) -> str:
        return f"<basecrm_like.Sync device_uuid={self.device_uuid!r}>"

    # -- control --------------------------------------------------------------
    def request_stop(self) -> None:
        """End the current run after the page in hand (callback, commit, ack).

        Safe to call from a signal handler or another thread; called between
        runs, it ends the next one before its first page. What is not fetched
        yet stays on the server for the next run.
        """
        self._stop.set()

    @staticmethod
    def device_uuid_from(path: str | os.PathLike[str]) -> str:
        """The device UUID kept in ``path``, created (uuid4) on first use.

        The file is written atomically, and when two processes create it at the
        same moment both end up with the one that landed first. Keep the file:
        a new UUID makes the server send the whole account again.
        """
        target = Path(path)
        existing = _read_device_file(target)
        if existing is not None:
            return existing
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        try:
            with os.fdopen(fd, "w", encoding="ascii") as fh:
                fh.write(f"{uuid.uuid4()}\n")
                fh.flush()
                os.fsync(fh.fileno())
            try:
                os.link(tmp, target)  # fails if another process got there first
            except FileExistsError:
                pass
            except OSError:  # no hard links on this file system
                os.replace(tmp, target)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        _fsync_dir(target.parent)
        found = _read_device_file(target)
        if found is None:  # pragma: no cover - only if the file vanished in between
            raise OSError(f"could not keep the device UUID in {target}")
        return found

    # -- the flows ------------------------------------------------------------
    def fetch(self, callback: Callable[[Any, Any], Any]) -> SyncSummary:
        """Call ``callback(meta, data)`` for every item; acknowledge those it ACKs.

        ``callback`` returns :attr:`ACK` (or anything true) to acknowledge an
        item and :attr:`NACK` to have it sent again in a later session. The
        keys of a page are acknowledged after the callback returned for every
        item of that page, never before.

        If the callback raises, the run stops: the items of that page it
        already ACKed are acknowledged, the failing item and the rest are not
        (they come back next time), and the exception propagates.
        """

        def handle(items: list[Any]) -> tuple[list[str], BaseException | None]:
            keys: list[str] = []
            for item in items:
                try:
                    verdict = callback(item["meta"], item["data"])
                except BaseException as exc:  # KeyboardInterrupt too: keep what was done
                    return keys, exc
                self._count(item, bool(verdict), keys)
            return keys, None

        return self._drain(handle)

    def run(self, sink: Sink, progress: Callable[[SyncSummary], None] | None = None) -> SyncSummary:
        """Drain the queue into ``sink`` (e.g. :class:`SqliteMirror`), page by page.

        Each page is handed to ``sink.apply`` (one transaction) and acknowledged
        only after it returned, so the run can be killed at any moment and run
        again: nothing is lost and nothing is applied twice. ``progress`` is
        called with the running summary after every acknowledged page.
        """

        def handle(items: list[Any]) -> tuple[list[str], BaseException | None]:
            verdicts = sink.apply(items)
            if len(verdicts) != len(items):
                raise ValueError(f"{type(sink).__name__}.apply returned {len(verdicts)} "
                                 f"verdicts for {len(items)} items")
            keys: list[str] = []
            for item, verdict in zip(items, verdicts, strict=True):
                self._count(item, verdict, keys)
            return keys, None

        return self._drain(handle, progress)

    # -- the loop shared by both ---------------------------------------------
    def _drain(self, handle: Callable[[list[Any]], tuple[list[str], BaseException | None]],
               progress: Callable[[SyncSummary], None] | None = None) -> SyncSummary:
        summary = self.summary = SyncSummary()
        started = time.monotonic()
        try:
            session = self.client.sync.start(self.device_uuid)
            if session is None or "id" not in session:
                return summary
            summary.session_id = str(session["id"])
            summary.estimated_total = _estimated_total(session)
            previous: list[str] | None = None
            while not self._stop.is_set():
                items = self.client.sync.fetch(self.device_uuid, session["id"])
                if not items:
                    break
                summary.pages += 1
                keys, failure = handle(items)
                if failure is not None:
                    self._ack_after_failure(keys)
                    raise failure
                if keys:
                    self.client.sync.ack(self.device_uuid, keys)
                if progress is not None:
                    progress(summary)
                page_keys = [_ack_key(i) or "" for i in items]
                if page_keys == previous:  # a server resending one page forever
                    logger.warning("sync: the server sent the same page twice in session %s; "
                                   "stopping this run", summary.session_id)
                    break
                previous = page_keys
            else:
                summary.stopped = True
            return summary
        finally:
            summary.elapsed = time.monotonic() - started
            self._stop.clear()  # a stop ends one run; one asked for before it began counts

    def _count(self, item: Any, verdict: bool, keys: list[str]) -> None:
        summary = self.summary
        summary.seen += 1
        summary.by_type[_item_type(item)] += 1
        key = _ack_key(item) if verdict else None
        if key is not None:
            keys.append(key)
            summary.acked += 1
        else:
            if verdict:
                logger.warning("sync: an item has no meta.sync.ack_key; it cannot be acknowledged")
            summary.nacked += 1

    def _ack_after_failure(self, keys: list[str]) -> None:
        if not keys:
            return
        try:
            self.client.sync.ack(self.device_uuid, keys)
        except Exception:  # the callback's exception is the one to report
            logger.exception("sync: could not acknowledge %d items before stopping; "
                             "they will be sent again", len(keys))


def _item_type(item: Any) -> str:
    meta = item.get("meta") if isinstance(item, Mapping) else None
    kind = meta.get("type") if isinstance(meta, Mapping) else None
    return str(kind) if kind else "unknown"


def _ack_key(item: Any) -> str | None:
    try:
        key = item["meta"]["sync"]["ack_key"]
    except (KeyError, TypeError):
        return None
    return None if key is None else str(key)


def _estimated_total(session: Any) -> int | None:
    try:
        queues = session.get("queues") or []
        total = sum(int((q.get("data") or q)["total_count"]) for q in queues)
    except (AttributeError, KeyError, TypeError, ValueError):
        return None
    return total if queues else None


_UUID_RE = re.compile(r"^[0-9a-fA-F-]{32,36}$")


def _read_device_file(path: Path) -> str | None:
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return None
    except UnicodeDecodeError:
        text = "?"
    if not _UUID_RE.match(text):
        raise ValueError(
            f"{path} does not hold a device UUID; fix or delete it (a new UUID makes the "
            "server send the whole account again)")
    return text


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. Windows
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


# -- the SQLite mirror ---------------------------------------------------------------
_JSON_TYPES = frozenset({"address", "tags", "custom_fields", "integer_list", "object",
                         "object_list"})
_SQL_TYPES = {"integer": "INTEGER", "boolean": "INTEGER", "number": "REAL", "string": "TEXT",
              "decimal": "TEXT", "datetime": "TEXT", "date": "TEXT"}
_RESERVED = frozenset({"id", "revision", "document"})
_TYPES_TABLE = "_sync_types"
_TOMBSTONES = "_sync_tombstones"


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _dump(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


@dataclass
class _Table:
    name: str
    type: str
    columns: tuple[str, ...]  # typed columns besides id, revision, document
    json_columns: frozenset[str]
    integer_ids: bool
    upsert_sql: str = ""
    delete_sql: str = ""

    def row(self, data: Mapping[str, Any], revision: Any) -> tuple[Any, ...]:
        values: list[Any] = [data["id"], revision, _dump(data)]
        for col in self.columns:
            value = data.get(col)
            if value is not None and (col in self.json_columns
                                      or isinstance(value, (dict, list))):
                value = _dump(value)
            values.append(value)
        return tuple(values)


class SqliteMirror:
    """A local copy of an account in SQLite, fed by :meth:`Sync.run`.

    One table per resource (``deals``, ``contacts``...) with the catalog's
    fields as columns (lists and objects as JSON text), plus ``revision`` and
    the whole record as JSON in ``document``. Types the catalog does not know
    get a table of their own with ``id``, ``revision`` and ``document`` only.

    Each page is applied in one transaction: created and updated items are
    upserts that never replace a higher revision, deleted items are deletes
    (remembered, so a late, older update cannot bring a record back).

    >>> with SqliteMirror("crm.sqlite") as mirror:                    # doctest: +SKIP
    ...     Sync(client, Sync.device_uuid_from("crm.sqlite.device")).run(mirror)
    ...     mirror.query("deals", stage_id=3)
    """

    def __init__(self, path: str | os.PathLike[str], timeout: float = 30.0) -> None:
        self.path = os.fspath(path)
        self._conn = sqlite3.connect(self.path, timeout=timeout, isolation_level=None,
                                     check_same_thread=False)
        self._lock = threading.RLock()
        self._tables: dict[str, _Table] = {}  # by type
        try:
            self._conn.execute("PRAGMA journal_mode=WAL")
            # FULL: a commit survives power loss too, since acknowledging follows it
            self._conn.execute("PRAGMA synchronous=FULL")
            with self._transaction():
                self._conn.execute(
                    f"CREATE TABLE IF NOT EXISTS {_TYPES_TABLE} "
                    "(type TEXT PRIMARY KEY, tbl TEXT NOT NULL UNIQUE)")
                self._conn.execute(
                    f"CREATE TABLE IF NOT EXISTS {_TOMBSTONES} "
                    "(tbl TEXT NOT NULL, id NOT NULL, revision INTEGER, "
                    "PRIMARY KEY (tbl, id)) WITHOUT ROWID")
        except BaseException:
            self._conn.close()
            raise

    def __repr__(self) -> str:
        return f"<basecrm_like.SqliteMirror {self.path!r}>"

    def __enter__(self) -> SqliteMirror:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @property
    def connection(self) -> sqlite3.Connection:
        """The underlying connection, for your own SQL (read-only use advised)."""
        return self._conn

    # -- writing --------------------------------------------------------------
    def apply(self, items: Sequence[Mapping[str, Any]]) -> list[bool]:
        """Apply one page of Sync items in one transaction; one ACK/NACK per item.

        Malformed items (no type, no id, a non-integer id for a catalog type)
        are NACKed and left out; everything else is committed before this returns.
        """
        verdicts: list[bool] = []
        upserts: dict[str, list[tuple[Any, ...]]] = {}
        deletes: dict[str, list[tuple[Any, ...]]] = {}
        with self._lock, self._transaction():
            for item in items:
                parsed = self._parse(item)
                if parsed is None:
                    verdicts.append(False)
                    continue
                table, event, data, revision = parsed
                if event == "deleted":
                    deletes.setdefault(table.type, []).append((data["id"], revision))
                else:
                    upserts.setdefault(table.type, []).append(
                        (*table.row(data, revision), table.name, data["id"], revision))
                verdicts.append(True)
            for kind, rows in deletes.items():
                table = self._tables[kind]
                self._conn.executemany(table.delete_sql, rows)
                self._conn.executemany(
                    f"INSERT INTO {_TOMBSTONES} (tbl, id, revision) VALUES (?, ?, ?) "
                    "ON CONFLICT (tbl, id) DO UPDATE SET revision = CASE "
                    "WHEN revision IS NULL OR excluded.revision > revision "
                    "THEN excluded.revision ELSE revision END",
                    [(table.name, r[0], r[1]) for r in rows])
            for kind, rows in upserts.items():
                self._conn.executemany(self._tables[kind].upsert_sql, rows)
        return verdicts

    def _parse(self, item: Mapping[str, Any]) -> tuple[_Table, str, Mapping[str, Any], Any] | None:
        meta = item.get("meta") if isinstance(item, Mapping) else None
        data = item.get("data") if isinstance(item, Mapping) else None
        if not isinstance(meta, Mapping) or not isinstance(data, Mapping):
            logger.warning("sync mirror: item without meta or data, not acknowledged")
            return None
        kind = meta.get("type")
        ident = data.get("id")
        sync_meta = meta.get("sync")
        if not isinstance(sync_meta, Mapping):
            sync_meta = {}
        revision = sync_meta.get("revision")
        if not isinstance(kind, str) or not kind or ident is None or isinstance(ident, bool):
            logger.warning("sync mirror: item of type %r without an id, not acknowledged", kind)
            return None
        table = self._table(kind)
        if table.integer_ids and not isinstance(ident, int):
            logger.warning("sync mirror: %s id %r is not an integer, not acknowledged", kind, ident)
            return None
        if revision is not None and (isinstance(revision, bool) or not isinstance(revision, int)):
            try:
                revision = int(revision)
            except (TypeError, ValueError):
                logger.warning("sync mirror: %s %r has revision %r, not acknowledged",
                               kind, ident, revision)
                return None
        return table, str(sync_meta.get("event_type") or "updated"), data, revision

    # -- tables ---------------------------------------------------------------
    def _table(self, kind: str) -> _Table:
        table = self._tables.get(kind)
        if table is None:
            table = self._tables[kind] = self._ensure_table(kind)
        return table

    def _ensure_table(self, kind: str) -> _Table:
        res = resources.by_type(kind)
        row = self._conn.execute(f"SELECT tbl FROM {_TYPES_TABLE} WHERE type = ?",
                                 (kind,)).fetchone()
        name = row[0] if row else self._new_table_name(kind, res)
        columns: list[tuple[str, str]] = []
        json_columns: set[str] = set()
        if res is not None:
            for spec in res.fields:
                if spec.name in _RESERVED:
                    continue
                json_type = spec.type in _JSON_TYPES
                columns.append((spec.name, "TEXT" if json_type else _SQL_TYPES[spec.type]))
                if json_type:
                    json_columns.add(spec.name)
        id_spec = res.field("id") if res is not None else None
        integer_ids = id_spec is not None and id_spec.type == "integer"
        id_decl = "id INTEGER PRIMARY KEY" if integer_ids else "id NOT NULL PRIMARY KEY"
        cols_sql = "".join(f", {_q(c)} {t}" for c, t in columns)
        self._conn.execute(f"CREATE TABLE IF NOT EXISTS {_q(name)} "
                           f"({id_decl}, revision INTEGER, document TEXT NOT NULL{cols_sql})")
        if not row:
            self._conn.execute(f"INSERT INTO {_TYPES_TABLE} (type, tbl) VALUES (?, ?)", (kind, name))
        self._add_missing_columns(name, columns, json_columns)
        table = _Table(name, kind, tuple(c for c, _ in columns), frozenset(json_columns),
                       integer_ids)
        all_cols = ["id", "revision", "document", *table.columns]
        updates = ", ".join(f"{_q(c)} = excluded.{_q(c)}" for c in all_cols[1:])
        qt = _q(name)
        table.upsert_sql = (
            f"INSERT INTO {qt} ({', '.join(_q(c) for c in all_cols)}) "
            f"SELECT {', '.join('?' for _ in all_cols)} WHERE NOT EXISTS ("
            f"SELECT 1 FROM {_TOMBSTONES} t WHERE t.tbl = ? AND t.id = ? AND t.revision >= ?) "
            f"ON CONFLICT (id) DO UPDATE SET {updates} "
            f"WHERE excluded.revision IS NULL OR {qt}.revision IS NULL "
            f"OR excluded.revision >= {qt}.revision")
        table.delete_sql = (f"DELETE FROM {qt} WHERE id = ?1 AND (?2 IS NULL OR revision IS NULL "
                            f"OR revision <= ?2)")
        return table

    def _new_table_name(self, kind: str, res: Resource | None) -> str:
        if res is not None:
            return res.name
        base = re.sub(r"[^a-z0-9_]", "_", kind.lower()) or "unknown"
        taken = {r[0] for r in self._conn.execute(f"SELECT tbl FROM {_TYPES_TABLE}")}
        name = base
        n = 1
        while name in taken or name in resources.CATALOG or name.startswith("_sync") \
                or name.startswith("sqlite_"):
            n += 1
            name = f"x_{base}" if n == 2 else f"x_{base}_{n}"
        return name

    def _add_missing_columns(self, name: str, columns: Iterable[tuple[str, str]],
                             json_columns: set[str]) -> None:
        """A newer catalog may know more fields than the table: add and fill them."""
        present = {r[1] for r in self._conn.execute(f"PRAGMA table_info({_q(name)})")}
        for col, decl in columns:
            if col in present:
                continue
            self._conn.execute(f"ALTER TABLE {_q(name)} ADD COLUMN {_q(col)} {decl}")
            extract = ("json(json_extract(document, ?))" if col in json_columns
                       else "json_extract(document, ?)")
            self._conn.execute(f"UPDATE {_q(name)} SET {_q(col)} = {extract}", ("$." + _q(col),))

    # -- reading --------------------------------------------------------------
    def tables(self) -> list[str]:
        """Names of the data tables, sorted (``contacts``, ``deals``, ...)."""
        with self._lock:
            rows = self._conn.execute(f"SELECT tbl FROM {_TYPES_TABLE} ORDER BY tbl").fetchall()
        return [r[0] for r in rows]

    def table_for(self, name: str) -> str | None:
        """The table holding a resource name (``deals``) or type (``deal``); None if none yet."""
        res = resources.CATALOG.get(name) or resources.by_type(name)
        with self._lock:
            if res is not None:
                rows = self._conn.execute(f"SELECT tbl FROM {_TYPES_TABLE} WHERE type = ?",
                                          (res.type,)).fetchall()
                return str(rows[0][0]) if rows else None
            rows = self._conn.execute(
                f"SELECT tbl FROM {_TYPES_TABLE} WHERE tbl = ? UNION ALL "
                f"SELECT tbl FROM {_TYPES_TABLE} WHERE type = ?", (name, name)).fetchall()
        if rows:
            return str(rows[0][0])
        raise KeyError(f"no table for {name!r} in {self.path}; tables: "
                       f"{', '.join(self.tables()) or 'none yet'}")

    def count(self, table: str) -> int:
        """Rows in a table (resource name or type); 0 for a known resource not synced yet."""
        name = self.table_for(table)
        if name is None:
            return 0
        with self._lock:
            return int(self._conn.execute(f"SELECT count(*) FROM {_q(name)}").fetchone()[0])

    def counts(self) -> dict[str, int]:
        """Rows per table."""
        return {t: self.count(t) for t in self.tables()}

    def get(self, table: str, id: Any) -> dict[str, Any] | None:
        """One record by id, or None."""
        found = self.query(table, id=id)
        return found[0] if found else None

    def query(self, table: str, **filters: Any) -> list[dict[str, Any]]:
        """Records (the JSON documents) whose attributes equal the filters, by id.

        ``mirror.query("deals", stage_id=3, hot=True)``; ``table`` is a resource
        name or type. Attributes without a column of their own are read from the
        document. ``None`` matches a missing or null value.
        """
        name = self.table_for(table)
        if name is None:
            return []
        with self._lock:
            present = {r[1] for r in self._conn.execute(f"PRAGMA table_info({_q(name)})")}
            clauses: list[str] = []
            params: list[Any] = []
            for key, value in filters.items():
                if key in present and key != "document":
                    target = _q(key)
                else:
                    target = "json_extract(document, ?)"
                    params.append("$." + _q(key))
                if value is None:
                    clauses.append(f"{target} IS NULL")
                    continue
                if isinstance(value, (dict, list)):
                    target = f"json({target})"
                    value = _dump(value)
                clauses.append(f"{target} = ?")
                params.append(value)
            where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
            rows = self._conn.execute(
                f"SELECT document FROM {_q(name)}{where} ORDER BY id", params).fetchall()
        return [json.loads(r[0]) for r in rows]

    # -- plumbing -------------------------------------------------------------
    def _transaction(self) -> _Transaction:
        return _Transaction(self._conn)


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on any exception (KeyboardInterrupt too)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> None:
        self.conn.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: type[BaseException] | None, *rest: object) -> None:
        if exc_type is None:
            self.conn.execute("COMMIT")
        elif self.conn.in_transaction:
            self.conn.execute("ROLLBACK")
