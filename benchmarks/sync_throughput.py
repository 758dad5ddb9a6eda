"""Sync into SQLite and PostgreSQL: the mirrors against a naive insert-and-commit per item.

    python benchmarks/sync_throughput.py [ITEMS] [--repeat N] [--no-end-to-end]

Starts the mock server in its own process (loopback, in memory) seeded with
about ITEMS synced records (default 3,000) and, when the PostgreSQL server
binaries are installed, one throwaway PostgreSQL in a temporary directory. Every
PostgreSQL figure, the mirror's and the baselines', comes from that one server
with the same settings (fsync on, synchronous_commit on: a commit waits for its
WAL flush, as in production); every SQLite figure from files in one directory
with the mirror's settings (WAL journal, synchronous=FULL). The run prints the
settings it read back.

Each repetition measures, on fresh databases:

1. The store alone: the pages captured from one drain of the Sync queue are
   written again, without the network,
   - by the mirror, ``apply`` per page (one transaction per page);
   - by the naive loop the official examples suggest, ``Sync.fetch`` with a
     callback doing one INSERT (upsert) and one commit per item into a single
     ``items (type, id, revision, data)`` table;
   - by the mirror one item at a time, ``apply([item])``: the same tables,
     indexes and statements as the mirror, one transaction per item.
   This is the rate of the database side, which the end-to-end numbers hide
   behind the mock's own speed. Each side's schema is created before its clock
   starts (the mirror's 13 tables with their indexes by ``Mirror.prepare``, the
   naive loop's table by its CREATE TABLE) and timed apart: the run prints both
   the rates with the schema in place and the rates with each side's schema
   creation counted, and the ratios both ways.
2. End to end, from the mock's Sync queue, each run with a fresh device UUID so
   that every run gets every item: ``Sync.run(mirror)`` and ``Sync.fetch`` with
   the naive callback.

Prints items per second for each (best and median of the repetitions) and the
ratios mirror / baseline: best over best, median over median, and within each
repetition. Targets: the mirror at least 5x the naive loop into
PostgreSQL, and at least 5,000 items/s into PostgreSQL (the store alone; end to
end the mock's speed caps it). On a shared machine take the best figures as the
closer ones to what the code can do, and the medians as what a busy machine gives.
"""
from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import nullcontext
from functools import partial
from pathlib import Path
from typing import Any

import basecrm_like
from basecrm_like.mock import DEV_TOKEN
from basecrm_like.mock.process import mock_command, running
from basecrm_like.sync import Mirror, Sync

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.support.postgres_server import find_binaries, running_postgres  # noqa: E402

TARGET_RATIO = 5.0
TARGET_PG_RATE = 5000.0
#: the SQLite mirror's durability (sync/mirror.py), given to the naive loop too
SQLITE_PRAGMAS = ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL")

Naive = Callable[[Mapping[str, Any], Mapping[str, Any]], None]
Maker = Callable[[], tuple[Naive, Callable[[], None]]]


def naive_sqlite(path: Path) -> tuple[Naive, Callable[[], None]]:
    conn = sqlite3.connect(path)
    for pragma in SQLITE_PRAGMAS:
        conn.execute(pragma)
    conn.execute("CREATE TABLE IF NOT EXISTS items (type TEXT, id INTEGER, revision INTEGER, "
                 "data TEXT, PRIMARY KEY (type, id))")
    conn.commit()

    def store(meta: Mapping[str, Any], data: Mapping[str, Any]) -> None:
        if meta["sync"]["event_type"] == "deleted":
            conn.execute("DELETE FROM items WHERE type = ? AND id = ?", (meta["type"], data["id"]))
        else:
            conn.execute("INSERT OR REPLACE INTO items VALUES (?, ?, ?, ?)",
                         (meta["type"], data["id"], meta["sync"]["revision"],
                          json.dumps(data, default=str)))
        conn.commit()

    return store, conn.close


