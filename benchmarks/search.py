"""Search API v3 on the mock: page time and the mock's peak memory at 10,000 and 100,000 contacts.

For each size, a SQLite file is filled with that many contacts (1% of them in
the searched industry), the mock is started on it in its own process, and a
client walks every page of ``industry == "Industry 7"`` sorted by
``last_name`` descending (50 per page) through the cursors, after one v2
request has opened the connection, then walks it again. Printed: the first
page (at 100,000 contacts the query has enough matches to get an index in its
own order, built by that first page), the median, 95th percentile and worst of
every later page (the rest of the first walk and all of the second), a v2 list
page of the same size on the same server as the baseline, and the mock
process's peak resident memory (VmHWM), whose ratio between the two sizes shows
whether memory stays flat as the account grows.

The price of indexes is paid on writes: the last lines time single-record
inserts (one transaction each, as the mock does per request) into a file store
with its standing search indexes, the same with the index the walk built, the
same with an index on every scalar attribute (what the tables had before the
rarer attributes were indexed on first use), and the same store with no search
index at all, in alternating rounds of the same run (the best round of each).
One line prices exact decimals: the engine's ``sum`` of ``decimal_value`` over
100,000 deals against SQLite's float ``total()`` of the same column.

    python benchmarks/search.py
"""
from __future__ import annotations

import json
import random
import statistics
import tempfile
import time
from decimal import Decimal, localcontext
from pathlib import Path

import requests

from basecrm_like.catalog import CATALOG
from basecrm_like.catalog.search import search_attributes
from basecrm_like.mock.backend.search import encode_answer, run_query
from basecrm_like.mock.backend.search_index import attribute_sql, indexable, indexed
from basecrm_like.mock.backend.store import Store
from basecrm_like.mock.process import mock_command, running

SIZES = (10_000, 100_000)
INDUSTRIES = 100
PER_PAGE = 50
TOKEN = "s" * 64
HEADERS = {"Authorization": f"Bearer {TOKEN}", "User-Agent": "search-benchmark/1.0",
           "Accept": "application/json"}
STAMP = "2026-01-01T00:00:00Z"


def fill(path: Path, count: int) -> None:
    contacts = CATALOG["contacts"]
    store = Store(str(path))
    with store.write():
        rows = []
        for i in range(1, count + 1):
            rows.append((0, {
                "id": i, "creator_id": 1, "owner_id": 1 + i % 3, "is_organization": False,
                "contact_id": None, "parent_organization_id": None,
                "name": f"Person {i}", "first_name": "Person", "last_name": f"Name {i % 9973:04d}",
                "title": "Buyer", "description": None, "industry": f"Industry {i % INDUSTRIES}",
                "website": None, "email": f"person{i}@example.test", "phone": None,
                "mobile": "+1 555 0100", "fax": None, "twitter": None, "facebook": None,
                "linkedin": None, "skype": None,
                "address": {"line1": f"{i} Main St", "city": "Lisbon", "postal_code": "1100",
                            "state": None, "country": "PT"},
                "customer_status": "none", "prospect_status": "current", "tags": ["bench"],
                "custom_fields": {"Segment": "SMB"}, "created_at": STAMP, "updated_at": STAMP,
            }))
            if len(rows) == 10_000:
                store.bulk_insert(contacts, rows)
                rows = []
        store.bulk_insert(contacts, rows)
        store.reserve_id(contacts, count)
    store.close()


def peak_memory_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc (Linux only)")


