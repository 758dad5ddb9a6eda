"""What per-request control costs, and whether processes share one rate limit.

    python benchmarks/request_options.py [N] [--no-budget]

1. Per-call client CPU time of one GET on loopback (a fixture server in its own process),
   rounds interleaved so drift on a shared machine hits every variant alike:
   - the request path as it was before hooks, tracing and raw responses (the
     old ``HttpClient.request`` body, kept here as the baseline), against
     today's with hooks and tracing off, and with tracing on over
     ``opentelemetry-api`` without an SDK (no-op spans). Target: <= 1.02.
   - ``contacts.retrieve`` against ``with_raw_response.retrieve`` and
     ``with_options(timeout=5).contacts.retrieve`` (a derived client per call).
     Target: near 1.
   Both also without a network (an adapter answering from memory), which
   leaves only the client's own work to time: the strictest ratios.
2. Three processes x 100 requests on one token against ``basecrm-like mock
   --rate-limit 10``: with a SQLite store, a Redis store (when redis-server is
   installed) and no shared store. Prints 429s and the combined rate.
"""
from __future__ import annotations

import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).parent))

import _fixture_server  # noqa: E402
import requests  # noqa: E402
from requests.adapters import HTTPAdapter  # noqa: E402

import basecrm_like  # noqa: E402
from basecrm_like.http.encoding import encode_json, encode_params  # noqa: E402
from basecrm_like.http.envelopes import wrap_envelope  # noqa: E402
from basecrm_like.http.retry import build_retry  # noqa: E402
from basecrm_like.http.transport import HttpClient  # noqa: E402
from basecrm_like.mock.process import mock_command, running  # noqa: E402

TOKEN = "b" * 64


def request_before(http: HttpClient, method: str, url: str, params: dict | None = None,
                   body: object = None) -> tuple:
    """HttpClient.request as it was before this change (no OAuth token source here)."""
    method = method.upper()
    full_url = f"{http.config.base_url}/v2{url}"
    all_headers = {"Accept": "application/json", "User-Agent": http.config.user_agent,
                   "Authorization": http.authorization()}
    data = None
    if body is not None:
        all_headers["Content-Type"] = "application/json"
        data = encode_json(wrap_envelope(body)).encode("utf-8")
    query = encode_params(params)
    resp = http.send(method, full_url, query, data, all_headers)
    if not 200 <= resp.status_code < 300:
        raise http.error_for(resp)
    return resp.status_code, resp.headers, http.decode_success(resp, method, full_url, True)


