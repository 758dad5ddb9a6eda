"""Sync into SQLite: SqliteMirror against the official-style callback.

    python benchmarks/sync_throughput.py [ITEMS]

Starts the mock server in its own process (loopback, in memory) seeded with
about ITEMS synced records (default 20,000), then drains its Sync queue twice,
each time with a fresh device UUID so that both runs get every item:

- ours: ``Sync.run(SqliteMirror(...))``, one transaction per page, committed
  before the page is acknowledged;
- baseline: ``Sync.fetch(callback)`` with the callback the official examples
  suggest, one INSERT and one commit per item, in a plain SQLite file.

Both use the same client, server and disk; only the way items are stored
differs. Prints items per second for each and the ratio. Target: >= 3.
The baseline pays one fsync per item, so the ratio grows with the disk's
fsync cost; the databases live in a temporary directory under the current one.
"""
from __future__ import annotations

import json
import sqlite3
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import basecrm_like
from basecrm_like.mock import DEV_TOKEN
from basecrm_like.mock.process import mock_command, running
from basecrm_like.sync import SqliteMirror, Sync

TARGET = 3.0


def ours(client: basecrm_like.Client, path: Path) -> tuple[int, float]:
    started = time.perf_counter()
    with SqliteMirror(path) as mirror:
        summary = Sync(client, str(uuid.uuid4())).run(mirror)
    return summary.acked, time.perf_counter() - started


def baseline(client: basecrm_like.Client, path: Path) -> tuple[int, float]:
    started = time.perf_counter()
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE IF NOT EXISTS items (type TEXT, id INTEGER, revision INTEGER, "
                 "data TEXT, PRIMARY KEY (type, id))")
    conn.commit()

    def callback(meta: Any, data: Any) -> bool:
        if meta["sync"]["event_type"] == "deleted":
            conn.execute("DELETE FROM items WHERE type = ? AND id = ?", (meta["type"], data["id"]))
        else:
            conn.execute("INSERT OR REPLACE INTO items VALUES (?, ?, ?, ?)",
                         (meta["type"], data["id"], meta["sync"]["revision"], json.dumps(data)))
        conn.commit()
        return Sync.ACK

    summary = Sync(client, str(uuid.uuid4())).fetch(callback)
    conn.close()
    return summary.acked, time.perf_counter() - started


def main() -> None:
    wanted = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    # N contacts, N leads and N deals
    with running(mock_command("--seed", str(max(1, wanted // 3)))) as server:
        client = basecrm_like.Client(access_token=DEV_TOKEN, base_url=server.url, timeout=60)
        with tempfile.TemporaryDirectory(prefix="sync-bench-", dir=Path.cwd()) as tmp:
            # ours first: it pays for the server's cold start
            n_ours, t_ours = ours(client, Path(tmp) / "ours.sqlite")
            n_base, t_base = baseline(client, Path(tmp) / "baseline.sqlite")
    if n_ours != n_base:
        raise SystemExit(f"the runs saw different items: {n_ours} vs {n_base}")
    rate_ours, rate_base = n_ours / t_ours, n_base / t_base
    ratio = rate_ours / rate_base
    print(f"sync of {n_ours} items from the mock into SQLite (loopback)")
    print(f"  baseline (INSERT + commit per item): {t_base:7.2f} s  {rate_base:9.0f} items/s")
    print(f"  SqliteMirror (transaction per page): {t_ours:7.2f} s  {rate_ours:9.0f} items/s")
    print(f"  ratio ours/baseline: {ratio:.1f}x (target >= {TARGET:.0f}x)")


if __name__ == "__main__":
    main()
