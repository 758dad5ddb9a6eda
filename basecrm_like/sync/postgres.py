"""The mirror in PostgreSQL, written with SQLAlchemy Core and psycopg 3 (the ``postgres`` extra).

Same contract as :class:`~basecrm_like.sync.mirror.SqliteMirror`: one
transaction per page, upserts where the highest revision wins, deletes
remembered so a late, older update cannot bring a record back, and a verdict
per item. The tables are meant for people and BI tools: typed columns from the
catalog (``bigint`` ids, ``numeric`` for decimals, ``timestamptz``, ``boolean``,
``jsonb`` for lists and objects), the whole record as ``jsonb`` in ``document``,
``revision``, ``synced_at`` and ``deleted_at``, and an index on every foreign id.

Without the extra installed this module still imports; opening a mirror then
says what to install.
"""
from __future__ import annotations

import contextlib
import logging
import math
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from .. import catalog
from .base import (
    JSON_TYPES,
    Mirror,
    MirrorBusyError,
    MirrorError,
    ParsedItem,
    Rejection,
    check_delete_mode,
    dump_json,
    redact_url,
    table_name_for,
)
from .mirror import UnknownTableError

logger = logging.getLogger("basecrm_like.sync")
_R = TypeVar("_R")
#: items parsed before their rows are sent, on pages without deletes: the server
#: writes one chunk while the next is parsed
_CHUNK = 25

try:
    import psycopg
    import sqlalchemy as sa
    from sqlalchemy.dialects import postgresql as pg
except ImportError:  # pragma: no cover - exercised where the extra is not installed
    psycopg = None  # type: ignore[assignment]
    sa = None  # type: ignore[assignment]
    pg = None  # type: ignore[assignment]

INSTALL = "pip install 'basecrm_like[postgres]'"
#: the layout this code writes, kept in _sync_settings; upgrades run in order on open
SCHEMA_VERSION = 1
#: advisory lock keys (two int4): the writer lock, and the short lock around DDL
_LOCK_CLASS = 0x42434D  # "BCM"
_WRITER, _DDL = 1, 2
_RESERVED = frozenset({"id", "revision", "document", "synced_at", "deleted_at"})


def _json_serializer(value: Any) -> str:
    return dump_json(value)


def _to_integer(value: Any) -> Any:
    if value.__class__ is not int and (isinstance(value, bool) or not isinstance(value, int)):
        raise ValueError(f"{value!r} is not an integer")
    return value


def _to_boolean(value: Any) -> Any:
    if value is not True and value is not False:
        raise ValueError(f"{value!r} is not a boolean")
    return value


def _to_decimal(value: Any) -> Any:
    try:
        number = Decimal(str(value)) if not isinstance(value, bool) else None
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise ValueError(f"{value!r} is not a decimal number")
    return number


def _to_number(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not math.isfinite(value):
        raise ValueError(f"{value!r} is not a finite number")
    return float(value)


def _to_datetime(value: Any) -> Any:
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a date and time")
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _to_date(value: Any) -> Any:
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a date")
    return date.fromisoformat(value)


def _to_text(value: Any) -> Any:
    return value if isinstance(value, str) else dump_json(value)


_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "integer": _to_integer, "boolean": _to_boolean, "decimal": _to_decimal,
    "number": _to_number, "datetime": _to_datetime, "date": _to_date, "string": _to_text,
    **{kind: dump_json for kind in JSON_TYPES}}


#: the class whose values a column of a catalog type takes as they are
_AS_IS: dict[str, type] = {"string": str, "integer": int, "boolean": bool}


def _convert(kind: str, value: Any) -> Any:
    """``value`` for a column of catalog type ``kind``; ValueError when it does not fit.

    JSON columns get the JSON text (bound as ``jsonb``).
    """
    return None if value is None else _CONVERTERS.get(kind, _to_text)(value)