def walk(session: requests.Session, url: str) -> tuple[float, list[float], int]:
    query = {"query": {"filter": {"filter": {"attribute": {"name": "industry"},
                                             "parameter": {"eq": "Industry 7"}}},
                       "sort": [{"attribute": {"name": "last_name"}, "order": "descending"}],
                       "projection": [{"name": "last_name"}, {"name": "email"}]},
             "per_page": PER_PAGE}
    times, seen, cursor = [], 0, None
    while True:
        data = {**query, **({"cursor": cursor} if cursor else {})}
        started = time.perf_counter()
        answer = session.post(f"{url}/v3/contacts/search", json={"items": [{"data": data}]})
        times.append(time.perf_counter() - started)
        answer.raise_for_status()
        result = answer.json()["items"][0]
        seen += len(result["items"])
        cursor = result["meta"]["links"].get("next_page")
        if cursor is None:
            return times[0], times[1:], seen


def baseline(session: requests.Session, url: str) -> float:
    times = []
    for page in range(1, 21):
        started = time.perf_counter()
        session.get(f"{url}/v2/contacts", params={"page": page, "per_page": PER_PAGE,
                                                  "sort_by": "id"}).raise_for_status()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def measure(count: int, folder: Path) -> dict[str, float]:
    path = folder / f"contacts-{count}.sqlite"
    fill(path, count)
    with running(mock_command("--db", str(path), "--token", TOKEN)) as server, \
            requests.Session() as session:
        session.headers.update(HEADERS)
        started_kib = peak_memory_kib(server.process.pid)
        # one v2 request first, so the first page is not charged with opening the connection
        session.get(f"{server.url}/v2/contacts", params={"per_page": 1}).raise_for_status()
        first, later, seen = walk(session, server.url)
        again_first, again, _ = walk(session, server.url)
        v2_page = baseline(session, server.url)
        peak_kib = peak_memory_kib(server.process.pid)
    assert seen == count // INDUSTRIES, (seen, count)
    pages = sorted(later + [again_first] + again)
    return {"count": count, "matches": seen, "first": first, "median": statistics.median(pages),
            "p95": pages[round(0.95 * (len(pages) - 1))], "worst": pages[-1], "v2": v2_page,
            "start_mib": started_kib / 1024, "peak_mib": peak_kib / 1024}


def contact(i: int) -> dict[str, object]:
    return {"id": i, "name": f"Person {i}", "last_name": f"Name {i}", "industry": f"I {i % 7}",
            "email": f"p{i}@example.test", "address": {"city": "Lisbon", "country": "PT"},
            "tags": ["bench"], "custom_fields": {}, "created_at": STAMP, "updated_at": STAMP}


