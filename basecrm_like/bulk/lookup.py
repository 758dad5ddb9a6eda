"""How a keyed import finds the record a row already has, at the least request cost.

The API allows 10 requests per second per token, so every read spent finding
out whether a row needs writing is a write not sent. A :class:`KeyLookup`
answers "which records hold these key values" for a batch of rows before they
are sent; the engine then writes only rows that must change.

Strategies (``--lookup``):

- ``prefetch``: walk the collection once into a :class:`PrefetchIndex` (a
  temporary SQLite file, so memory stays flat however large the account):
  through Search v3 projections, 200 records per request, where the resource
  is searchable by the key (deals, leads, contacts), else through the v2 list,
  100 per request. Costs ``records / 200`` (or ``records / 100``) requests.
- ``search``: batched key lookups through Search v3 (``any`` filters of up to
  200 values per request, every searchable attribute projected). Costs
  ``rows / 200`` requests, whatever the account's size. Deals, leads and
  contacts only, keyed by an attribute the Search API knows (the v2 key name is
  translated, e.g. a deal's ``value`` is ``decimal_value``) or a custom field.
- ``none``: no lookup; each row goes through the upsert endpoint (one
  request per row, ``unchanged`` never reported).
- ``auto``: an account that fits in one v2 page is read at once. Where search
  is possible, the first page of the Search v3 walk tells the account's size,
  which weighs the rest of the walk (``records / 200`` requests) against the
  searches (``rows / 200``, when the input's size is known) and picks the
  cheaper. Otherwise prefetch when the v2 walk costs fewer requests than the
  rows to send, else ``none``; the walk is probed by doubling page numbers, and
  every probed page is kept, so the probe costs a handful of requests at most.
"""
from __future__ import annotations

import os
import sqlite3
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, Protocol

from ..catalog.search import WITH_SCHEMA, search_attributes, v2_to_v3, v3_to_v2
from ..http.encoding import decode_json, encode_json
from ..http.errors import Error
from ..search import F
from ..support import keypaths

__all__ = ["LOOKUPS", "KeyLookup", "LookupFailed", "LookupPlan", "LookupUnavailable",
           "PrefetchIndex", "SearchLookup", "SearchProjection", "SearchWalk",
           "key_text", "plan_lookup", "search_key"]

#: the choices of ``--lookup``
LOOKUPS = ("auto", "prefetch", "search", "none")
#: records per list request (the API's maximum)
PAGE_SIZE = 100
#: key values per Search v3 request (the ``any`` filter's and a page's maximum)
SEARCH_BATCH = 200

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
        #: records per request of the walk that loaded it
        self.page_size = PAGE_SIZE
        #: the v2 attributes (top-level names) a stored record holds; None when whole
        self.fields: frozenset[str] | None = None
        #: v2 list pages read so far: page number -> records on it
        self.read_pages: dict[int, int] = {}

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


def search_key(resource: str, key: str) -> str | None:
    """The Search v3 name of ``key`` (a v2 key path) on ``resource``; None where v3 lacks it."""
    if resource not in WITH_SCHEMA:
        return None
    if key.startswith("custom_fields."):
        return key            # the search service turns the field's name into its search id
    name = v2_to_v3(resource).get(key, key)
    return name if name in search_attributes(resource) else None


class SearchProjection:
    """What a Search v3 request projects so that a found record can be compared with a row.

    Every attribute the Search API holds is projected, custom fields included
    (their search ids are read once); :meth:`v2` puts a record back in its v2
    shape (``decimal_value`` is ``value`` again, ``stage.id`` is ``stage_id``).
    :attr:`fields` names the v2 attributes a record holds: a row setting any
    other attribute cannot be compared and is written.
    """

    def __init__(self, searcher: Any, resource: str, call: Call) -> None:
        self.renamed = v3_to_v2(resource)
        names = list(search_attributes(resource))
        #: the account's custom field names Search v3 knows
        self.custom = frozenset(call(lambda: searcher.custom_fields(resource)) or {})
        names += [f"custom_fields.{name}" for name in sorted(self.custom)]
        self.names = tuple(names)
        self.fields = frozenset(
            {self.renamed.get(name, name).split(".", 1)[0] for name in names})

    def holds(self, key: str) -> bool:
        """Whether a projected record holds ``key`` (a custom field must be defined)."""
        head, _, rest = key.partition(".")
        return rest in self.custom if head == "custom_fields" else head in self.fields

    def v2(self, item: Mapping[str, Any]) -> dict[str, Any]:
        record = dict(item)
        for v3, v2 in self.renamed.items():
            head, _, rest = v3.partition(".")
            if head not in record:
                continue
            value = record.pop(head)
            record[v2] = value.get(rest) if rest and isinstance(value, Mapping) else value
        return record