def timed(variants: dict[str, Callable[[], object]], n: int, rounds: int = 9) -> dict[str, float]:
    """Median CPU seconds of this process per call of each variant, over interleaved
    rounds. CPU time rather than wall time: on a machine shared with other work the
    wait for a core would swamp differences of microseconds. The server runs in its
    own process, so its work is not counted."""
    for fn in variants.values():
        for _ in range(30):
            fn()
    samples: dict[str, list[float]] = {name: [] for name in variants}
    per_round = max(1, n // rounds)
    for _ in range(rounds):
        for name, fn in variants.items():
            start = time.process_time()
            for _ in range(per_round):
                fn()
            samples[name].append((time.process_time() - start) / per_round)
    return {name: median(values) for name, values in samples.items()}


class CannedAdapter(HTTPAdapter):
    """Answers every request with one stored contact, without a socket: what is left
    to time is the client's own work, free of network and server noise."""

    def __init__(self) -> None:
        super().__init__(max_retries=build_retry(0, 0.0))
        self.body = json.dumps({"data": _fixture_server.contact(1)}).encode()

    def send(self, request: requests.PreparedRequest, *args: object, **kwargs: object) -> requests.Response:
        resp = requests.Response()
        resp.status_code = 200
        resp.headers["Content-Type"] = "application/json"
        resp.headers["X-Request-Id"] = "canned"
        resp._content = self.body
        resp.request = request
        resp.url = request.url or ""
        return resp


def client_overhead(n: int) -> None:
    """The same comparisons without a network: client CPU only, the strictest ratio."""
    def canned(**options: object) -> basecrm_like.Client:
        session = requests.Session()
        session.mount("http://canned.test", CannedAdapter())
        return basecrm_like.Client(access_token=TOKEN, base_url="http://canned.test",
                                   session=session, **options)  # type: ignore[arg-type]

    plain, traced = canned(tracing=False), canned(tracing=None)
    report("request path, no network", timed({
        "before: request path without hooks/tracing": lambda: request_before(
            plain.http_client, "GET", "/contacts/1"),
        "now: hooks and tracing off": lambda: plain.http_client.request("GET", "/contacts/1"),
        "now: tracing on, no SDK (no-op spans)": lambda: traced.http_client.request(
            "GET", "/contacts/1"),
    }, n * 5), n * 5)
    report("service calls, no network", timed({
        "contacts.retrieve": lambda: plain.contacts.retrieve(1),
        "with_raw_response.retrieve": lambda: plain.contacts.with_raw_response.retrieve(1),
        "with_options(timeout=5).retrieve": lambda: plain.with_options(
            timeout=5).contacts.retrieve(1),
    }, n * 5), n * 5)


def report(title: str, results: dict[str, float], n: int) -> None:
    print(f"\n{title} ({n} GETs each, CPU us per call, median of rounds)")
    base = next(iter(results.values()))
    for name, seconds in results.items():
        print(f"  {name:45s} {seconds * 1e6:8.1f} us/call  ratio {seconds / base:.3f}")


def overhead(n: int) -> None:
    with running([sys.executable, _fixture_server.__file__]) as server:
        plain = basecrm_like.Client(access_token=TOKEN, base_url=server.url, tracing=False)
        traced = basecrm_like.Client(access_token=TOKEN, base_url=server.url, tracing=None)
        core = timed({
            "before: request path without hooks/tracing": lambda: request_before(
                plain.http_client, "GET", "/contacts/1"),
            "now: hooks and tracing off": lambda: plain.http_client.request("GET", "/contacts/1"),
            "now: tracing on, no SDK (no-op spans)": lambda: traced.http_client.request(
                "GET", "/contacts/1"),
        }, n)
        services = timed({
            "contacts.retrieve": lambda: plain.contacts.retrieve(1),
            "with_raw_response.retrieve": lambda: plain.contacts.with_raw_response.retrieve(1),
            "with_options(timeout=5).retrieve": lambda: plain.with_options(
                timeout=5).contacts.retrieve(1),
        }, n)
    report("request path, loopback", core, n)
    report("service calls, loopback", services, n)
    print("  targets: hooks/tracing off <= 1.02 against before; raw and with_options near 1")


def budget(requests: int = 100) -> None:
    from basecrm_like.mock import DEV_TOKEN
    from tests.support.redis_server import redis_server
    from tests.support.shared_budget import run_processes

    print(f"\n3 processes x {requests} requests, one token, mock --rate-limit 10")
    with running(mock_command("--rate-limit", "10")) as mock, \
            tempfile.TemporaryDirectory() as tmp:
        stores: list[tuple[str, str | None]] = [("sqlite", f"sqlite:///{tmp}/budget.db")]
        try:
            redis_cm = redis_server(Path(tmp))
            redis_url = redis_cm.__enter__()
            stores.append(("redis", redis_url))
        except BaseException as exc:  # pytest.skip when the binary is absent
            redis_cm = None
            print(f"  redis: skipped ({exc})")
        stores.append(("no shared store", None))
        try:
            for name, store in stores:
                run = run_processes(mock.url, DEV_TOKEN, store, requests=requests, timeout=300)
                print(f"  {name:16s} 429s: {run.rate_limited:3d}  sent {run.sent} in "
                      f"{run.seconds:5.1f} s = {run.rate:5.2f} req/s combined")
        finally:
            if redis_cm is not None:
                redis_cm.__exit__(None, None, None)
    print("  targets: 0 x 429 and >= 9 req/s with a shared store; 429s without one")


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    n = int(args[0]) if args else 1400
    client_overhead(n)
    overhead(n)
    if "--no-budget" not in sys.argv:
        budget()


if __name__ == "__main__":
    main()
