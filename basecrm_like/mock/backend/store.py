"""SQLite storage: one table per catalog resource, plus the change log Sync reads.

One connection, guarded by one lock, every request's writes in one
transaction: with SQLite's single writer this is as fast as a pool would be, and
it makes "no lost update, no duplicate id, no half-written state" hold by
construction. Records are stored as the JSON the API emits, so a read can splice
the stored text into the response without decoding it.

Tables: ``"<resource>"(parent, id, data)`` where ``parent`` is the nested path's
parent id (``deal_id`` for associated contacts, ``order_id`` for line items,
the resource type for custom fields, 0 otherwise); ``_ids`` for id counters;
``_changes`` with the latest revision of every object of a synced resource; and
the Sync tables (``_acks``, ``_sessions``, ``_queue``, see :mod:`.sync`).
"""
from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from ...catalog import RESOURCES, Resource
from . import events
from .dbcheck import check_database
from .search_index import index_statements

Parent = int | str

_SCHEMA = """
CREATE TABLE IF NOT EXISTS _ids (resource TEXT PRIMARY KEY, last INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS _meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS _changes (
    resource TEXT NOT NULL, id INTEGER NOT NULL, revision INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (resource, id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS _acks (
    device TEXT NOT NULL, resource TEXT NOT NULL, id INTEGER NOT NULL,
    revision INTEGER NOT NULL, PRIMARY KEY (device, resource, id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS _sessions (
    id TEXT PRIMARY KEY, device TEXT NOT NULL, cursor INTEGER NOT NULL DEFAULT 0,
    total INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS _queue (
    session TEXT NOT NULL, pos INTEGER NOT NULL, resource TEXT NOT NULL, id INTEGER NOT NULL,
    PRIMARY KEY (session, pos)) WITHOUT ROWID;
"""
INTERNAL_TABLES = ("_ids", "_meta", "_changes", "_acks", "_sessions", "_queue")


_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def dumps(record: Any) -> str:
    return _ENCODER.encode(record)


def _table(res: Resource) -> str:
    return f'"{res.name}"'


