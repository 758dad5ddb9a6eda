"""Memory of walking a large collection: ``iterate`` versus ``list_all``.

    python benchmarks/iterate_memory.py [N]

A local server process serves N (default 50,000) generated contacts in pages of
100. Peak Python memory growth over the process baseline is measured with
tracemalloc for each way of walking them. Target: iterate < 30 MB; list_all is
allowed to grow with N.
"""
from __future__ import annotations

import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import basecrm_like
from basecrm_like.mock.process import running

sys.path.insert(0, str(Path(__file__).parent))
import _fixture_server  # noqa: E402

MB = 1024 * 1024


def peak_growth(work: Callable[[], int]) -> tuple[int, float, float]:
    tracemalloc.start()
    baseline, _ = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    started = time.perf_counter()
    count = work()
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return count, (peak - baseline) / MB, elapsed


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
    with running([sys.executable, _fixture_server.__file__, "--contacts", str(n)]) as server:
        client = basecrm_like.Client(access_token="m" * 64, base_url=server.url)
        client.contacts.list(per_page=1)  # warm up the connection pool and imports

        def walk() -> int:
            return sum(1 for _ in client.contacts.iterate())

        def hold() -> int:
            records = client.contacts.list_all()
            return len(records)

        walked, walk_mb, walk_s = peak_growth(walk)
        held, hold_mb, hold_s = peak_growth(hold)
    assert walked == held == n, (walked, held, n)
    print(f"{n} contacts in pages of 100")
    print(f"  iterate()  peak growth {walk_mb:7.1f} MB  ({walk_s:.1f} s)  target < 30 MB")
    print(f"  list_all() peak growth {hold_mb:7.1f} MB  ({hold_s:.1f} s)  (allowed to grow)")
    print(f"  ratio list_all / iterate: {hold_mb / walk_mb:.0f}x")


if __name__ == "__main__":
    main()
