"""Per-call overhead of the client against plain requests, and the cost of a
connection per call (what the official 1.x client does) over HTTP and HTTPS.

    python benchmarks/http_overhead.py [N]

All clients GET the same resource from one local server process; rounds are
interleaved so drift on a shared machine hits every client alike. Prints
seconds per client and the ratios. Target: ours / plain <= 1.15.
"""
from __future__ import annotations

import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import requests
import urllib3

import basecrm_like
from basecrm_like.mock.process import running

sys.path.insert(0, str(Path(__file__).parent))
import _fixture_server  # noqa: E402

TOKEN = "b" * 64
HEADERS = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json",
           "User-Agent": "bench"}


def timed_rounds(clients: dict[str, Callable[[], object]], n: int, rounds: int = 4) -> dict[str, float]:
    totals = dict.fromkeys(clients, 0.0)
    for fn in clients.values():  # warm up: connections, imports, caches
        for _ in range(20):
            fn()
    per_round = n // rounds
    for _ in range(rounds):
        for name, fn in clients.items():
            start = time.perf_counter()
            for _ in range(per_round):
                fn()
            totals[name] += time.perf_counter() - start
    return totals


def clients_for(url: str, verify: bool) -> dict[str, Callable[[], object]]:
    import basecrm  # the official 1.x client, from the test extra

    ours = basecrm_like.Client(access_token=TOKEN, base_url=url, verify_ssl=verify)
    plain = requests.Session()
    official = basecrm.Client(access_token=TOKEN, base_url=url, verify_ssl=verify)
    target = f"{url}/v2/contacts/1"
    return {
        "basecrm_like": lambda: ours.contacts.retrieve(1),
        "plain requests.Session": lambda: plain.get(target, headers=HEADERS, verify=verify).json(),
        "official basecrm 1.x (connection per call)": lambda: official.contacts.retrieve(1),
    }


def report(title: str, totals: dict[str, float], n: int) -> None:
    print(f"\n{title} ({n} GETs each)")
    for name, seconds in totals.items():
        print(f"  {name:45s} {seconds:7.3f} s  {seconds / n * 1e6:8.1f} us/call")


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    warnings.simplefilter("ignore", urllib3.exceptions.InsecureRequestWarning)
    names = list(clients_for("http://127.0.0.1:1", False))
    ours, plain, official = names

    with running([sys.executable, _fixture_server.__file__]) as server:
        http = timed_rounds(clients_for(server.url, False), n)
    report("plain HTTP on loopback", http, n)

    with tempfile.TemporaryDirectory() as tmp:
        cert, key = _fixture_server.self_signed_cert(Path(tmp))
        with running([sys.executable, _fixture_server.__file__, "--tls", cert, key]) as server:
            tls_n = max(200, n // 4)
            tls = timed_rounds(clients_for(server.url, False), tls_n)
    report("HTTPS on loopback, self-signed certificate", tls, tls_n)

    print("\nratios (lower is faster for the first name)")
    print(f"  ours / plain requests                 : {http[ours] / http[plain]:.3f}  (target <= 1.15)")
    print(f"  official / ours, HTTP                 : {http[official] / http[ours]:.2f}x")
    print(f"  official / ours, HTTPS                : {tls[official] / tls[ours]:.2f}x")


if __name__ == "__main__":
    main()
