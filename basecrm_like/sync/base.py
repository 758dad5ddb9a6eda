"""What every mirror shares: opening one by URL, reading Sync items, and refusing the unstorable.

``Mirror(url)`` picks the storage from the URL: a file path or ``sqlite:///...``
gives a :class:`~basecrm_like.sync.mirror.SqliteMirror` (standard library only),
``postgresql://...`` a :class:`~basecrm_like.sync.postgres.PostgresMirror`
(needs the ``postgres`` extra). The backends register the URL schemes they
serve when their module is imported.
"""
from __future__ import annotations

import contextlib
import json
import logging
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import urlsplit

from .. import catalog
from ..http.errors import Error

logger = logging.getLogger("basecrm_like.sync")

INT64_MIN, INT64_MAX = -(2 ** 63), 2 ** 63 - 1
#: how many rejected items a mirror remembers (the oldest are forgotten)
REJECTIONS_KEPT = 1000

DELETE_MODES = ("hard", "soft")
#: ASCII digits all turned into "0": a run of 19 zeros then marks a run of 19 digits
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
#: catalog field types kept as JSON (text in SQLite, jsonb in PostgreSQL)
JSON_TYPES = frozenset({"address", "tags", "custom_fields", "integer_list", "object",
                        "object_list"})


class MirrorError(Error):
    """The mirror cannot be opened or used (bad URL, missing extra, newer schema...)."""


class MirrorBusyError(MirrorError):
    """Another process holds the mirror's writer lock (another sync is running)."""


@dataclass(frozen=True)
class Rejection:
    """An item the mirror did not store (NACKed), and why."""

    type: str
    id: Any
    reason: str

    def __str__(self) -> str:
        return f"{self.type} {self.id!r}: {self.reason}"


@dataclass(frozen=True)
class ParsedItem:
    """One Sync item, checked: what to write."""

    type: str
    event: str  # created, updated or deleted
    data: Mapping[str, Any]
    revision: int | None
    document: str  # the record as JSON text


_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, default=str,
                            allow_nan=False)


def dump_json(value: Any) -> str:
    """Compact JSON; raises ValueError for NaN or infinities, which no JSON store keeps.

    Values JSON has no type for (decimals, dates...) are written as their text.
    """
    return _ENCODER.encode(value)


def unstorable(value: Any, depth: int = 0) -> str | None:
    """Why ``value`` (a JSON value) cannot be stored, or None when it can.

    Integers must fit in 64 bits, numbers must be finite, and text must not
    hold NUL characters (PostgreSQL text and jsonb cannot).
    """
    if depth > 200:
        return "nested more than 200 levels deep"
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        if not INT64_MIN <= value <= INT64_MAX:
            return f"integer {_short(value)} does not fit in 64 bits"
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else f"number {value} is not finite"
    if isinstance(value, str):
        return _unstorable_text(value)
    if isinstance(value, Mapping):
        for key, item in value.items():
            why = _unstorable_text(key) if isinstance(key, str) else None
            if why is not None:
                return f"a key: {why}"
            why = unstorable(item, depth + 1)
            if why is not None:
                return f"{key}: {why}"
        return None
    if isinstance(value, (list, tuple)):
        for item in value:
            why = unstorable(item, depth + 1)
            if why is not None:
                return why
        return None
    return None  # Decimal and the like: stored as their text


def _unstorable_text(text: str) -> str | None:
    if "\x00" in text:
        return "text holds a NUL character"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: no database stores it as text
        return "text holds a lone surrogate, which is not valid Unicode"
    return None


def _suspect(document: str) -> bool:
    """True when JSON text shows a run of 19 or more digits (an integer that may not fit in
    64 bits), an escaped NUL or a lone surrogate; false alarms only cost
    :func:`unstorable`'s walk.

    Bytes and ``translate`` instead of a regular expression: several times faster.
    """
    try:
        raw = document.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return b"\\u0000" in raw or b"0000000000000000000" in raw.translate(_DIGITS_AS_ZERO)


def _short(value: int) -> str:
    text = str(value)
    return text if len(text) <= 24 else f"{text[:10]}...({len(text)} digits)"


