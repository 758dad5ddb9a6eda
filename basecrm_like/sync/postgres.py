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
import math
import re
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

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

try:
    import sqlalchemy as sa
    from sqlalchemy.dialects import postgresql as pg
except ImportError:  # pragma: no cover - exercised where the extra is not installed
    sa = None  # type: ignore[assignment]
    pg = None  # type: ignore[assignment]

INSTALL = "pip install 'basecrm_like[postgres]'"
#: the layout this code writes, kept in _sync_settings; upgrades run in order on open
SCHEMA_VERSION = 1
#: advisory lock keys (two int4): the writer lock, and the short lock around DDL
_LOCK_CLASS = 0x42434D  # "BCM"
_WRITER, _DDL = 1, 2
#: from this many rows of one table in a page, COPY into a staging table pays
COPY_FROM = 20
_RESERVED = frozenset({"id", "revision", "document", "synced_at", "deleted_at"})


class _Dumped(str):
    """JSON text already produced (and checked) by the mirror: bound as is."""


def _json_serializer(value: Any) -> str:
    return value if isinstance(value, _Dumped) else dump_json(value)


def _convert(kind: str, value: Any) -> Any:
    """``value`` for a column of catalog type ``kind``; ValueError when it does not fit."""
    if value is None:
        return None
    if kind in JSON_TYPES:
        return _Dumped(dump_json(value))
    if kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{value!r} is not an integer")
        return value
    if kind == "boolean":
        if not isinstance(value, bool):
            raise ValueError(f"{value!r} is not a boolean")
        return value
    if kind == "decimal":
        try:
            number = Decimal(str(value)) if not isinstance(value, bool) else None
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite():
            raise ValueError(f"{value!r} is not a decimal number")
        return number
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)) \
                or not math.isfinite(value):
            raise ValueError(f"{value!r} is not a finite number")
        return float(value)
    if kind == "datetime":
        if not isinstance(value, str):
            raise ValueError(f"{value!r} is not a date and time")
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    if kind == "date":
        if not isinstance(value, str):
            raise ValueError(f"{value!r} is not a date")
        return date.fromisoformat(value)
    return value if isinstance(value, str) else dump_json(value)