class Store:
    """The mock's state. Use :meth:`write` or :meth:`read` around every access."""

    def __init__(self, path: str | None = None) -> None:
        self.path = path or ":memory:"
        if path:
            check_database(path)
        self.lock = threading.RLock()
        self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        if path:
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(_SCHEMA)
        self.db.executescript(events.SCHEMA)
        #: the ``event_cause`` of the Firehose events the writes make (see :meth:`caused_by`)
        self.event_cause = events.INTERACTION
        for res in RESOURCES:
            self.db.execute(
                f"CREATE TABLE IF NOT EXISTS {_table(res)} (parent NOT NULL DEFAULT 0, "
                "id INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (parent, id))")
            if res.parent_params:
                self.db.execute(f'CREATE INDEX IF NOT EXISTS "{res.name}_id" ON {_table(res)}(id)')
            for statement in index_statements(res, self.db):
                self.db.execute(statement)

    def close(self) -> None:
        with self.lock:
            self.db.close()

    # -- transactions -----------------------------------------------------------------
    @contextmanager
    def write(self) -> Iterator[Store]:
        """Hold the lock for one transaction: committed on success, rolled back on any error."""
        with self.lock:
            if self.db.in_transaction:  # nested use inside a running write
                yield self
                return
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")

    @contextmanager
    def read(self) -> Iterator[Store]:
        with self.lock:
            yield self

    @contextmanager
    def caused_by(self, cause: str) -> Iterator[Store]:
        """Writes inside are logged with this Firehose ``event_cause`` (``system`` for
        cascades and records a write makes on its own)."""
        with self.lock:
            before, self.event_cause = self.event_cause, cause
            try:
                yield self
            finally:
                self.event_cause = before

    def execute(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        return self.db.execute(sql, params)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> sqlite3.Cursor:
        return self.db.executemany(sql, rows)

    # -- records ----------------------------------------------------------------------
    def get_raw(self, res: Resource, id: Any, parent: Parent = 0) -> str | None:
        row = self.db.execute(f"SELECT data FROM {_table(res)} WHERE parent=? AND id=?",
                              (parent, id)).fetchone()
        return None if row is None else str(row[0])

    def get(self, res: Resource, id: Any, parent: Parent = 0) -> dict[str, Any] | None:
        raw = self.get_raw(res, id, parent)
        return None if raw is None else dict(json.loads(raw))

    def exists(self, res: Resource, id: Any) -> bool:
        return self.db.execute(f"SELECT 1 FROM {_table(res)} WHERE id=? LIMIT 1",
                               (id,)).fetchone() is not None

    def insert(self, res: Resource, record: dict[str, Any], parent: Parent = 0) -> None:
        id_ = record[res.id_field]
        data = dumps(record)
        self.db.execute(f"INSERT INTO {_table(res)} (parent, id, data) VALUES (?, ?, ?)",
                        (parent, id_, data))
        self.track(res, id_)
        events.append(self.db, res, parent, id_, "created", data, {}, self.event_cause)

    def replace(self, res: Resource, record: dict[str, Any], parent: Parent = 0) -> None:
        id_ = record[res.id_field]
        old = self.get(res, id_, parent)
        data = dumps(record)
        self.db.execute(f"UPDATE {_table(res)} SET data=? WHERE parent=? AND id=?",
                        (data, parent, id_))
        self.track(res, id_)
        if old is not None:
            events.append(self.db, res, parent, id_, "updated", data,
                          events.changed_values(old, record), self.event_cause)

    def delete(self, res: Resource, id: Any, parent: Parent = 0) -> bool:
        old = self.get_raw(res, id, parent)
        cur = self.db.execute(f"DELETE FROM {_table(res)} WHERE parent=? AND id=?", (parent, id))
        if cur.rowcount:
            self.track(res, id, deleted=True)
            if old is not None:
                events.append(self.db, res, parent, id, "deleted", old, {}, self.event_cause)
        return cur.rowcount > 0

    def child_ids(self, res: Resource, parent: Parent) -> list[int]:
        return [row[0] for row in self.db.execute(
            f"SELECT id FROM {_table(res)} WHERE parent=?", (parent,))]

    def next_id(self, res: Resource, count: int = 1) -> int:
        """The first of ``count`` fresh ids; ids are never reused, even after a delete."""
        self.db.execute(
            "INSERT INTO _ids (resource, last) VALUES (?, ?) "
            "ON CONFLICT(resource) DO UPDATE SET last = last + excluded.last", (res.name, count))
        row = self.db.execute("SELECT last FROM _ids WHERE resource=?", (res.name,)).fetchone()
        return int(row[0]) - count + 1

    def reserve_id(self, res: Resource, id: int) -> None:
        """Make sure later fresh ids come after ``id`` (for records inserted with an id)."""
        self.db.execute(
            "INSERT INTO _ids (resource, last) VALUES (?, ?) "
            "ON CONFLICT(resource) DO UPDATE SET last = max(last, excluded.last)", (res.name, id))

    def select(self, res: Resource, where: Sequence[str], params: Sequence[Any], order: str,
               limit: int, offset: int = 0) -> list[str]:
        """Stored JSON texts of the matching records, in order."""
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        sql = f"SELECT data FROM {_table(res)} {clause} ORDER BY {order} LIMIT ? OFFSET ?"
        return [row[0] for row in self.db.execute(sql, (*params, limit, offset))]

    def select_ids(self, res: Resource, where: Sequence[str], params: Sequence[Any],
                   limit: int) -> list[tuple[Parent, int]]:
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        return [(row[0], row[1]) for row in self.db.execute(
            f"SELECT parent, id FROM {_table(res)} {clause} ORDER BY id LIMIT ?", (*params, limit))]

    def data_by_ids(self, res: Resource, ids: Iterable[int]) -> dict[int, str]:
        """Stored JSON per id, for Sync pages (chunks stay under SQLite's variable limit)."""
        wanted = list(ids)
        out: dict[int, str] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for id_, data in self.db.execute(
                    f"SELECT id, data FROM {_table(res)} WHERE id IN ({marks})", chunk):
                out[int(id_)] = str(data)
        return out

    def bulk_insert(self, res: Resource, rows: Iterable[tuple[Parent, dict[str, Any]]]) -> int:
        """Insert many records and their change-log rows at once (seeding)."""
        prepared = [(parent, rec[res.id_field], dumps(rec)) for parent, rec in rows]
        self.db.executemany(f"INSERT INTO {_table(res)} (parent, id, data) VALUES (?, ?, ?)",
                            prepared)
        for parent, id_, data in prepared:
            events.append(self.db, res, parent, id_, "created", data, {}, events.SYSTEM)
        if res.synced:
            self.db.executemany(
                "INSERT INTO _changes (resource, id, revision, deleted) VALUES (?, ?, 1, 0) "
                "ON CONFLICT(resource, id) DO UPDATE SET revision = revision + 1, deleted = 0",
                [(res.name, row[1]) for row in prepared])
        return len(prepared)

    # -- change log (read by Sync) ------------------------------------------------------
    def track(self, res: Resource, id: Any, deleted: bool = False) -> None:
        """Bump the object's revision in the same transaction as the write."""
        if not res.synced:
            return
        self.db.execute(
            "INSERT INTO _changes (resource, id, revision, deleted) VALUES (?, ?, 1, ?) "
            "ON CONFLICT(resource, id) DO UPDATE SET revision = revision + 1, "
            "deleted = excluded.deleted", (res.name, id, int(deleted)))

    # -- whole-state operations -------------------------------------------------------------
    def clear(self) -> None:
        """Remove every record, counter and Sync state (used by reset)."""
        for res in RESOURCES:
            self.db.execute(f"DELETE FROM {_table(res)}")
        for table in INTERNAL_TABLES:
            self.db.execute(f"DELETE FROM {table}")
        events.clear(self.db)

    def meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM _meta WHERE key=?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT INTO _meta (key, value) VALUES (?, ?) "
                        "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key, value))