@dataclass
class _PgTable:
    """One data table, with its write statements compiled once (psycopg's ``%(name)s`` form).

    Each statement takes all its rows in one JSON parameter (``jsonb_to_recordset``),
    so a page costs one statement per table and kind of write, however many rows
    it holds.
    """

    name: str
    type: str
    table: Any  # sa.Table
    columns: tuple[tuple[str, str], ...]  # (column, catalog type) besides the reserved ones
    integer_ids: bool
    upsert: str = ""
    delete: str = ""
    soft_delete: str = ""
    names: frozenset[str] = field(default_factory=frozenset)
    #: per typed column but the JSON ones: the class whose values the server reads from the
    #: document as they are (None: none), and what checks and converts the others
    converters: tuple[tuple[str, object, Callable[[Any], Any]], ...] = ()

    def __post_init__(self) -> None:
        self.converters = tuple((col, _AS_IS.get(kind), _CONVERTERS.get(kind, _to_text))
                                for col, kind in self.columns if kind not in JSON_TYPES)

    def row(self, item: ParsedItem) -> dict[str, Any]:
        """One row for :attr:`upsert` by column, the document left out (see :func:`_upsert_json`);
        ValueError when a typed value does not fit.

        Only the values the server cannot take from the document as they are go in the
        row (see :func:`_typed_value`): nulls, JSON values, and text, integers and booleans
        of the column's own class are left out, which keeps the row short.
        """
        data = item.data
        values: dict[str, Any] = {"id": self.key(data["id"]), "revision": item.revision}
        get = data.get
        for col, as_is, convert in self.converters:
            value = get(col)
            if value is None or value.__class__ is as_is:
                continue
            try:
                values[col] = convert(value)
            except ValueError as exc:
                raise ValueError(f"{col}: {exc}") from None
        return values

    def key(self, ident: Any) -> Any:
        return ident if self.integer_ids else str(ident)


class _Page:
    """One page on its way in: its items parsed up to :attr:`parsed`, their verdicts, and the
    rows to write by type, in page order."""

    def __init__(self, mirror: PostgresMirror, items: Sequence[Mapping[str, Any]],
                 kinds: list[str | None], tables: Mapping[str, _PgTable]) -> None:
        self.mirror, self.items, self.kinds, self.tables = mirror, items, kinds, tables
        self.now = datetime.now(timezone.utc)
        self.parsed = 0
        self.verdicts: list[bool] = []
        self.upserts: dict[str, list[tuple[str, dict[str, Any]]]] = {}
        self.deletes: dict[str, list[dict[str, Any]]] = {}

    def parse(self, upto: int) -> None:
        """Parse the items before ``upto`` not parsed yet; rejected ones are recorded."""
        mirror = self.mirror
        for n in range(self.parsed, min(upto, len(self.items))):
            kind = self.kinds[n]
            table = self.tables.get(kind) if kind is not None else None
            parsed = mirror._parse_item(self.items[n], table is not None and table.integer_ids)
            self.parsed = n + 1
            if parsed is None or table is None:
                self.verdicts.append(False)
                continue
            if parsed.event == "deleted":
                self.deletes.setdefault(parsed.type, []).append(
                    {"id": table.key(parsed.data["id"]), "revision": parsed.revision})
            else:
                try:
                    row = table.row(parsed)
                except ValueError as exc:
                    mirror._reject(parsed.type, parsed.data["id"], str(exc))
                    self.verdicts.append(False)
                    continue
                self.upserts.setdefault(parsed.type, []).append((parsed.document, row))
            self.verdicts.append(True)


def _sql_type(kind: str) -> Any:
    return {"integer": sa.BigInteger, "boolean": sa.Boolean, "number": sa.Float,
            "decimal": sa.Numeric, "datetime": sa.DateTime(timezone=True), "date": sa.Date,
            "string": sa.Text}.get(kind, pg.JSONB)