def naive_postgres(url: str) -> tuple[Naive, Callable[[], None]]:
    import psycopg

    conn = psycopg.connect(url)
    conn.execute("CREATE TABLE IF NOT EXISTS items (type text, id bigint, revision bigint, "
                 "data jsonb, PRIMARY KEY (type, id))")
    conn.commit()

    def store(meta: Mapping[str, Any], data: Mapping[str, Any]) -> None:
        if meta["sync"]["event_type"] == "deleted":
            conn.execute("DELETE FROM items WHERE type = %s AND id = %s",
                         (meta["type"], data["id"]))
        else:
            conn.execute("INSERT INTO items VALUES (%s, %s, %s, %s) ON CONFLICT (type, id) "
                         "DO UPDATE SET revision = excluded.revision, data = excluded.data",
                         (meta["type"], data["id"], meta["sync"]["revision"],
                          json.dumps(data, default=str)))
        conn.commit()

    return store, conn.close


def end_to_end_ours(client: basecrm_like.Client, url: str) -> tuple[int, float]:
    started = time.perf_counter()
    with Mirror(url) as mirror, mirror.writer():
        summary = Sync(client, str(uuid.uuid4())).run(mirror)
    return summary.acked, time.perf_counter() - started


def end_to_end_naive(client: basecrm_like.Client, make: Maker) -> tuple[int, float]:
    started = time.perf_counter()
    store, close = make()

    def callback(meta: Any, data: Any) -> bool:
        store(meta, data)
        return Sync.ACK

    summary = Sync(client, str(uuid.uuid4())).fetch(callback)
    close()
    return summary.acked, time.perf_counter() - started


def capture(client: basecrm_like.Client) -> list[list[Any]]:
    pages: list[list[Any]] = []

    class Recorder:
        def apply(self, items: Sequence[Any]) -> list[bool]:
            pages.append(json.loads(json.dumps(list(items), default=str)))
            return [True] * len(items)

    Sync(client, str(uuid.uuid4())).run(Recorder())
    return pages


def _types(pages: list[list[Any]]) -> set[str]:
    return {item["meta"]["type"] for page in pages for item in page}


def store_ours(pages: list[list[Any]], url: str) -> tuple[int, float, float]:
    """The mirror, one ``apply`` (one transaction) per page; then the seconds its tables and
    indexes took to create, before the timed writes."""
    with Mirror(url) as mirror:
        started = time.perf_counter()
        mirror.prepare(_types(pages))
        ddl = time.perf_counter() - started
        started = time.perf_counter()
        n = sum(sum(mirror.apply(page)) for page in pages)
        return n, time.perf_counter() - started, ddl


def store_ours_per_item(pages: list[list[Any]], url: str) -> tuple[int, float, float]:
    """The mirror's own tables and statements, one ``apply`` (one transaction) per item."""
    with Mirror(url) as mirror:
        started = time.perf_counter()
        mirror.prepare(_types(pages))
        ddl = time.perf_counter() - started
        started = time.perf_counter()
        n = sum(sum(mirror.apply([item])) for page in pages for item in page)
        return n, time.perf_counter() - started, ddl


def store_naive(pages: list[list[Any]], make: Maker) -> tuple[int, float, float]:
    """The naive loop; then the seconds its connection and CREATE TABLE took, before the timed
    writes."""
    started = time.perf_counter()
    store, close = make()
    ddl = time.perf_counter() - started
    started = time.perf_counter()
    n = 0
    for page in pages:
        for item in page:
            store(item["meta"], item["data"])
            n += 1
    elapsed = time.perf_counter() - started
    close()
    return n, elapsed, ddl


