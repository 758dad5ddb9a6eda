"""What the total deadline per attempt costs an ordinary fast request.

    python benchmarks/attempt_deadline.py [N]

Three clients GET the same resource from one local server process, in
interleaved rounds: the client as shipped (each attempt armed with the shared
watchdog and disarmed), the same client over a session whose adapter does not
arm the watchdog (what it cost before), and plain ``requests``. Prints seconds
per client and the ratios. Target: guarded / unguarded <= 1.03.
"""
from __future__ import annotations

import sys
import timeit
from pathlib import Path

import requests
from urllib3.poolmanager import pool_classes_by_scheme as urllib3_pools

import basecrm_like
from basecrm_like.http.deadlines import AttemptGuard
from basecrm_like.mock.process import running

sys.path.insert(0, str(Path(__file__).parent))
import _fixture_server  # noqa: E402
from http_overhead import HEADERS, TOKEN, report, timed_rounds  # noqa: E402


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    with running([sys.executable, _fixture_server.__file__]) as server:
        guarded = basecrm_like.Client(access_token=TOKEN, base_url=server.url, max_retries=3)
        # the same client whose pools make urllib3's own connections, which never
        # arm the watchdog: what a request cost before
        unguarded = basecrm_like.Client(access_token=TOKEN, base_url=server.url, max_retries=3)
        adapter = unguarded.http_client.session.get_adapter(server.url)
        adapter.poolmanager.pool_classes_by_scheme = dict(urllib3_pools)  # type: ignore[attr-defined]
        plain = requests.Session()
        target = f"{server.url}/v2/contacts/1"
        totals = timed_rounds({
            "guarded (as shipped)": lambda: guarded.contacts.retrieve(1),
            "unguarded (watchdog never armed)": lambda: unguarded.contacts.retrieve(1),
            "plain requests.Session": lambda: plain.get(target, headers=HEADERS).json(),
        }, n)
    report("plain HTTP on loopback", totals, n)
    first, second, third = totals.values()

    def arm_and_disarm() -> None:
        guard = AttemptGuard(30.0)
        guard.arm(_FakeConnection())  # type: ignore[arg-type]
        guard.disarm()

    per_arm = min(timeit.repeat(arm_and_disarm, number=10_000, repeat=3)) / 10_000
    print("\nratios (lower is faster for the first name)")
    print(f"  guarded / unguarded             : {first / second:.3f}  (target <= 1.03)")
    print(f"  guarded / plain requests        : {first / third:.3f}")
    print(f"  unguarded / plain requests      : {second / third:.3f}")
    print(f"  one arm + disarm of the watchdog: {per_arm * 1e6:.2f} us "
          f"({per_arm / (first / n) * 100:.2f} % of a guarded call)")


class _FakeConnection:
    sock = None


if __name__ == "__main__":
    main()