class PostgresMirror(Mirror):
    """A copy of an account in a PostgreSQL database (``postgresql://user@host/db``).

    ``deletes="hard"`` (the default) removes a deleted record's row;
    ``"soft"`` keeps it with ``deleted_at`` set (the reading methods leave it
    out; your SQL can filter on ``deleted_at IS NULL``). The mode is kept in
    the database. Writers hold :meth:`writer`, a PostgreSQL advisory lock, so
    that two syncs never write one database at once.
    """

    schemes = ("postgresql", "postgres")

    def __init__(self, url: str, *, deletes: str | None = None, pool_size: int = 2) -> None:
        if sa is None:
            raise MirrorError(f"a PostgreSQL mirror needs SQLAlchemy and psycopg: {INSTALL}")
        self.url = redact_url(str(url))
        self.rejected: list[Rejection] = []
        self._lock = threading.RLock()
        self._tables: dict[str, _PgTable] = {}
        self._writing: Any = None  # the pooled connection apply keeps between pages
        self.engine = sa.create_engine(_driver_url(str(url)), json_serializer=_json_serializer,
                                       pool_size=pool_size, pool_pre_ping=True)
        self.metadata = sa.MetaData()
        self._types = sa.Table("_sync_types", self.metadata,
                               sa.Column("type", sa.Text, primary_key=True),
                               sa.Column("tbl", sa.Text, nullable=False, unique=True))
        self._tombstones = sa.Table("_sync_tombstones", self.metadata,
                                    sa.Column("tbl", sa.Text, primary_key=True),
                                    sa.Column("id", sa.Text, primary_key=True),
                                    sa.Column("revision", sa.BigInteger))
        self._checkpoints = sa.Table("_sync_checkpoints", self.metadata,
                                     sa.Column("name", sa.Text, primary_key=True),
                                     sa.Column("value", sa.Text, nullable=False),
                                     sa.Column("updated_at", sa.DateTime(timezone=True),
                                               nullable=False))
        self._settings = sa.Table("_sync_settings", self.metadata,
                                  sa.Column("key", sa.Text, primary_key=True),
                                  sa.Column("value", sa.Text, nullable=False))
        self._compile_bookkeeping()
        try:
            with self.engine.begin() as conn:
                conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_LOCK_CLASS, _DDL)))
                self._migrate(conn)
                self.deletes = self._delete_mode(conn, deletes)
        except sa.exc.OperationalError as exc:
            self.engine.dispose()
            raise MirrorError(f"cannot open the mirror {self.url}: "
                              f"{str(exc.orig).strip().splitlines()[0]}") from None
        except BaseException:
            self.engine.dispose()
            raise

    def __repr__(self) -> str:
        return f"<basecrm_like.PostgresMirror {self.url!r}>"

    def _compile_bookkeeping(self) -> None:
        """The tombstone and checkpoint writes of :meth:`apply`, compiled once."""
        tomb = self._tombstones
        gone = _recordset([("id", sa.Text()), ("revision", sa.BigInteger())])
        stmt = pg.insert(tomb).from_select(
            ["tbl", "id", "revision"], sa.select(sa.bindparam("tbl", type_=sa.Text), gone.c.id,
                                                 gone.c.revision))
        self._tombstone_sql = self._compiled(stmt.on_conflict_do_update(
            index_elements=["tbl", "id"], set_={"revision": stmt.excluded.revision},
            where=sa.or_(tomb.c.revision.is_(None), stmt.excluded.revision > tomb.c.revision)))
        now: Any = sa.bindparam("now", type_=sa.DateTime(timezone=True))
        mark = pg.insert(self._checkpoints).values(
            name=sa.bindparam("cp_name", type_=sa.Text),
            value=sa.bindparam("cp_value", type_=sa.Text), updated_at=now)
        self._checkpoint_sql = self._compiled(mark.on_conflict_do_update(
            index_elements=["name"], set_={"value": mark.excluded.value, "updated_at": now}))

    def close(self) -> None:
        with self._lock:
            if self._writing is not None:
                self._writing.close()
                self._writing = None
        self.engine.dispose()

    # -- schema versions ------------------------------------------------------
    def _migrate(self, conn: Any) -> None:
        """Bring the bookkeeping tables to :data:`SCHEMA_VERSION`, one numbered step at a time."""
        version = 0
        if sa.inspect(conn).has_table("_sync_settings"):
            found = conn.execute(sa.select(self._settings.c.value).where(
                self._settings.c.key == "schema_version")).scalar()
            version = int(found) if found is not None else 0
        if version > SCHEMA_VERSION:
            raise MirrorError(f"{self.url} was written by a newer basecrm_like (layout "
                              f"{version}, this one knows up to {SCHEMA_VERSION}); upgrade "
                              "basecrm_like to use it")
        if version < 1:
            self.metadata.create_all(conn)
        # later layouts add their steps here: if version < 2: ALTER TABLE ...
        conn.execute(pg.insert(self._settings).values(key="schema_version",
                                                      value=str(SCHEMA_VERSION))
                     .on_conflict_do_update(index_elements=["key"],
                                            set_={"value": str(SCHEMA_VERSION)}))

    def _delete_mode(self, conn: Any, wanted: str | None) -> str:
        found = conn.execute(sa.select(self._settings.c.value).where(
            self._settings.c.key == "deletes")).scalar()
        if found is None:
            mode = check_delete_mode(wanted or "hard")
            conn.execute(sa.insert(self._settings).values(key="deletes", value=mode))
            return mode
        if wanted is not None and check_delete_mode(wanted) != found:
            raise MirrorError(f"{self.url} keeps {found} deletes; it cannot switch to {wanted} "
                              "(start a new database for that)")
        return str(found)

    # -- the writer lock --------------------------------------------------------
    @contextlib.contextmanager
    def writer(self, wait: bool | float = False) -> Iterator[None]:
        """Hold the database's writer lock (a session advisory lock) for a whole sync.

        A second holder waits (``wait=True`` or seconds) or gets a
        :class:`~basecrm_like.sync.base.MirrorBusyError`. PostgreSQL releases
        the lock when the holder's connection ends, so a killed sync never
        leaves it behind.
        """
        with self.engine.connect() as conn:
            deadline = None if wait is True else time.monotonic() + float(wait or 0)
            try_lock = sa.select(sa.func.pg_try_advisory_lock(_LOCK_CLASS, _WRITER))
            while not conn.execute(try_lock).scalar():
                conn.rollback()
                if deadline is not None and time.monotonic() >= deadline:
                    holder = conn.execute(sa.text(
                        "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND "
                        "classid = :c AND objid = :o AND granted AND "
                        "database = (SELECT oid FROM pg_database "
                        "WHERE datname = current_database())"),
                        {"c": _LOCK_CLASS, "o": _WRITER}).scalar()
                    by = f" (server process {holder})" if holder else ""
                    raise MirrorBusyError(
                        f"another sync is running into {self.url}{by}; wait for it to "
                        "finish, or pass --wait to queue behind it")
                time.sleep(0.1)
            conn.commit()
            try:
                yield
            finally:
                with contextlib.suppress(sa.exc.DBAPIError):
                    conn.execute(sa.select(sa.func.pg_advisory_unlock(_LOCK_CLASS, _WRITER)))
                    conn.commit()

    # -- writing ------------------------------------------------------------------
    def apply(self, items: Sequence[Mapping[str, Any]],
              checkpoint: tuple[str, str] | None = None) -> list[bool]:
        """Apply one page in one transaction; one ACK/NACK per item.

        Items it cannot store are NACKed, left out and added to :attr:`rejected`.
        ``checkpoint=(name, value)`` is stored in the same transaction.
        """
        try:
            return self._apply(items, checkpoint)
        except (sa.exc.DBAPIError, psycopg.Error) as exc:
            reason = exc.orig if isinstance(exc, sa.exc.DBAPIError) and exc.orig else exc
            first = (str(reason).strip().splitlines() or [type(reason).__name__])[0]
            raise MirrorError(f"writing to {self.url} failed, nothing of this page was "
                              f"kept: {first}") from exc

    def _apply(self, items: Sequence[Mapping[str, Any]],
               checkpoint: tuple[str, str] | None) -> list[bool]:
        with self._lock:
            kinds = [_item_type(item) for item in items]
            page = _Page(self, items, kinds,
                         self._tables_for({kind for kind in kinds if kind is not None}))
            self._commit_page(page, checkpoint)
        return page.verdicts

    def _commit_page(self, page: _Page, checkpoint: tuple[str, str] | None) -> None:
        """Write and commit one page: its statements and the COMMIT go out in one pipeline,
        and this returns once the server confirmed the commit.

        A page without deletes is parsed a chunk at a time, each chunk's rows sent
        as soon as they are ready: the server writes them while the next chunk
        is parsed. A page with deletes is parsed whole first, since its deletes
        go before its upserts.

        The connection stays checked out between pages. If it turns out broken
        (the server restarted, an idle connection was cut), the page is written
        once more on a new one: applying a page again changes nothing that its
        first application did, so this is safe even when the commit's answer was lost.
        """
        stream = not any(_event_type(item) == "deleted" for item in page.items)
        for attempt in (1, 2):
            reused = self._writing is not None
            if not reused:
                self._writing = self.engine.raw_connection()
            raw: Any = self._writing.driver_connection
            try:
                with raw.pipeline():
                    with raw.cursor() as cur:
                        sent: dict[str, int] = {}
                        while stream and page.parsed < len(page.items):
                            page.parse(page.parsed + _CHUNK)
                            self._write(cur, page.upserts, {}, page.now, sent)
                        page.parse(len(page.items))
                        self._write(cur, page.upserts, page.deletes, page.now, sent)
                        if checkpoint is not None:
                            cur.execute(self._checkpoint_sql, {"cp_name": str(checkpoint[0]),
                                                               "cp_value": str(checkpoint[1]),
                                                               "now": page.now})
                        # queued like the rest: the pipeline's closing sync is the page's
                        # only round trip (connection.commit() would add one of its own).
                        # After an error the server skips it, and the connection is closed.
                        cur.execute("COMMIT")
                raw.commit()  # nothing left to commit, unless the COMMIT above was not run
                return
            except BaseException as exc:
                # the server rolls back what a closed connection did not commit
                proxy, self._writing = self._writing, None
                with contextlib.suppress(Exception):
                    proxy.invalidate()
                if attempt == 1 and reused and isinstance(exc, psycopg.OperationalError) \
                        and raw.broken:
                    logger.info("sync mirror: the connection to %s broke; writing the page "
                                "again on a new one", self.url)
                    continue
                raise

    def _write(self, cur: Any, upserts: dict[str, list[tuple[str, dict[str, Any]]]],
               deletes: dict[str, list[dict[str, Any]]], now: datetime,
               sent: dict[str, int]) -> None:
        """Deletes first (their tombstones then keep older updates of the page out), then
        the upserts not sent yet (``sent`` counts them by type): one statement per
        table and round (see :func:`_rounds`)."""
        for kind, gone in deletes.items():
            table = self._tables[kind]
            if not table.delete:
                self._compile_deletes(table)
            for batch in _rounds(gone, lambda row: row["id"]):
                if self.deletes == "soft":
                    cur.execute(table.soft_delete, {"rows": _rows_json(batch), "now": now})
                else:
                    cur.execute(table.delete, {"rows": _rows_json(batch)})
                tombstones = [{"id": str(row["id"]), "revision": row["revision"]}
                              for row in batch]
                cur.execute(self._tombstone_sql, {"tbl": table.name,
                                                  "rows": _rows_json(tombstones)})
        for kind, rows in upserts.items():
            table = self._tables[kind]
            start, sent[kind] = sent.get(kind, 0), len(rows)
            for pairs in _rounds(rows[start:], lambda pair: pair[1]["id"]):
                cur.execute(table.upsert, {"rows": _upsert_json(pairs), "now": now,
                                           "tbl": table.name})

    # -- tables ---------------------------------------------------------------------
    def prepare(self, types: Iterable[str]) -> None:
        """Create the tables of these Sync types now, in one transaction."""
        with self._lock:
            self._tables_for(set(types))

    def _table(self, kind: str) -> _PgTable:
        return self._tables_for({kind})[kind]

    def _tables_for(self, kinds: set[str]) -> dict[str, _PgTable]:
        """The tables of these types; the missing ones are created or upgraded together, in
        one transaction and a handful of round trips."""
        missing = kinds.difference(self._tables)
        if missing:
            made: dict[str, _PgTable] = {}
            with self.engine.begin() as conn:
                conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_LOCK_CLASS, _DDL)))
                named = dict(conn.execute(sa.select(self._types.c.type, self._types.c.tbl)).all())
                taken = set(named.values())
                new_types = []
                for kind in sorted(missing):
                    if kind not in named:
                        res = catalog.by_type(kind)
                        named[kind] = res.name if res is not None else table_name_for(kind,
                                                                                      taken)
                        taken.add(named[kind])
                        new_types.append({"type": kind, "tbl": named[kind]})
                if new_types:
                    conn.execute(sa.insert(self._types), new_types)
                present: dict[str, set[str]] = {}
                for tbl, col in conn.execute(sa.text(
                        "SELECT table_name, column_name FROM information_schema.columns "
                        "WHERE table_schema = current_schema() AND table_name = ANY(:t)"),
                        {"t": [named[kind] for kind in missing]}):
                    present.setdefault(tbl, set()).add(col)
                ddl: list[str] = []
                for kind in sorted(missing):
                    made[kind] = self._define_table(kind, named[kind],
                                                    present.get(named[kind], set()), ddl)
                if ddl:  # no parameters: one round trip for all of them
                    conn.exec_driver_sql(";\n".join(ddl))
            self._tables.update(made)  # only once they are committed
        return self._tables

    def _define_table(self, kind: str, name: str, present: set[str], ddl: list[str]) -> _PgTable:
        """The table of ``kind``; adds to ``ddl`` what creates it, or the columns it lacks."""
        res = catalog.by_type(kind)
        columns = tuple((f.name, f.type) for f in (res.fields if res is not None else ())
                        if f.name not in _RESERVED)
        id_spec = res.field("id") if res is not None else None
        integer_ids = id_spec is not None and id_spec.type == "integer"
        table = sa.Table(
            name, self.metadata,
            sa.Column("id", sa.BigInteger if integer_ids else sa.Text, primary_key=True,
                      autoincrement=False),
            sa.Column("revision", sa.BigInteger),
            sa.Column("document", pg.JSONB, nullable=False),
            sa.Column("synced_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("deleted_at", sa.DateTime(timezone=True)),
            *(sa.Column(col, _sql_type(t)) for col, t in columns),
            *(sa.Index(_index_name(name, col), col) for col, _ in columns
              if col.endswith("_id")),
            extend_existing=True)
        if not present:
            ddl.append(self._compiled(sa.schema.CreateTable(table)))
            ddl.extend(self._compiled(sa.schema.CreateIndex(index))
                       for index in sorted(table.indexes, key=lambda i: str(i.name)))
        # a newer catalog knows more fields: add them (rows fill in as they are updated)
        for col, _ in columns:
            if present and col not in present:
                ddl.append(f'ALTER TABLE "{name}" ADD COLUMN "{col}" '
                           f"{self._compiled(table.c[col].type)}")
        out = _PgTable(name, kind, table, columns, integer_ids,
                       names=frozenset(c.name for c in table.columns))
        self._compile_writes(out)
        return out

    def _compile_writes(self, out: _PgTable) -> None:
        """The table's upsert, built with SQLAlchemy and compiled once."""
        table, tomb = out.table, self._tombstones
        written = [table.c.id, table.c.revision, table.c.document,
                   *(table.c[col] for col, _ in out.columns)]
        rows = _recordset([(c.name, c.type) for c in written[:3]]
                          + [(col, table.c[col].type) for col, kind in out.columns
                             if kind not in JSON_TYPES])
        picked = [*(rows.c[c.name] for c in written[:3]),
                  *(_typed_value(rows, col, kind, table.c[col].type, self._compiled)
                    for col, kind in out.columns)]
        stmt = pg.insert(table).from_select(
            [*(c.name for c in written), "synced_at"],
            sa.select(*picked, sa.bindparam("now", type_=sa.DateTime(timezone=True)))
            .where(~sa.exists().where(tomb.c.tbl == sa.bindparam("tbl"),
                                      tomb.c.id == sa.cast(picked[0], sa.Text),
                                      tomb.c.revision >= picked[1])))
        out.upsert = self._compiled(stmt.on_conflict_do_update(
            index_elements=["id"],
            set_={**{c.name: stmt.excluded[c.name] for c in table.columns if c.name != "id"},
                  "deleted_at": sa.null()},
            where=sa.or_(table.c.revision.is_(None), stmt.excluded.revision.is_(None),
                         stmt.excluded.revision >= table.c.revision)))

    def _compile_deletes(self, out: _PgTable) -> None:
        """The table's delete and soft delete, compiled when its first delete comes."""
        table = out.table
        gone = _recordset([("id", table.c.id.type), ("revision", sa.BigInteger())])
        older = sa.and_(table.c.id == gone.c.id,
                        sa.or_(gone.c.revision.is_(None), table.c.revision.is_(None),
                               table.c.revision <= gone.c.revision))
        out.delete = self._compiled(sa.delete(table).where(older))
        now: Any = sa.bindparam("now", type_=sa.DateTime(timezone=True))
        out.soft_delete = self._compiled(
            sa.update(table).where(older, table.c.deleted_at.is_(None))
            .values(deleted_at=now, synced_at=now,
                    revision=sa.func.coalesce(gone.c.revision, table.c.revision)))

    def _compiled(self, stmt: Any) -> str:
        return str(stmt.compile(dialect=self.engine.dialect))

    # -- reading ----------------------------------------------------------------------
    def checkpoint(self, name: str) -> str | None:
        """The value :meth:`apply` last stored under ``name``; None if none yet."""
        with self.engine.connect() as conn:
            found = conn.execute(sa.select(self._checkpoints.c.value).where(
                self._checkpoints.c.name == name)).scalar()
        return None if found is None else str(found)

    def tables(self) -> list[str]:
        """Names of the data tables, sorted."""
        with self.engine.connect() as conn:
            return list(conn.execute(sa.select(self._types.c.tbl).order_by(self._types.c.tbl))
                        .scalars())

    def _known(self, name: str) -> _PgTable | None:
        """The table of a resource name or type; None for a known resource not synced yet."""
        res = catalog.CATALOG.get(name) or catalog.by_type(name)
        with self.engine.connect() as conn:
            if res is not None:
                kind = conn.execute(sa.select(self._types.c.type).where(
                    self._types.c.type == res.type)).scalar()
            else:
                kind = conn.execute(sa.select(self._types.c.type).where(
                    sa.or_(self._types.c.tbl == name, self._types.c.type == name))).scalar()
        if kind is None and res is None:
            raise UnknownTableError(f"no table for {name!r} in {self.url}; tables: "
                                    f"{', '.join(self.tables()) or 'none yet'}")
        return None if kind is None else self._table(kind)

    def count(self, table: str) -> int:
        """Rows in a table (resource name or type), deleted ones left out."""
        known = self._known(table)
        if known is None:
            return 0
        t = known.table
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(t)
                                    .where(t.c.deleted_at.is_(None))).scalar_one())

    def query(self, table: str, **filters: Any) -> list[dict[str, Any]]:
        """Records whose attributes equal the filters, by id (as :meth:`SqliteMirror.query`)."""
        known = self._known(table)
        if known is None:
            return []
        t = known.table
        clauses = [t.c.deleted_at.is_(None)]
        for key, value in filters.items():
            typed = dict(known.columns).get(key)
            if key == "id":
                clauses.append(t.c.id == known.key(value))
                continue
            if typed is not None and typed not in JSON_TYPES:
                target = t.c[key]
                try:
                    value = _convert(typed, value)
                except ValueError:
                    clauses.append(sa.false())
                    continue
                clauses.append(target.is_(None) if value is None else target == value)
                continue
            target = t.c[key] if typed is not None else t.c.document[key]
            if value is None:
                clauses.append(sa.or_(target.is_(None),
                                      target == sa.cast(sa.literal("null"), pg.JSONB)))
            else:
                clauses.append(target == sa.cast(sa.literal(dump_json(value)), pg.JSONB))
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(t.c.document).where(*clauses).order_by(t.c.id))
            return [dict(r[0]) for r in rows]