class SearchLookup:
    """Finds the records of up to 200 key values per Search v3 request (an ``any`` filter).

    Records come back projected by :class:`SearchProjection`, in their v2 shape;
    :attr:`fields` names the v2 attributes they hold.
    """

    name = "search"
    batch_size = SEARCH_BATCH

    def __init__(self, searcher: Any, resource: str, key: str, call: Call,
                 projection: SearchProjection | None = None) -> None:
        attribute = search_key(resource, key)
        if attribute is None:
            raise LookupUnavailable(
                f"--lookup search: the Search API cannot look {resource} up by {key!r}; "
                "use --lookup prefetch (or auto)")
        self.searcher, self.resource, self.key, self.call = searcher, resource, key, call
        self.attribute = attribute
        self._projected = projection or SearchProjection(searcher, resource, call)
        self.projection = self._projected.names
        self.fields = self._projected.fields
        #: search requests sent (the custom field list excluded)
        self.requests = 0

    def __repr__(self) -> str:
        return f"<SearchLookup {self.resource} by {self.attribute} requests={self.requests}>"

    def find(self, values: Sequence[str]) -> dict[str, list[Mapping[str, Any]]]:
        found: dict[str, list[Mapping[str, Any]]] = {}
        unique = list(dict.fromkeys(values))
        for start in range(0, len(unique), SEARCH_BATCH):
            query = self.searcher.query(
                self.resource, F(self.attribute).any(unique[start:start + SEARCH_BATCH]),
                projection=self.projection, sort=[("id", "asc")], per_page=SEARCH_BATCH)
            cursor: str | None = None
            while True:   # one page, unless keys are shared by several records
                page = self.call(partial(query.page, cursor))
                self.requests += 1
                for item in page.items:
                    record = self._projected.v2(item)
                    value = keypaths.dig(record, self.key)
                    if value is not None and value != "":
                        found.setdefault(key_text(value), []).append(record)
                if not page.next_cursor or not page.items:
                    break
                cursor = page.next_cursor
        return found

    def close(self) -> None:
        pass