class Results:
    """Rates per measurement over the repetitions."""

    def __init__(self) -> None:
        self.rates: dict[str, list[float]] = {}
        self.counts: dict[str, int] = {}
        #: per store-alone label: the seconds of schema creation, and the rates with it counted
        self.ddl: dict[str, list[float]] = {}

    def add(self, label: str, n: int, seconds: float, ddl: float | None = None) -> None:
        self.rates.setdefault(label, []).append(n / seconds)
        self.counts[label] = n
        extra = ""
        if ddl is not None:
            self.ddl.setdefault(label, []).append(ddl)
            self.rates.setdefault(label + WITH_DDL, []).append(n / (seconds + ddl))
            extra = f"  (+ schema {ddl * 1000:5.0f} ms: {n / (seconds + ddl):6.0f} items/s)"
        print(f"    {label:<76} {n:6d} items {seconds:7.2f} s {n / seconds:8.0f} items/s{extra}",
              flush=True)

    def best(self, label: str) -> float:
        return max(self.rates[label])

    def median(self, label: str) -> float:
        return statistics.median(self.rates[label])

    def line(self, label: str) -> None:
        runs = ", ".join(f"{r:.0f}" for r in self.rates[label])
        ddl = self.ddl.get(label)
        schema = (f"; schema creation, not timed: median {statistics.median(ddl) * 1000:.0f} ms"
                  if ddl else "")
        print(f"  {label:<76} best {self.best(label):7.0f}  median {self.median(label):7.0f}"
              f"  items/s  ({runs}){schema}")

    def ratio(self, ours: str, baseline: str) -> str:
        """Best over best, median over median, and the ratio within each repetition (both
        measured moments apart: the steadiest figure on a machine whose load changes)."""
        paired = [a / b for a, b in zip(self.rates[ours], self.rates[baseline], strict=True)]
        return (f"best {self.best(ours) / self.best(baseline):5.1f}x, "
                f"median {self.median(ours) / self.median(baseline):5.1f}x, "
                f"per repetition {statistics.median(paired):5.1f}x median "
                f"({', '.join(f'{r:.1f}' for r in paired)})")