@dataclass
class _PgTable:
    name: str
    type: str
    table: Any  # sa.Table
    columns: tuple[tuple[str, str], ...]  # (column, catalog type) besides the reserved ones
    integer_ids: bool
    upsert: Any = None
    upsert_staged: Any = None
    delete: Any = None
    soft_delete: Any = None
    names: frozenset[str] = field(default_factory=frozenset)

    def row(self, item: ParsedItem, now: datetime) -> dict[str, Any]:
        data = item.data
        values: dict[str, Any] = {"id": self.key(data["id"]), "revision": item.revision,
                                  "document": _Dumped(item.document), "synced_at": now}
        for col, kind in self.columns:
            try:
                values[col] = _convert(kind, data.get(col))
            except ValueError as exc:
                raise ValueError(f"{col}: {exc}") from None
        return values

    def key(self, ident: Any) -> Any:
        return ident if self.integer_ids else str(ident)

    @property
    def staging(self) -> str:
        return f"_stage_{self.name}"[:63]


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

    def close(self) -> None:
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
        """Apply one page in one transaction (batched statements); one ACK/NACK per item.

        Items it cannot store are NACKed, left out and added to :attr:`rejected`.
        ``checkpoint=(name, value)`` is stored in the same transaction.
        """
        try:
            return self._apply(items, checkpoint)
        except sa.exc.DBAPIError as exc:
            first = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            raise MirrorError(f"writing to {self.url} failed, nothing of this page was "
                              f"kept: {first}") from exc

    def _apply(self, items: Sequence[Mapping[str, Any]],
               checkpoint: tuple[str, str] | None) -> list[bool]:
        now = datetime.now(timezone.utc)
        verdicts: list[bool] = []
        upserts: dict[str, list[tuple[ParsedItem, dict[str, Any]]]] = {}
        deletes: dict[str, list[ParsedItem]] = {}
        with self._lock:
            for item in items:
                meta = item.get("meta") if isinstance(item, Mapping) else None
                kind = meta.get("type") if isinstance(meta, Mapping) else None
                table = self._table(kind) if isinstance(kind, str) and kind else None
                parsed = self._parse_item(item, table is not None and table.integer_ids)
                if parsed is None or table is None:
                    verdicts.append(False)
                    continue
                if parsed.event == "deleted":
                    deletes.setdefault(parsed.type, []).append(parsed)
                else:
                    try:
                        row = table.row(parsed, now)
                    except ValueError as exc:
                        self._reject(parsed.type, parsed.data["id"], str(exc))
                        verdicts.append(False)
                        continue
                    upserts.setdefault(parsed.type, []).append((parsed, row))
                verdicts.append(True)
            with self.engine.begin() as conn:
                self._write(conn, upserts, deletes, now)
                if checkpoint is not None:
                    stmt = pg.insert(self._checkpoints).values(
                        name=str(checkpoint[0]), value=str(checkpoint[1]), updated_at=now)
                    conn.execute(stmt.on_conflict_do_update(
                        index_elements=["name"],
                        set_={"value": stmt.excluded.value, "updated_at": now}))
        return verdicts

    def _write(self, conn: Any, upserts: dict[str, list[tuple[ParsedItem, dict[str, Any]]]],
               deletes: dict[str, list[ParsedItem]], now: datetime) -> None:
        tomb = self._tombstones
        for kind, parsed in deletes.items():
            table = self._tables[kind]
            rows = [{"k": table.key(p.data["id"]), "r": p.revision, "now": now} for p in parsed]
            conn.execute(table.soft_delete if self.deletes == "soft" else table.delete, rows)
            stmt = pg.insert(tomb)
            conn.execute(stmt.on_conflict_do_update(
                index_elements=["tbl", "id"], set_={"revision": stmt.excluded.revision},
                where=sa.or_(tomb.c.revision.is_(None),
                             stmt.excluded.revision > tomb.c.revision)),
                [{"tbl": table.name, "id": str(p.data["id"]), "revision": p.revision}
                 for p in parsed])
        for kind, pairs in upserts.items():
            table = self._tables[kind]
            dead = dict(conn.execute(
                sa.select(tomb.c.id, tomb.c.revision).where(
                    tomb.c.tbl == table.name,
                    tomb.c.id.in_({str(p.data["id"]) for p, _ in pairs}))).all())
            rows = [row for p, row in pairs
                    if not _older_than_delete(p.revision, dead, str(p.data["id"]))]
            if len(rows) >= COPY_FROM:
                self._copy_upsert(conn, table, _winners(rows))
            elif rows:
                conn.execute(table.upsert, rows)

    def _copy_upsert(self, conn: Any, table: _PgTable, rows: list[dict[str, Any]]) -> None:
        """COPY the rows into a session's staging table, then one INSERT ... SELECT ... ON CONFLICT."""
        raw = conn.connection.driver_connection  # psycopg, in this same transaction
        names = list(rows[0])
        columns = ", ".join(f'"{n}"' for n in names)
        with raw.cursor() as cur:
            cur.execute(f'CREATE TEMP TABLE IF NOT EXISTS "{table.staging}" '
                        f'(LIKE "{table.name}") ON COMMIT DELETE ROWS')
            with cur.copy(f'COPY "{table.staging}" ({columns}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row([row[n] for n in names])
        conn.execute(table.upsert_staged)
        conn.execute(sa.text(f'DELETE FROM "{table.staging}"'))

    # -- tables ---------------------------------------------------------------------
    def _table(self, kind: str) -> _PgTable:
        table = self._tables.get(kind)
        if table is None:
            with self.engine.begin() as conn:
                conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_LOCK_CLASS, _DDL)))
                table = self._tables[kind] = self._ensure_table(conn, kind)
        return table

    def _ensure_table(self, conn: Any, kind: str) -> _PgTable:
        res = catalog.by_type(kind)
        name = conn.execute(sa.select(self._types.c.tbl).where(self._types.c.type == kind)
                            ).scalar()
        if name is None:
            taken = set(conn.execute(sa.select(self._types.c.tbl)).scalars())
            name = res.name if res is not None else table_name_for(kind, taken)
            conn.execute(sa.insert(self._types).values(type=kind, tbl=name))
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
        table.create(conn, checkfirst=True)
        present = {c["name"] for c in sa.inspect(conn).get_columns(name)}
        # a newer catalog knows more fields: add them (rows fill in as they are updated)
        for col, _ in columns:
            if col not in present:
                column = table.c[col]
                conn.execute(sa.text(f'ALTER TABLE "{name}" ADD COLUMN "{col}" '
                                     f"{column.type.compile(dialect=conn.dialect)}"))
        out = _PgTable(name, kind, table, columns, integer_ids,
                       names=frozenset(c.name for c in table.columns))
        stmt = pg.insert(table)
        newer = sa.or_(table.c.revision.is_(None), stmt.excluded.revision.is_(None),
                       stmt.excluded.revision >= table.c.revision)
        updates = {**{c.name: stmt.excluded[c.name] for c in table.columns if c.name != "id"},
                   "deleted_at": None}
        out.upsert = stmt.on_conflict_do_update(index_elements=["id"], set_=updates, where=newer)
        written = [c for c in table.columns if c.name != "deleted_at"]
        staged = sa.table(out.staging, *(sa.column(c.name) for c in written))
        from_stage = pg.insert(table).from_select([c.name for c in written],
                                                  sa.select(*(staged.c[c.name] for c in written)))
        newer_staged = sa.or_(table.c.revision.is_(None), from_stage.excluded.revision.is_(None),
                              from_stage.excluded.revision >= table.c.revision)
        out.upsert_staged = from_stage.on_conflict_do_update(
            index_elements=["id"],
            set_={**{c.name: from_stage.excluded[c.name] for c in written if c.name != "id"},
                  "deleted_at": None},
            where=newer_staged)
        key: Any = sa.bindparam("k")
        rev: Any = sa.bindparam("r", type_=sa.BigInteger)
        older = sa.or_(rev.is_(None), table.c.revision.is_(None), table.c.revision <= rev)
        out.delete = sa.delete(table).where(table.c.id == key, older)
        out.soft_delete = (sa.update(table)
                           .where(table.c.id == key, table.c.deleted_at.is_(None), older)
                           .values(deleted_at=sa.bindparam("now"),
                                   synced_at=sa.bindparam("now"),
                                   revision=sa.func.coalesce(rev, table.c.revision)))
        return out

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


def _winners(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per id: the one that applying them in order would leave (one statement
    cannot update a row twice)."""
    kept: dict[Any, dict[str, Any]] = {}
    for row in rows:
        held = kept.get(row["id"])
        if held is None or row["revision"] is None or held["revision"] is None \
                or row["revision"] >= held["revision"]:
            kept[row["id"]] = row
    return list(kept.values())


def _older_than_delete(revision: int | None, dead: Mapping[str, Any], key: str) -> bool:
    deleted = dead.get(key)
    return revision is not None and deleted is not None and revision <= deleted


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
