"""Firehose: events into a mirror, and the latency from a write to its event.

    python benchmarks/firehose.py [EVENTS] [WRITES]

Starts the mock server in its own process (loopback, in memory), seeded so
that its stream holds about EVENTS events (default 3,000) for contacts, leads
and deals, then:

1. Throughput into a mirror, events per second, from tail to top:
   - ours: ``client.firehose.mirror(SqliteMirror(...))`` (100 events a page,
     one transaction per page with its position);
   - baseline: what the public ``zendesk-sell-firehose-client`` does (every
     page of the default size read into memory), then the INSERT and commit
     per event its users write, into a plain SQLite file.
2. Follow mode: WRITES (default 1,000) updates, one after another, while a
   consumer follows the stream (``poll_interval`` 0.05 s); the latency from a
   write's answer to the handling of its event, median and p99, against the
   round trip of one plain GET (the floor any polling consumer pays).
"""
from __future__ import annotations

import json
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import requests

import basecrm_like
from basecrm_like.mock import DEV_TOKEN
from basecrm_like.mock.process import mock_command, running
from basecrm_like.sync import SqliteMirror

RESOURCES = ["contacts", "leads", "deals"]
POLL = 0.05


def ours(client: basecrm_like.Client, path: Path) -> tuple[int, float]:
    with SqliteMirror(path) as mirror:
        for resource in RESOURCES:   # start from tail: measure events, not the full load
            mirror.apply([], checkpoint=(f"firehose:{resource}", "tail"))
        started = time.perf_counter()
        summary = client.firehose.mirror(mirror, RESOURCES).run()
        return summary.applied, time.perf_counter() - started


def baseline(url: str, path: Path) -> tuple[int, float]:
    started = time.perf_counter()
    headers = {"Authorization": f"Bearer {DEV_TOKEN}"}
    items: list[Any] = []
    for resource in RESOURCES:
        position, top = "tail", False
        while not top:
            answer = requests.get(f"{url}/v3/{resource}/stream", headers=headers,
                                  params={"position": position}, timeout=60)
            answer.raise_for_status()
            body = answer.json()
            items.extend(body["items"])
            position, top = body["meta"]["position"], body["meta"]["top"]
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE items (type TEXT, id INTEGER, data TEXT, PRIMARY KEY (type, id))")
    for item in items:
        meta = item["meta"]
        if meta["event_type"] == "deleted":
            conn.execute("DELETE FROM items WHERE type=? AND id=?", (meta["type"],
                                                                   item["data"]["id"]))
        else:
            conn.execute("INSERT OR REPLACE INTO items VALUES (?, ?, ?)",
                         (meta["type"], item["data"]["id"], json.dumps(item["data"])))
        conn.commit()
    conn.close()
    return len(items), time.perf_counter() - started


def follow_latency(client: basecrm_like.Client, writes: int) -> tuple[list[float], list[float]]:
    """Seconds from each write's answer to its event's handling; and plain GET round trips."""
    contact = client.contacts.create(last_name="Latency")
    written: dict[str, float] = {}
    handled: dict[str, float] = {}
    stream = client.firehose.stream("contacts", position="top")
    done = threading.Event()

    def consume() -> None:
        for event in stream.follow(poll_interval=POLL):
            title = event.data.get("title")
            if isinstance(title, str) and title.startswith("w"):
                handled[title] = time.perf_counter()
                if len(handled) == writes:
                    stream.stop()
        done.set()

    consumer = threading.Thread(target=consume, daemon=True)
    consumer.start()
    time.sleep(0.5)
    round_trips = []
    for n in range(writes):
        title = f"w{n}"
        client.contacts.update(contact.id, title=title)
        written[title] = time.perf_counter()
        before = time.perf_counter()
        client.contacts.retrieve(contact.id)
        round_trips.append(time.perf_counter() - before)
    done.wait(120)
    stream.stop()
    return [handled[t] - written[t] for t in written if t in handled], round_trips


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98]


def main() -> None:
    events = int(sys.argv[1]) if len(sys.argv) > 1 else 3_000
    writes = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000
    with running(mock_command("--seed", str(max(1, events // 3)))) as server:
        client = basecrm_like.Client(access_token=DEV_TOKEN, base_url=server.url, timeout=60)
        with tempfile.TemporaryDirectory(prefix="firehose-bench-", dir=Path.cwd()) as tmp:
            n_ours, t_ours = ours(client, Path(tmp) / "ours.sqlite")
            n_base, t_base = baseline(server.url, Path(tmp) / "baseline.sqlite")
        latencies, round_trips = follow_latency(client, writes)
    if n_ours != n_base:
        raise SystemExit(f"the runs saw different events: {n_ours} vs {n_base}")
    rate_ours, rate_base = n_ours / t_ours, n_base / t_base
    print(f"firehose of {n_ours} events from the mock into SQLite (loopback)")
    print(f"  baseline (read all, INSERT + commit per event): {t_base:7.2f} s "
          f"{rate_base:9.0f} events/s")
    print(f"  client.firehose.mirror (transaction per page):  {t_ours:7.2f} s "
          f"{rate_ours:9.0f} events/s")
    print(f"  ratio ours/baseline: {rate_ours / rate_base:.1f}x")
    if len(latencies) < writes:
        raise SystemExit(f"only {len(latencies)} of {writes} writes were seen in follow mode")
    median, tail = statistics.median(latencies), p99(latencies)
    floor = statistics.median(round_trips)
    print(f"follow mode, {writes} writes, poll interval {POLL * 1000:.0f} ms:")
    print(f"  write -> handled: median {median * 1000:6.1f} ms, p99 {tail * 1000:6.1f} ms")
    print(f"  one GET round trip (baseline): median {floor * 1000:6.1f} ms; "
          f"median latency / round trip: {median / floor:.1f}x")


if __name__ == "__main__":
    main()
