"""How a keyed import finds the record a row already has, at the least request cost.

The API allows 10 requests per second per token, so every read spent finding
out whether a row needs writing is a write not sent. A :class:`KeyLookup`
answers "which records hold these key values" for a batch of rows before they
are sent; the engine then writes only rows that must change.

Strategies (``--lookup``):

- ``prefetch``: walk the collection once, 100 records per request, into a
  :class:`PrefetchIndex` (a temporary SQLite file, so memory stays flat
  however large the account). Costs ``records / 100`` requests in all.
- ``search``: batched key lookups through Search v3 (``any`` filters of up to
  200 values per request). Not available in this version: any object with the
  :class:`KeyLookup` shape can be passed to the engine instead.
- ``none``: no lookup; each row goes through the upsert endpoint (one
  request per row, ``unchanged`` never reported).
- ``auto``: prefetch when the walk costs fewer requests than the rows to send,
  else ``none``; the walk is probed by doubling page numbers, and every probed
  page is kept, so the probe costs a handful of requests at most.
"""
from __future__ import annotations

import os
import sqlite3
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ..http.encoding import decode_json, encode_json
from ..http.errors import Error
from ..support import keypaths

__all__ = ["LOOKUPS", "KeyLookup", "LookupFailed", "LookupPlan", "LookupUnavailable",
           "PrefetchIndex",
           "key_text", "plan_lookup"]

#: the choices of ``--lookup``
LOOKUPS = ("auto", "prefetch", "search", "none")
#: records per list request (the API's maximum)
PAGE_SIZE = 100

#: runs one API call with the engine's retries and fail-fast rules
Call = Callable[[Callable[[], Any]], Any]


class LookupUnavailable(Error, ValueError):
    """The chosen lookup strategy cannot run against this API or resource."""


class LookupFailed(Exception):
    """Loading the lookup met an answer that is not the API's list of records."""


class KeyLookup(Protocol):
    """Finds the records holding given key values, for a batch of rows at once."""

    #: the name printed at the start of a run (``prefetch``, ``search``)
    name: str
    #: key values asked per :meth:`find` call (a search request takes up to 200)
    batch_size: int

    def find(self, values: Sequence[str]) -> Mapping[str, list[Mapping[str, Any]]]:
        """Records per key value (as :func:`key_text`); a value with none may be left out."""

    def close(self) -> None:
        """Release what the lookup holds (files, connections)."""