def _search_indexes(store: Store) -> list[str]:
    return [row[0] for row in store.execute(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'contacts' AND (name LIKE 'v3\\_%' ESCAPE "
        "'\\' OR name LIKE 'search\\_%' ESCAPE '\\')")]


def write_cost(folder: Path, rounds: int = 9, per_round: int = 200) -> dict[str, float]:
    """Microseconds per single-record contact insert (the best of alternating rounds, as
    load only adds time): with the standing search indexes, with those and the walk's
    order index, with an index on every scalar attribute, and with none."""
    contacts = CATALOG["contacts"]
    stores = {kind: Store(str(folder / f"{kind}.sqlite")) for kind in
              ("standing", "walked", "every", "bare")}
    for spec in search_attributes("contacts").values():
        if indexable(spec) and not indexed(spec):
            expr = attribute_sql(spec).expr.replace("t.data", "data")
            stores["every"].execute(f'CREATE INDEX "search_every_{spec.name}" ON "contacts" '
                                    f"({expr})")
    with stores["walked"].read():  # the walk's query, so its order index is built
        stores["walked"].execute('CREATE INDEX IF NOT EXISTS "search_order_bench" ON "contacts" '
                                 "(json_extract(data, '$.industry'), (json_extract(data, "
                                 "'$.last_name') IS NULL), json_extract(data, '$.last_name') "
                                 "DESC, (id IS NULL), id)")
    names = _search_indexes(stores["standing"])
    bare_names = _search_indexes(stores["bare"])
    assert names, "the store was created without search indexes"
    for name in bare_names:
        stores["bare"].execute(f'DROP INDEX "{name}"')
    times: dict[str, list[float]] = {kind: [] for kind in stores}
    next_id = 1
    for _ in range(rounds):
        for kind, store in stores.items():
            started = time.perf_counter()
            for i in range(next_id, next_id + per_round):
                with store.write():
                    store.insert(contacts, contact(i))
            times[kind].append((time.perf_counter() - started) / per_round * 1e6)
        next_id += per_round
    out = {kind: min(values) for kind, values in times.items()}
    out["standing_count"] = len(names)
    out["every_count"] = len(_search_indexes(stores["every"]))
    for store in stores.values():
        store.close()
    return out


def exact_sum_cost(count: int = 100_000) -> tuple[float, float, bool]:
    """Seconds for the engine's exact sum of ``decimal_value`` over ``count`` deals of 19 to
    20 digits, and for SQLite's float ``total()`` of the same values; and whether the
    engine's sum equals Python's exact one (the float's cannot)."""
    deals = CATALOG["deals"]
    store = Store()
    rng = random.Random(7)
    values = [f"{rng.randint(0, 10 ** 19)}.{rng.randint(0, 99):02d}" for _ in range(count)]
    with store.write():
        store.bulk_insert(deals, [(0, {"id": i + 1, "name": "D", "value": value, "tags": [],
                                       "custom_fields": {}}) for i, value in enumerate(values)])
    query = {"hits": False, "aggregations": [{"attribute": {"name": "decimal_value"},
                                              "aggregation_type": "sum"}]}
    started = time.perf_counter()
    answer = run_query(store, deals, query)
    exact = time.perf_counter() - started
    started = time.perf_counter()
    store.execute("SELECT total(CAST(json_extract(data, '$.value') AS REAL)) FROM deals").fetchone()
    floats = time.perf_counter() - started
    with localcontext() as wide:
        wide.prec = 60
        expected = sum((Decimal(v) for v in values), Decimal(0))
    found = json.loads(encode_answer(answer), parse_float=Decimal)["meta"]["aggregations"]
    store.close()
    return exact, floats, found["decimal_value"]["sum"] == expected


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        results = [measure(count, Path(folder)) for count in SIZES]
        cost = write_cost(Path(folder))
    exact, floats, right = exact_sum_cost()
    for r in results:
        print(f"{r['count']:>7} contacts, {r['matches']} matches: first page {r['first'] * 1000:.1f} ms, "
              f"then per page median {r['median'] * 1000:.1f} ms, p95 {r['p95'] * 1000:.1f} ms, "
              f"worst {r['worst'] * 1000:.1f} ms; v2 list page {r['v2'] * 1000:.1f} ms "
              f"(search/v2 = {r['median'] / r['v2']:.2f}x); mock memory {r['start_mib']:.1f} MiB "
              f"at start, peak {r['peak_mib']:.1f} MiB")
    small, large = results
    print(f"10x the records: search page {large['median'] / small['median']:.2f}x, mock peak memory "
          f"{large['peak_mib'] / small['peak_mib']:.2f}x (target: page < 50 ms, memory flat)")
    print(f"exact decimal_value sum over 100000 deals: {exact * 1000:.0f} ms "
          f"({'equal to' if right else 'DIFFERENT FROM'} Python's exact sum); SQLite's float "
          f"total() of the same: {floats * 1000:.0f} ms ({exact / floats:.1f}x)")
    bare = cost["bare"]
    print(f"one-record insert: {cost['standing']:.0f} us with the {cost['standing_count']:.0f} "
          f"standing search indexes ({cost['standing'] / bare:.2f}x), {cost['walked']:.0f} us with "
          f"the walk's order index too ({cost['walked'] / bare:.2f}x), {cost['every']:.0f} us with "
          f"an index on each of the {cost['every_count']:.0f} scalar attributes "
          f"({cost['every'] / bare:.2f}x), {bare:.0f} us without any")


if __name__ == "__main__":
    main()
