"""A local copy of an account in SQLite, fed page by page by :meth:`Sync.run`.

The mirror is the :class:`~basecrm_like.sync.driver.Sink` the command line and
most users drain the Sync queue into; it never talks to the API itself. It
needs nothing beyond the standard library's ``sqlite3``.
"""
from __future__ import annotations

import contextlib
import json
import logging
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import unquote, urlsplit

from .. import catalog
from ..catalog import Resource
from ..http.errors import Error
from .base import JSON_TYPES as _JSON_TYPES
from .base import Mirror, MirrorError, Rejection, check_delete_mode, table_name_for
from .locks import file_lock

logger = logging.getLogger("basecrm_like.sync")


class UnknownTableError(Error, KeyError):
    """A table was asked for that the mirror does not hold.

    Also a ``KeyError``, as it was before it had a class of its own.
    """

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""

_SQL_TYPES = {"integer": "INTEGER", "boolean": "INTEGER", "number": "REAL", "string": "TEXT",
              "decimal": "TEXT", "datetime": "TEXT", "date": "TEXT"}
_RESERVED = frozenset({"id", "revision", "document", "synced_at", "deleted_at"})
_TYPES_TABLE = "_sync_types"
_TOMBSTONES = "_sync_tombstones"
_CHECKPOINTS = "_sync_checkpoints"
_SETTINGS = "_sync_settings"
#: the layout this code writes; older files are upgraded in place when opened
SCHEMA_VERSION = 2


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
    soft_delete_sql: str = ""

    def row(self, data: Mapping[str, Any], revision: Any, document: str,
            synced_at: str) -> tuple[Any, ...]:
        values: list[Any] = [data["id"], revision, document, synced_at]
        for col in self.columns:
            value = data.get(col)
            if value is not None and (col in self.json_columns
                                      or isinstance(value, (dict, list))):
                value = _dump(value)
            values.append(value)
        return tuple(values)


def sqlite_path(url: str | os.PathLike[str]) -> str:
    """The file path in ``sqlite:///relative``, ``sqlite:////absolute`` or a plain path."""
    text = os.fspath(url)
    if not text.lower().startswith("sqlite:"):
        return text
    parts = urlsplit(text)
    if parts.netloc not in ("", "localhost"):
        raise MirrorError(f"{text!r}: a sqlite URL names a local file: sqlite:///crm.sqlite "
                          "(relative) or sqlite:////var/lib/crm.sqlite (absolute)")
    path = unquote(parts.path)
    path = path[1:] if path.startswith("/") else path
    if not path:
        raise MirrorError(f"{text!r} names no file; for example sqlite:///crm.sqlite")
    return path


