"""Several processes on one token against one mock: does their rate limit hold together?

``run_processes`` starts ``processes`` copies of this module (``python -m
tests.support.shared_budget``), each sending ``requests`` GETs through a client
with ``rate_limit`` and, when given, ``rate_limit_store``, all starting at the
same instant: each says it is ready (imports done, client built), then waits
for the parent's go, so a slow start on a busy machine cannot spread them out. Each prints its counts; the parent adds them up. Used by the
tests (which check the counts) and by benchmarks/request_options.py (which
prints the rates too).
"""
from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
READY = "ready"


@dataclass(frozen=True)
class BudgetRun:
    sent: int
    ok: int
    rate_limited: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.sent / self.seconds if self.seconds else 0.0


def run_processes(url: str, token: str, store: str | None, *, processes: int = 3,
                  requests: int = 100, rate: float = 10.0, timeout: float = 120.0) -> BudgetRun:
    command = [sys.executable, "-m", "tests.support.shared_budget", url, token, store or "",
               str(requests), str(rate)]
    children = [subprocess.Popen(command, cwd=ROOT, stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, text=True)
                for _ in range(processes)]
    for child in children:
        assert child.stdout is not None
        if child.stdout.readline().strip() != READY:
            raise RuntimeError("a worker did not start")
    reports = []
    for child in children:
        assert child.stdin is not None
        child.stdin.write("go\n")
        child.stdin.flush()
    for child in children:
        out, _ = child.communicate(timeout=timeout)
        if child.returncode != 0:
            raise RuntimeError(f"a worker failed with status {child.returncode}: {out!r}")
        reports.append(json.loads(out))
    ok = sum(r["ok"] for r in reports)
    limited = sum(r["rate_limited"] for r in reports)
    seconds = max(r["ended"] for r in reports) - min(r["started"] for r in reports)
    return BudgetRun(ok + limited, ok, limited, seconds)


def worker(url: str, token: str, store: str, count: int, rate: float) -> dict:
    import basecrm_like
    from basecrm_like.errors import RateLimitError

    client = basecrm_like.Client(access_token=token, base_url=url, rate_limit=rate,
                                 rate_limit_store=store or None, max_retries=0, timeout=30)
    ok = limited = 0
    print(READY, flush=True)
    sys.stdin.readline()
    started = time.time()
    for _ in range(count):
        try:
            client.users.self()
            ok += 1
        except RateLimitError:
            limited += 1
    return {"ok": ok, "rate_limited": limited, "started": started, "ended": time.time()}


if __name__ == "__main__":
    url_, token_, store_, count_, rate_ = sys.argv[1:6]
    print(json.dumps(worker(url_, token_, store_, int(count_), float(rate_))))
