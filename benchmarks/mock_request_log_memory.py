"""Memory the mock's request log keeps for large bodies: bounded vs unbounded.

Logs 30 parsed 1 MB JSON bodies (what 30 unauthenticated 1 MB posts bring),
once with the log's limits and once with limits too large to matter (what the
log kept before it was bounded), and prints the memory the log holds, and the
ratio.

    python benchmarks/mock_request_log_memory.py
"""
from __future__ import annotations

import gc
import json
import tracemalloc
from typing import Any

from basecrm_like.mock.wire.request_log import RequestLog

POSTS = 30
SIZE = 1024 * 1024


class Arrival:
    """What the log reads of a request."""

    method, path, args = "POST", "/v2/contacts", {}
    content_length = SIZE


def kept_bytes(log: RequestLog) -> int:
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for i in range(POSTS):
        body: Any = json.loads(json.dumps({"data": {"last_name": f"{i}" + "x" * (SIZE - 40)}}))
        log.arrive(Arrival(), body)  # type: ignore[arg-type]
        del body
    gc.collect()
    kept = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert len(log.entries()) == POSTS
    return kept


def main() -> None:
    unbounded = kept_bytes(RequestLog(entry_body_limit=1 << 40, total_body_limit=1 << 40))
    bounded = kept_bytes(RequestLog())
    print(f"{POSTS} x 1 MB posts, memory the request log keeps:")
    print(f"  unbounded (baseline): {unbounded / 1e6:8.2f} MB")
    print(f"  bounded:              {bounded / 1e6:8.2f} MB")
    print(f"  ratio baseline/bounded: {unbounded / max(bounded, 1):.0f}x")


if __name__ == "__main__":
    main()