PG_OURS = "PostgresMirror.apply per page"
PG_NAIVE = "baseline PG: example callback, INSERT + commit per item"
PG_ITEM = "baseline PG: mirror tables, apply + commit per item"
SQ_OURS = "SqliteMirror.apply per page"
SQ_NAIVE = "baseline SQLite: example callback, INSERT + commit per item"
SQ_ITEM = "baseline SQLite: mirror tables, apply + commit per item"
E2E = "end to end: "
WITH_DDL = ", schema timed too"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 2)[2])
    parser.add_argument("items", nargs="?", type=int, default=3_000,
                        help="about how many records to seed and sync (default 3000)")
    parser.add_argument("--repeat", type=int, default=3, metavar="N",
                        help="repetitions; best and median are reported (default 3)")
    parser.add_argument("--no-end-to-end", action="store_true",
                        help="measure the store alone, not the drains of the mock's queue")
    args = parser.parse_args()
    have_pg = find_binaries() is not None
    results = Results()
    with running(mock_command("--seed", str(max(1, args.items // 3)))) as server, \
            tempfile.TemporaryDirectory(prefix="sync-bench-", dir=Path.cwd()) as tmp, \
            (running_postgres(fsync=True) if have_pg else nullcontext()) as pg:
        client = basecrm_like.Client(access_token=DEV_TOKEN, base_url=server.url, timeout=60)
        db = Path(tmp)
        print_settings(pg, db)
        pages = capture(client)
        print(f"{sum(map(len, pages))} items in {len(pages)} pages; "
              f"{args.repeat} repetitions, fresh databases each time")
        for rep in range(1, args.repeat + 1):
            print(f"  repetition {rep}, the store alone (no network):")
            fresh = _fresh_names(pg, rep)
            if pg is not None:
                results.add(PG_OURS, *store_ours(pages, next(fresh)))
                results.add(PG_NAIVE, *store_naive(pages, partial(naive_postgres, next(fresh))))
                results.add(PG_ITEM, *store_ours_per_item(pages, next(fresh)))
            results.add(SQ_OURS, *store_ours(pages, f"sqlite:///{db / f'store{rep}.sqlite'}"))
            results.add(SQ_NAIVE, *store_naive(
                pages, partial(naive_sqlite, db / f"naive{rep}.sqlite")))
            results.add(SQ_ITEM, *store_ours_per_item(
                pages, f"sqlite:///{db / f'item{rep}.sqlite'}"))
            if args.no_end_to_end:
                continue
            print(f"  repetition {rep}, end to end from the mock's Sync queue (loopback):")
            if pg is not None:
                results.add(E2E + PG_OURS, *end_to_end_ours(client, next(fresh)))
                results.add(E2E + PG_NAIVE, *end_to_end_naive(
                    client, partial(naive_postgres, next(fresh))))
            results.add(E2E + SQ_OURS, *end_to_end_ours(
                client, f"sqlite:///{db / f'e2e{rep}.sqlite'}"))
            results.add(E2E + SQ_NAIVE, *end_to_end_naive(
                client, partial(naive_sqlite, db / f"e2e-naive{rep}.sqlite")))
    report(results, pg is not None, not args.no_end_to_end)


def _fresh_names(pg: Any, rep: int) -> Iterator[str]:
    n = 0
    while True:
        n += 1
        yield pg.create_database(f"bench_{rep}_{n}") if pg is not None else ""


def print_settings(pg: Any, db: Path) -> None:
    print("durability, the same for the mirrors and the baselines:")
    if pg is not None:
        import psycopg

        with psycopg.connect(pg.url(), autocommit=True) as conn:
            shown = [f"{name}={conn.execute(f'SHOW {name}').fetchone()[0]}"  # type: ignore[index]
                     for name in ("server_version", "fsync", "synchronous_commit",
                                  "full_page_writes", "wal_sync_method")]
        print("  PostgreSQL (one throwaway server for all): " + ", ".join(shown))
    else:
        print("  PostgreSQL: not measured, the server binaries are not installed")
    with Mirror(f"sqlite:///{db / 'settings.sqlite'}") as mirror:
        ours = [mirror.connection.execute(f"PRAGMA {p}").fetchone()[0]
                for p in ("journal_mode", "synchronous")]
    naive_sqlite(db / "settings-naive.sqlite")[1]()
    lite = sqlite3.connect(db / "settings-naive.sqlite")
    lite.execute(SQLITE_PRAGMAS[1])  # synchronous is per connection: as the naive loop sets it
    naive = [lite.execute(f"PRAGMA {p}").fetchone()[0] for p in ("journal_mode", "synchronous")]
    lite.close()
    print(f"  SQLite {sqlite3.sqlite_version}: mirror journal_mode={ours[0]} synchronous={ours[1]}"
          f"; naive loop journal_mode={naive[0]} synchronous={naive[1]} (2 = FULL)")


def report(results: Results, have_pg: bool, end_to_end: bool) -> None:
    print("items per second over the repetitions:")
    for label in results.rates:
        results.line(label)
    print("ratios, mirror / baseline. The store alone is timed with each side's schema already "
          "in place\n(the mirror's 13 tables and their indexes, the naive loop's one table), "
          "each side's schema\ncreation timed apart; the lines marked 'schema timed too' count "
          "it on both sides. End to end\ntimes everything on both sides: opening, schema, "
          "fetching, writing.")
    if have_pg:
        print(f"  PostgreSQL, store alone, vs the example callback:  "
              f"{results.ratio(PG_OURS, PG_NAIVE)}  (target >= {TARGET_RATIO:.0f}x)")
        print(f"    the same, schema timed too on both sides:        "
              f"{results.ratio(PG_OURS + WITH_DDL, PG_NAIVE + WITH_DDL)}")
        print(f"  PostgreSQL, store alone, vs the mirror per item:   "
              f"{results.ratio(PG_OURS, PG_ITEM)}")
        if end_to_end:
            print(f"  PostgreSQL, end to end, vs the example callback:  "
                  f"{results.ratio(E2E + PG_OURS, E2E + PG_NAIVE)}")
    else:
        print("  PostgreSQL: not measured, the server binaries are not installed")
    print(f"  SQLite, store alone, vs the example callback:      "
          f"{results.ratio(SQ_OURS, SQ_NAIVE)}")
    print(f"    the same, schema timed too on both sides:        "
          f"{results.ratio(SQ_OURS + WITH_DDL, SQ_NAIVE + WITH_DDL)}")
    print(f"  SQLite, store alone, vs the mirror per item:       "
          f"{results.ratio(SQ_OURS, SQ_ITEM)}")
    if end_to_end:
        print(f"  SQLite, end to end, vs the example callback:      "
              f"{results.ratio(E2E + SQ_OURS, E2E + SQ_NAIVE)}")
    if have_pg:
        print(f"  PostgreSQL store rate: best {results.best(PG_OURS):.0f}, median "
              f"{results.median(PG_OURS):.0f} items/s (target >= {TARGET_PG_RATE:.0f})")


if __name__ == "__main__":
    main()