class Mirror:
    """A copy of an account in a database, fed page by page by :meth:`Sync.run`.

    ``Mirror(url)`` opens the right kind for the URL (see the module). Every
    mirror offers :meth:`apply` (one transaction per page, then the verdicts),
    :meth:`checkpoint`, :meth:`writer` (the lock a sync holds), :meth:`query`,
    :meth:`get`, :meth:`count`, :meth:`counts`, :meth:`tables` and
    :attr:`rejected`.
    """

    _schemes: ClassVar[dict[str, type[Mirror]]] = {}
    #: URL schemes a subclass serves; "" is a plain file path
    schemes: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for scheme in cls.__dict__.get("schemes", ()):
            Mirror._schemes[scheme] = cls

    def __new__(cls, url: Any = None, *args: Any, **kwargs: Any) -> Any:
        if cls is Mirror:
            cls = Mirror.backend_for(url)
        return super().__new__(cls)

    @staticmethod
    def backend_for(url: Any) -> type[Mirror]:
        """The mirror class serving ``url``."""
        text = str(url)
        scheme = urlsplit(text).scheme.lower() if "://" in text else ""
        base = scheme.split("+", 1)[0]
        found = Mirror._schemes.get(scheme) or Mirror._schemes.get(base)
        if found is None:
            raise MirrorError(f"no mirror for {redact_url(text)!r}: use a file path, "
                              "sqlite:///path or postgresql://user@host/db")
        return found

    # -- what every backend offers -------------------------------------------
    rejected: list[Rejection]

    def apply(self, items: Sequence[Mapping[str, Any]],
              checkpoint: tuple[str, str] | None = None) -> list[bool]:
        raise NotImplementedError

    def checkpoint(self, name: str) -> str | None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def writer(self, wait: bool | float = False) -> contextlib.AbstractContextManager[None]:
        raise NotImplementedError

    def prepare(self, types: Iterable[str]) -> None:
        """Create the tables of these Sync types (``contact``, ``deal``...) now; :meth:`apply`
        otherwise creates each with the first page that holds its type."""
        for kind in sorted(set(types)):
            self._table(kind)

    def _table(self, kind: str) -> Any:
        raise NotImplementedError

    def tables(self) -> list[str]:
        raise NotImplementedError

    def count(self, table: str) -> int:
        raise NotImplementedError

    def counts(self) -> dict[str, int]:
        """Rows per table."""
        return {t: self.count(t) for t in self.tables()}

    def get(self, table: str, id: Any) -> dict[str, Any] | None:
        """One record by id, or None."""
        found = self.query(table, id=id)
        return found[0] if found else None

    def query(self, table: str, **filters: Any) -> list[dict[str, Any]]:
        raise NotImplementedError

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- shared item handling --------------------------------------------------
    def _reject(self, kind: Any, ident: Any, reason: str) -> None:
        rejection = Rejection(str(kind), ident, reason)
        logger.warning("sync mirror: %s; not stored, not acknowledged", rejection)
        self.rejected.append(rejection)
        del self.rejected[:-REJECTIONS_KEPT]

    def _parse_item(self, item: Any, integer_ids: bool) -> ParsedItem | None:
        """The checked item, or None after recording why it is rejected."""
        meta = item.get("meta") if isinstance(item, Mapping) else None
        data = item.get("data") if isinstance(item, Mapping) else None
        if not isinstance(meta, Mapping) or not isinstance(data, Mapping):
            self._reject("?", None, "item without meta or data")
            return None
        kind = meta.get("type")
        ident = data.get("id")
        sync_meta = meta.get("sync")
        if not isinstance(sync_meta, Mapping):
            sync_meta = {}
        if not isinstance(kind, str) or not kind:
            self._reject(kind, ident, "no type")
            return None
        if ident is None or isinstance(ident, bool) or isinstance(ident, (dict, list)):
            self._reject(kind, ident, "no usable id")
            return None
        if integer_ids and not isinstance(ident, int):
            self._reject(kind, ident, "the id is not an integer")
            return None
        revision = sync_meta.get("revision", sync_meta.get("version"))
        if revision is not None:
            if isinstance(revision, bool):
                revision = "bool"
            try:
                revision = int(revision)
            except (TypeError, ValueError):
                self._reject(kind, ident, f"revision {revision!r} is not an integer")
                return None
            if not INT64_MIN <= revision <= INT64_MAX:
                self._reject(kind, ident, "the revision does not fit in 64 bits")
                return None
        try:
            document = dump_json(data)
        except (ValueError, TypeError, RecursionError) as exc:
            self._reject(kind, ident, unstorable(data) or f"not storable as JSON: {exc}")
            return None
        # the walk is only needed when the text shows a long number or a NUL
        why = unstorable(data) if _suspect(document) else None
        if why is None and isinstance(ident, str) and not ident:
            why = "empty id"
        if why is not None:
            self._reject(kind, ident, why)
            return None
        return ParsedItem(kind, str(sync_meta.get("event_type") or "updated"), data, revision,
                          document)


def redact_url(url: str) -> str:
    """``url`` without the password of its user part."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


def table_name_for(kind: str, taken: set[str]) -> str:
    """A safe table name for a type the catalog does not know, not among ``taken``.

    Never a catalog resource's name, nor one of the mirror's own (``_sync...``,
    ``sqlite_...``, ``pg_...``).
    """
    base = re.sub(r"[^a-z0-9_]", "_", kind.lower())[:50] or "unknown"
    name = base
    n = 1
    while name in taken or name in catalog.CATALOG or name.startswith(("_sync", "sqlite_",
                                                                         "pg_")):
        n += 1
        name = f"x_{base}" if n == 2 else f"x_{base}_{n}"
    return name


def check_delete_mode(deletes: str) -> str:
    if deletes not in DELETE_MODES:
        raise MirrorError(f"deletes must be one of {', '.join(DELETE_MODES)}, not {deletes!r}")
    return deletes