class SqliteMirror(Mirror):
    """A local copy of an account in SQLite, fed by :meth:`Sync.run`.

    One table per resource (``deals``, ``contacts``...) with the catalog's
    fields as columns (lists and objects as JSON text), plus ``revision``,
    ``synced_at`` (UTC, ISO 8601) and the whole record as JSON in ``document``.
    Types the catalog does not know get a table of their own with ``id``,
    ``revision``, ``document`` and ``synced_at`` only.

    Each page is applied in one transaction: created and updated items are
    upserts that never replace a higher revision, deleted items are deletes
    (remembered, so a late, older update cannot bring a record back). With
    ``deletes="soft"`` a deleted record keeps its row, with ``deleted_at`` set,
    and the reading methods leave it out. The mode is kept in the file.

    >>> with SqliteMirror("crm.sqlite") as mirror:                    # doctest: +SKIP
    ...     Sync(client, Sync.device_uuid_from("crm.sqlite.device")).run(mirror)
    ...     mirror.query("deals", stage_id=3)
    """

    schemes = ("", "sqlite")

    def __init__(self, path: str | os.PathLike[str], timeout: float = 30.0, *,
                 deletes: str | None = None) -> None:
        self.path = sqlite_path(path)
        self.rejected: list[Rejection] = []
        self._conn = sqlite3.connect(self.path, timeout=timeout, isolation_level=None,
                                     check_same_thread=False)
        self._lock = threading.RLock()
        self._tables: dict[str, _Table] = {}  # by type
        try:
            self._conn.execute("PRAGMA journal_mode=WAL")
            # FULL: a commit survives power loss too, since acknowledging follows it
            self._conn.execute("PRAGMA synchronous=FULL")
            with self._transaction():
                self._migrate()
                self.deletes = self._delete_mode(deletes)
        except BaseException:
            self._conn.close()
            raise

    # -- schema versions ---------------------------------------------------------
    def _migrate(self) -> None:
        """Create the bookkeeping tables, or upgrade an older file's layout in place.

        Version 1 (no settings table) had the types and tombstones tables and
        data tables without ``synced_at``/``deleted_at``; version 2 adds those
        columns, the checkpoints and the settings.
        """
        conn = self._conn
        has = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        version = 0
        if _SETTINGS in has:
            row = conn.execute(f"SELECT value FROM {_SETTINGS} WHERE key = 'schema_version'"
                               ).fetchone()
            version = int(row[0]) if row else 0
        elif _TYPES_TABLE in has:
            version = 1
        if version > SCHEMA_VERSION:
            raise MirrorError(f"{self.path} was written by a newer basecrm_like (layout "
                              f"{version}, this one knows up to {SCHEMA_VERSION}); upgrade "
                              "basecrm_like to use it")
        conn.execute(f"CREATE TABLE IF NOT EXISTS {_TYPES_TABLE} "
                     "(type TEXT PRIMARY KEY, tbl TEXT NOT NULL UNIQUE)")
        conn.execute(f"CREATE TABLE IF NOT EXISTS {_TOMBSTONES} "
                     "(tbl TEXT NOT NULL, id NOT NULL, revision INTEGER, "
                     "PRIMARY KEY (tbl, id)) WITHOUT ROWID")
        conn.execute(f"CREATE TABLE IF NOT EXISTS {_CHECKPOINTS} "
                     "(name TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at TEXT NOT NULL)")
        conn.execute(f"CREATE TABLE IF NOT EXISTS {_SETTINGS} "
                     "(key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        if version < 2:
            for (name,) in conn.execute(f"SELECT tbl FROM {_TYPES_TABLE}").fetchall():
                present = {r[1] for r in conn.execute(f"PRAGMA table_info({_q(name)})")}
                for col in ("synced_at", "deleted_at"):
                    if col not in present:
                        conn.execute(f"ALTER TABLE {_q(name)} ADD COLUMN {col} TEXT")
                if "deleted_at" in present:  # a record field (users) before: now the mirror's
                    conn.execute(f"UPDATE {_q(name)} SET deleted_at = NULL")
            if version:
                logger.info("sync mirror: upgraded %s from layout %d to %d", self.path,
                            version, SCHEMA_VERSION)
        conn.execute(f"INSERT OR REPLACE INTO {_SETTINGS} VALUES ('schema_version', ?)",
                     (str(SCHEMA_VERSION),))

    def _delete_mode(self, wanted: str | None) -> str:
        row = self._conn.execute(f"SELECT value FROM {_SETTINGS} WHERE key = 'deletes'"
                                 ).fetchone()
        if row is None:
            mode = check_delete_mode(wanted or "hard")
            self._conn.execute(f"INSERT INTO {_SETTINGS} VALUES ('deletes', ?)", (mode,))
            return mode
        if wanted is not None and check_delete_mode(wanted) != row[0]:
            raise MirrorError(f"{self.path} keeps {row[0]} deletes; it cannot switch to "
                              f"{wanted} (start a new mirror for that)")
        return str(row[0])

    @contextlib.contextmanager
    def writer(self, wait: bool | float = False) -> Iterator[None]:
        """Hold the writer lock (``DB.lock`` next to the file) for a whole sync.

        A second holder waits (``wait=True`` or seconds) or gets a
        :class:`~basecrm_like.sync.base.MirrorBusyError` saying another sync is running.
        """
        if self.path == ":memory:" or self.path.startswith("file:"):
            yield
            return
        with file_lock(self.path + ".lock", self.path, wait):
            yield

    def checkpoint(self, name: str) -> str | None:
        """The value :meth:`apply` last stored under ``name``; None if none yet."""
        with self._lock:
            row = self._conn.execute(f"SELECT value FROM {_CHECKPOINTS} WHERE name = ?",
                                     (name,)).fetchone()
        return None if row is None else str(row[0])

    def __repr__(self) -> str:
        return f"<basecrm_like.SqliteMirror {self.path!r}>"

    def __enter__(self) -> SqliteMirror:
        return self

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @property
    def connection(self) -> sqlite3.Connection:
        """The underlying connection, for your own SQL (read-only use advised)."""
        return self._conn

    # -- writing --------------------------------------------------------------
    def apply(self, items: Sequence[Mapping[str, Any]],
              checkpoint: tuple[str, str] | None = None) -> list[bool]:
        """Apply one page of Sync items in one transaction; one ACK/NACK per item.

        Items it cannot store (no type, no id, a non-integer id for a catalog
        type, an integer beyond 64 bits, a non-finite number...) are NACKed,
        left out and added to :attr:`rejected`; everything else is committed
        before this returns. ``checkpoint=(name, value)`` is stored in the same
        transaction (read it back with :meth:`checkpoint`).
        """
        verdicts: list[bool] = []
        upserts: dict[str, list[tuple[Any, ...]]] = {}
        deletes: dict[str, list[tuple[Any, ...]]] = {}
        now = datetime.now(timezone.utc).isoformat(timespec="microseconds")
        with self._lock, self._transaction():
            for item in items:
                parsed = self._parse(item)
                if parsed is None:
                    verdicts.append(False)
                    continue
                table, event, data, revision, document = parsed
                if event == "deleted":
                    deletes.setdefault(table.type, []).append((data["id"], revision, now))
                else:
                    upserts.setdefault(table.type, []).append(
                        (*table.row(data, revision, document, now), table.name, data["id"],
                         revision))
                verdicts.append(True)
            for kind, rows in deletes.items():
                table = self._tables[kind]
                if self.deletes == "soft":
                    self._conn.executemany(table.soft_delete_sql, rows)
                else:
                    self._conn.executemany(table.delete_sql, [r[:2] for r in rows])
                self._conn.executemany(
                    f"INSERT INTO {_TOMBSTONES} (tbl, id, revision) VALUES (?, ?, ?) "
                    "ON CONFLICT (tbl, id) DO UPDATE SET revision = CASE "
                    "WHEN revision IS NULL OR excluded.revision > revision "
                    "THEN excluded.revision ELSE revision END",
                    [(table.name, r[0], r[1]) for r in rows])
            for kind, rows in upserts.items():
                self._conn.executemany(self._tables[kind].upsert_sql, rows)
            if checkpoint is not None:
                name, value = checkpoint
                self._conn.execute(
                    f"INSERT INTO {_CHECKPOINTS} (name, value, updated_at) VALUES (?, ?, ?) "
                    "ON CONFLICT (name) DO UPDATE SET value = excluded.value, "
                    "updated_at = excluded.updated_at", (str(name), str(value), now))
        return verdicts

    def _parse(self, item: Mapping[str, Any]
               ) -> tuple[_Table, str, Mapping[str, Any], Any, str] | None:
        meta = item.get("meta") if isinstance(item, Mapping) else None
        kind = meta.get("type") if isinstance(meta, Mapping) else None
        table = self._table(kind) if isinstance(kind, str) and kind else None
        parsed = self._parse_item(item, table is not None and table.integer_ids)
        if parsed is None or table is None:
            return None
        return table, parsed.event, parsed.data, parsed.revision, parsed.document

    # -- tables ---------------------------------------------------------------
    def _table(self, kind: str) -> _Table:
        table = self._tables.get(kind)
        if table is None:
            table = self._tables[kind] = self._ensure_table(kind)
        return table

    def _ensure_table(self, kind: str) -> _Table:
        res = catalog.by_type(kind)
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
                           f"({id_decl}, revision INTEGER, document TEXT NOT NULL, "
                           f"synced_at TEXT, deleted_at TEXT{cols_sql})")
        if not row:
            for col, _ in columns:
                if col.endswith("_id"):
                    self._conn.execute(f"CREATE INDEX IF NOT EXISTS {_q(name + '_' + col)} "
                                       f"ON {_q(name)} ({_q(col)})")
        if not row:
            self._conn.execute(f"INSERT INTO {_TYPES_TABLE} (type, tbl) VALUES (?, ?)", (kind, name))
        self._add_missing_columns(name, columns, json_columns)
        table = _Table(name, kind, tuple(c for c, _ in columns), frozenset(json_columns),
                       integer_ids)
        all_cols = ["id", "revision", "document", "synced_at", *table.columns]
        updates = ", ".join(f"{_q(c)} = excluded.{_q(c)}" for c in all_cols[1:])
        updates += ", deleted_at = NULL"
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
        table.soft_delete_sql = (
            f"UPDATE {qt} SET deleted_at = ?3, synced_at = ?3, revision = coalesce(?2, revision) "
            f"WHERE id = ?1 AND deleted_at IS NULL AND (?2 IS NULL OR revision IS NULL "
            f"OR revision <= ?2)")
        return table

    def _new_table_name(self, kind: str, res: Resource | None) -> str:
        if res is not None:
            return res.name
        taken = {r[0] for r in self._conn.execute(f"SELECT tbl FROM {_TYPES_TABLE}")}
        return table_name_for(kind, taken)

    def _add_missing_columns(self, name: str, columns: Iterable[tuple[str, str]],
                             json_columns: set[str]) -> None:
        """A newer catalog may know more fields than the table: add and fill them."""
        present = {r[1] for r in self._conn.execute(f"PRAGMA table_info({_q(name)})")}
        for col in ("synced_at", "deleted_at"):
            if col not in present:
                self._conn.execute(f"ALTER TABLE {_q(name)} ADD COLUMN {col} TEXT")
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
        res = catalog.CATALOG.get(name) or catalog.by_type(name)
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
        raise UnknownTableError(f"no table for {name!r} in {self.path}; tables: "
                       f"{', '.join(self.tables()) or 'none yet'}")

    def count(self, table: str) -> int:
        """Rows in a table (resource name or type); 0 for a known resource not synced yet."""
        name = self.table_for(table)
        if name is None:
            return 0
        with self._lock:
            return int(self._conn.execute(
                f"SELECT count(*) FROM {_q(name)} WHERE deleted_at IS NULL").fetchone()[0])

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
                if key in present and key not in ("document", "synced_at", "deleted_at"):
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
            clauses.append("deleted_at IS NULL")
            where = f" WHERE {' AND '.join(clauses)}"
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