def key_text(value: Any) -> str:
    """A key value as the text it is compared by (the API compares filters as text)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class PrefetchIndex:
    """Every record of a collection by key value, in a temporary SQLite file.

    Records are kept whole (as JSON) so a row can be compared with what the
    record holds. A record seen twice while paging (someone wrote meanwhile)
    is stored once; a key value held by two records is reported as two matches.
    """

    name = "prefetch"
    batch_size = 8        # local queries: small batches keep a stop prompt

    def __init__(self, key: str, directory: str | None = None) -> None:
        self.key = key
        handle, self.path = tempfile.mkstemp(prefix="basecrm-keys-", suffix=".sqlite",
                                             dir=directory)
        os.close(handle)
        self._db = sqlite3.connect(self.path, check_same_thread=False)
        self._db.executescript(
            "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
            "CREATE TABLE records (id TEXT PRIMARY KEY, key TEXT, data TEXT);"
            "CREATE INDEX records_key ON records (key);")
        #: records stored and list requests made to load them
        self.records = 0
        self.pages = 0

    def __repr__(self) -> str:
        return f"<PrefetchIndex key={self.key!r} records={self.records}>"

    def add(self, records: Iterable[Mapping[str, Any]]) -> int:
        """Store ``records``; how many were new (not stored before)."""
        before = self.records
        rows = []
        for record in records:
            if record.get("id") is None:
                continue
            value = keypaths.dig(record, self.key)
            # a record without the key is kept too (no row can match it): it counts as read
            text = None if value is None or value == "" else key_text(value)
            rows.append((str(record["id"]), text, encode_json(record) if text else ""))
        with self._db:
            self._db.executemany("INSERT OR REPLACE INTO records VALUES (?, ?, ?)", rows)
        self.records = self._db.execute("SELECT count(*) FROM records").fetchone()[0]
        return int(self.records - before)

    def find(self, values: Sequence[str]) -> dict[str, list[Mapping[str, Any]]]:
        found: dict[str, list[Mapping[str, Any]]] = {}
        unique = list(dict.fromkeys(values))
        for start in range(0, len(unique), 500):     # under SQLite's parameter limit
            chunk = unique[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for key, data in self._db.execute(
                    f"SELECT key, data FROM records WHERE key IN ({marks})", chunk):
                found.setdefault(key, []).append(decode_json(data.encode("utf-8")))
        return found

    def close(self) -> None:
        self._db.close()
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass


@dataclass
class LookupPlan:
    """The strategy chosen for a run, and why (printed at the start)."""

    strategy: str
    lookup: KeyLookup | None
    reason: str
    #: requests spent choosing and loading the lookup
    requests: int = 0


def plan_lookup(choice: str, service: Any, key: str, call: Call, *,
                expected_rows: int | None = None,
                search: Callable[[], KeyLookup] | None = None,
                directory: str | None = None) -> LookupPlan:
    """Choose and prepare the lookup for a keyed import of ``service``'s records.

    ``expected_rows`` (the input's size, if known) bounds what ``auto`` may
    spend on a prefetch: a walk longer than one request per row costs more
    than it saves. ``search`` builds a search-backed lookup when the API
    offers one.
    """
    if choice not in LOOKUPS:
        raise LookupUnavailable(f"unknown lookup {choice!r}; choose one of {', '.join(LOOKUPS)}")
    if choice == "none":
        return LookupPlan("none", None, "no lookup: one upsert request per row")
    if choice == "search":
        if search is None:
            raise LookupUnavailable(
                "--lookup search needs Search v3 batched lookups, which this version does not "
                "offer yet; use --lookup prefetch (or auto)")
        return LookupPlan("search", search(), "batched key lookups through Search v3")
    index = PrefetchIndex(key, directory)
    try:
        budget = None if choice == "prefetch" or expected_rows is None else max(expected_rows, 1)
        complete = _load(index, service, call, budget)
    except BaseException:
        index.close()
        raise
    if not complete:
        index.close()
        return LookupPlan("none", None, (
            f"no lookup: the account holds more than {index.pages * PAGE_SIZE:,} records, so "
            f"reading them costs more than the {budget:,} rows to send; one upsert per row"),
            requests=index.pages)
    return LookupPlan("prefetch", index, (
        f"prefetch: {index.records:,} existing records read into a local key index in "
        f"{index.pages} request{'' if index.pages == 1 else 's'}"), requests=index.pages)


def _load(index: PrefetchIndex, service: Any, call: Call, budget: int | None) -> bool:
    """Fill ``index`` from the collection; False when it would take more than ``budget`` pages.

    With a budget, pages 1, 2, 4, 8... are read first (each kept): the first
    short page bounds the walk, and a full page past the budget ends it.
    """
    fetched: dict[int, int] = {}

    def page(number: int) -> int:
        if number not in fetched:
            records = call(lambda: service.list(page=number, per_page=PAGE_SIZE, sort_by="id"))
            index.pages += 1
            if not isinstance(records, list) or not all(isinstance(r, Mapping) for r in records):
                raise LookupFailed(f"page {number} of the list was not the API's JSON list of "
                                   "records")
            if not index.add(records) and records and number > 1:
                # a server that ignores ``page`` answers the same records forever
                raise LookupFailed(f"page {number} of the list repeated records already read")
            fetched[number] = len(records)
        return fetched[number]

    last: int | None = None          # the first page known to be short (the end)
    if budget is not None:
        probe = 1
        while True:
            if page(probe) < PAGE_SIZE:
                last = probe
                break
            if probe > budget:
                return False
            probe *= 2
    number = 1
    while last is None or number < last:
        if page(number) < PAGE_SIZE:
            break
        number += 1
    return True
