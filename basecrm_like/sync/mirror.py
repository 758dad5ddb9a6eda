"""A local copy of an account in SQLite, fed page by page by :meth:`Sync.run`.

The mirror is the :class:`~basecrm_like.sync.driver.Sink` the command line and
most users drain the Sync queue into; it never talks to the API itself.
"""
from __future__ import annotations

import json
import logging
import os
import re
import sqlite3
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .. import catalog
from ..catalog import Resource
from ..http.errors import Error

logger = logging.getLogger("basecrm_like.sync")


class UnknownTableError(Error, KeyError):
    """A table was asked for that the mirror does not hold.

    Also a ``KeyError``, as it was before it had a class of its own.
    """

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""

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
        while name in taken or name in catalog.CATALOG or name.startswith("_sync") \
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