def _rounds(rows: list[_R], key: Callable[[_R], Any]) -> list[list[_R]]:
    """The rows in rounds where each key appears once, in page order.

    One statement cannot write a row twice; a page that holds a record twice
    applies its n-th occurrence in round n, which is what applying the items
    one by one, in order, would do.
    """
    rounds: list[list[_R]] = []
    seen: dict[Any, int] = {}
    for row in rows:
        ident = key(row)
        n = seen.get(ident, 0)
        seen[ident] = n + 1
        if n == len(rounds):
            rounds.append([])
        rounds[n].append(row)
    return rounds


def _recordset(columns: list[tuple[str, Any]]) -> Any:
    """``jsonb_to_recordset(CAST(%(rows)s AS JSONB)) AS v(name type, ...)``: typed rows from
    one parameter, a JSON array of objects.

    The server parses the text once and turns each value into its column's
    type with that type's input function. One JSON text per statement is far
    cheaper to produce than an array parameter per column (psycopg builds array
    literals in Python), and ``jsonb`` parses faster on the server than ``json``.
    """
    return sa.func.jsonb_to_recordset(sa.cast(sa.bindparam("rows"), pg.JSONB)).table_valued(
        *(sa.column(name, type_) for name, type_ in columns)).render_derived(
        name="v", with_types=True)


