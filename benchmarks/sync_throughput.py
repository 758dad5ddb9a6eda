"""Sync into SQLite and PostgreSQL: the mirrors against a naive insert-and-commit per item.

    python benchmarks/sync_throughput.py [ITEMS]

Starts the mock server in its own process (loopback, in memory) seeded with
about ITEMS synced records (default 3,000) and, when the PostgreSQL server
binaries are installed, a throwaway PostgreSQL (fsync on, as in production) in
a temporary directory. Then, in the same run:

1. End to end, from the mock's Sync queue, each run with a fresh device UUID
   so that every run gets every item:
   - ``Sync.run(SqliteMirror)`` and ``Sync.run(PostgresMirror)``: one
     transaction per page, batched statements, committed before the ACK;
   - the baseline: ``Sync.fetch(callback)`` with the callback the official
     examples suggest, one INSERT and one commit per item, into SQLite and
     into PostgreSQL.
2. The store alone: the pages captured from one drain are written again,
   without the network, by each mirror's ``apply`` and by the naive loop.
   This is the rate of the database side, which the end-to-end numbers hide
   behind the mock's own speed.

Prints items per second for each and the ratios. Targets: the mirror at least
5x the naive loop into PostgreSQL, and at least 5,000 items/s into PostgreSQL
(the store alone; end to end the mock's speed caps it).
"""
from __future__ import annotations

import json
import sqlite3
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
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

Naive = Callable[[Mapping[str, Any], Mapping[str, Any]], None]


def naive_sqlite(path: Path) -> tuple[Naive, Callable[[], None]]:
    conn = sqlite3.connect(path)
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


def end_to_end_naive(client: basecrm_like.Client,
                     make: Callable[[], tuple[Naive, Callable[[], None]]]) -> tuple[int, float]:
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


def store_ours(pages: list[list[Any]], url: str) -> tuple[int, float]:
    with Mirror(url) as mirror:
        started = time.perf_counter()
        n = sum(sum(mirror.apply(page)) for page in pages)
        return n, time.perf_counter() - started


def store_naive(pages: list[list[Any]],
                make: Callable[[], tuple[Naive, Callable[[], None]]]) -> tuple[int, float]:
    store, close = make()
    started = time.perf_counter()
    n = 0
    for page in pages:
        for item in page:
            store(item["meta"], item["data"])
            n += 1
    elapsed = time.perf_counter() - started
    close()
    return n, elapsed


def line(label: str, n: int, seconds: float) -> float:
    rate = n / seconds
    print(f"  {label:<52} {n:6d} items {seconds:7.2f} s {rate:9.0f} items/s")
    return rate


def main() -> None:
    wanted = int(sys.argv[1]) if len(sys.argv) > 1 else 3_000
    have_pg = find_binaries() is not None
    with running(mock_command("--seed", str(max(1, wanted // 3)))) as server, \
            tempfile.TemporaryDirectory(prefix="sync-bench-", dir=Path.cwd()) as tmp, \
            (running_postgres(fsync=True) if have_pg else _nothing()) as pg:
        client = basecrm_like.Client(access_token=DEV_TOKEN, base_url=server.url, timeout=60)
        db = Path(tmp)
        print("end to end, from the mock's Sync queue (loopback):")
        # ours first: it pays for the server's cold start
        r_sqlite = line("SqliteMirror (transaction per page)",
                        *end_to_end_ours(client, f"sqlite:///{db / 'e2e.sqlite'}"))
        b_sqlite = line("baseline SQLite (INSERT + commit per item)",
                        *end_to_end_naive(client, lambda: naive_sqlite(db / "e2e-naive.sqlite")))
        if pg is not None:
            r_pg = line("PostgresMirror (transaction per page)",
                        *end_to_end_ours(client, pg.create_database("e2e")))
            url = pg.create_database("e2e_naive")
            b_pg = line("baseline PostgreSQL (INSERT + commit per item)",
                        *end_to_end_naive(client, lambda: naive_postgres(url)))
        pages = capture(client)
        print(f"the store alone, {sum(map(len, pages))} items in {len(pages)} pages, "
              "no network:")
        s_sqlite = line("SqliteMirror.apply per page",
                        *store_ours(pages, f"sqlite:///{db / 'store.sqlite'}"))
        n_sqlite = line("baseline SQLite (INSERT + commit per item)",
                        *store_naive(pages, lambda: naive_sqlite(db / "store-naive.sqlite")))
        if pg is not None:
            s_pg = line("PostgresMirror.apply per page", *store_ours(pages, pg.create_database(
                "store")))
            url2 = pg.create_database("store_naive")
            n_pg = line("baseline PostgreSQL (INSERT + commit per item)",
                        *store_naive(pages, lambda: naive_postgres(url2)))
    print("ratios, mirror / baseline:")
    print(f"  SQLite:     end to end {r_sqlite / b_sqlite:5.1f}x, store alone "
          f"{s_sqlite / n_sqlite:5.1f}x")
    if pg is None:
        print("  PostgreSQL: not measured, the server binaries are not installed")
        return
    print(f"  PostgreSQL: end to end {r_pg / b_pg:5.1f}x, store alone {s_pg / n_pg:5.1f}x "
          f"(target >= {TARGET_RATIO:.0f}x)")
    print(f"  PostgreSQL store rate {s_pg:.0f} items/s (target >= {TARGET_PG_RATE:.0f}); "
          f"end to end {r_pg:.0f} items/s")


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


if __name__ == "__main__":
    main()