class SearchWalk:
    """Reads a whole collection into a :class:`PrefetchIndex` through Search v3 projections.

    200 records per request, in id order, following cursors; the first page
    also tells how many records there are (:attr:`total`).
    """

    def __init__(self, index: PrefetchIndex, searcher: Any, resource: str,
                 projection: SearchProjection, call: Call) -> None:
        self.index, self.call, self.projection = index, call, projection
        self.query = searcher.query(resource, projection=projection.names,
                                    sort=[("id", "asc")], per_page=SEARCH_BATCH)
        index.fields, index.page_size = projection.fields, SEARCH_BATCH
        #: records the first page said match (None until then, or if it did not say)
        self.total: int | None = None
        self._cursor: str | None = None
        self.done = False

    def step(self) -> None:
        """Read the next page into the index."""
        first = self._cursor is None
        page = self.call(partial(self.query.page, self._cursor))
        self.index.pages += 1
        if first:
            self.total = page.total_count
        items = list(page.items)
        if not all(isinstance(item, Mapping) for item in items):
            raise LookupFailed("a Search v3 page was not a list of records")
        self.index.add(self.projection.v2(item) for item in items)
        self._cursor = page.next_cursor
        self.done = not self._cursor or not items

    def run(self) -> None:
        """Read every page left."""
        while not self.done:
            self.step()


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
                search: Any = None, resource: str | None = None,
                directory: str | None = None) -> LookupPlan:
    """Choose and prepare the lookup for a keyed import of ``service``'s records.

    ``expected_rows`` (the input's size, if known) bounds what ``auto`` may
    spend on a prefetch: a walk longer than one request per row costs more
    than it saves. ``search`` is the client's Search v3 service
    (``client.search``), or None where searching is not offered; ``resource``
    names the collection it searches.
    """
    if choice not in LOOKUPS:
        raise LookupUnavailable(f"unknown lookup {choice!r}; choose one of {', '.join(LOOKUPS)}")
    if choice == "none":
        return LookupPlan("none", None, "no lookup: one upsert request per row")
    searchable = search is not None and resource is not None and \
        search_key(resource, key) is not None
    if choice == "search":
        if not searchable:
            raise LookupUnavailable(
                f"--lookup search needs Search v3 on deals, leads or contacts and a key it "
                f"knows ({resource or 'this resource'} by {key!r} is not); use --lookup "
                "prefetch (or auto)")
        return LookupPlan("search", SearchLookup(search, str(resource), key, call),
                          "search: batched key lookups through Search v3, up to "
                          f"{SEARCH_BATCH} keys per request")
    index = PrefetchIndex(key, directory)
    try:
        return _walk(choice, index, service, key, call, expected_rows,
                     search if searchable else None, str(resource))
    except BaseException:
        index.close()
        raise


def _walk(choice: str, index: PrefetchIndex, service: Any, key: str, call: Call,
          expected_rows: int | None, search: Any, resource: str) -> LookupPlan:
    """Prefetch into ``index`` (or, for ``auto``, choose searches or no lookup instead)."""
    if search is not None and choice == "auto" and _load(index, service, call, 0):
        return _prefetched(index)       # the whole account fit in one v2 page
    projection = SearchProjection(search, resource, call) if search is not None else None
    if projection is not None and projection.holds(key):
        walk = SearchWalk(index, search, resource, projection, call)
        walk.step()
        if choice == "auto" and expected_rows is not None and walk.total is not None \
                and not walk.done:
            left = -(-max(walk.total - SEARCH_BATCH, 0) // SEARCH_BATCH)
            lookups = -(-max(expected_rows, 1) // SEARCH_BATCH)
            # on a tie the walk wins: it also answers rows whose keys repeat
            if lookups < left:
                requests = index.pages
                index.close()
                return LookupPlan("search", SearchLookup(search, resource, key, call, projection), (
                    f"search: {walk.total:,} existing records would take {left + 1:,} Search v3 "
                    f"requests to read ({SEARCH_BATCH} per request); batched lookups take about "
                    f"{lookups:,} for {expected_rows:,} rows"), requests=requests)
        walk.run()
        return _prefetched(index)
    budget = None if choice == "prefetch" or expected_rows is None else max(expected_rows, 1)
    if not _load(index, service, call, budget):
        index.close()
        return LookupPlan("none", None, (
            f"no lookup: the account holds more than {index.pages * PAGE_SIZE:,} records, so "
            f"reading them costs more than the {budget:,} rows to send; one upsert per row"),
            requests=index.pages)
    return _prefetched(index)


def _prefetched(index: PrefetchIndex) -> LookupPlan:
    how = (f"Search v3 projections, {SEARCH_BATCH}" if index.fields is not None
           else f"the v2 list, {PAGE_SIZE}")
    return LookupPlan("prefetch", index, (
        f"prefetch: {index.records:,} existing records read into a local key index in "
        f"{index.pages} request{'' if index.pages == 1 else 's'} ({how} per request)"),
        requests=index.pages)


def _load(index: PrefetchIndex, service: Any, call: Call, budget: int | None) -> bool:
    """Fill ``index`` from the collection; False when it would take more than ``budget`` pages.

    With a budget, pages 1, 2, 4, 8... are read first (each kept): the first
    short page bounds the walk, and a full page past the budget ends it.
    """
    fetched = index.read_pages      # a page read before (by a probe) is not read again

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