def _typed_value(rows: Any, col: str, kind: str, sql_type: Any,
                 compiled: Callable[[Any], str]) -> Any:
    """What the upsert writes into the typed column ``col``: from the row when
    :meth:`_PgTable.row` put a converted value there, else read from the row's
    document (the same value: text, integer or boolean as it is; JSON values as
    they are, a JSON null as NULL)."""
    key = "'" + col.replace("'", "''") + "'"
    if kind in JSON_TYPES:
        return sa.literal_column(f"NULLIF(v.document -> {key}, 'null'::jsonb)", sql_type)
    if kind not in _AS_IS:
        return rows.c[col]
    read = sa.literal_column(f"(v.document ->> {key})", sa.Text)
    return sa.func.coalesce(rows.c[col], read if kind == "string" else sa.literal_column(
        f"CAST(v.document ->> {key} AS {compiled(sql_type)})", sql_type))


def _rows_json(rows: list[dict[str, Any]]) -> str:
    """The rows as one JSON text: decimals, dates and times as their text."""
    return dump_json(rows)


def _upsert_json(pairs: list[tuple[str, dict[str, Any]]]) -> str:
    """Rows for an upsert as one JSON text, each record's JSON text (made when it was
    checked) put in as its ``document`` rather than encoded a second time."""
    return "[" + ",".join(['{"document":' + document + "," + dump_json(row)[1:]
                           for document, row in pairs]) + "]"


def _event_type(item: Any) -> str | None:
    """``meta.sync.event_type``, as :meth:`Mirror._parse_item` reads it."""
    meta = item.get("meta") if isinstance(item, Mapping) else None
    sync = meta.get("sync") if isinstance(meta, Mapping) else None
    return str(sync.get("event_type") or "updated") if isinstance(sync, Mapping) else None


def _item_type(item: Any) -> str | None:
    meta = item.get("meta") if isinstance(item, Mapping) else None
    kind = meta.get("type") if isinstance(meta, Mapping) else None
    return kind if isinstance(kind, str) and kind else None


def _index_name(table: str, column: str) -> str:
    name = f"ix_{table}_{column}"
    return name if len(name) <= 63 else re.sub(r"\W", "_", name[:55]) + f"_{hash(name) % 9999}"


def _driver_url(url: str) -> str:
    """``postgresql://`` and ``postgres://`` URLs with psycopg 3 as the driver."""
    scheme, sep, rest = url.partition("://")
    base = scheme.split("+", 1)[0].lower()
    if base in ("postgresql", "postgres") and "+" not in scheme:
        return f"postgresql+psycopg://{rest}"
    if base == "postgres":
        return "postgresql" + scheme[len("postgres"):] + sep + rest
    return url
