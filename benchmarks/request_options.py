"""What per-request control costs, and whether processes share one rate limit.

    python benchmarks/request_options.py [N] [--no-budget]

1. Client CPU time per GET, measured by :mod:`_paired`: the variants run in
   rotated, interleaved rounds (warm-up first, garbage collector run between
   blocks and off inside them, one server process for all), each variant's
   block compared with the first variant's block of the same round; the median
   of those ratios and their spread are printed, with what each variant does.
   Twice: over loopback (a fixture server in its own process, ``N`` calls per
   variant) and without a network (an adapter answering from memory, ``5 N``
   calls), which leaves only the client's own work: the strictest ratios.

   a. Hooks and tracing off against the code before they existed
      (``HttpClient.request`` and ``Service.retrieve`` as they were, replicated
      below). Target: <= 1.02.
   b. ``with_raw_response`` and ``with_options`` against the plain call.
      Target: near 1.
2. Three processes x 100 requests on one token against ``basecrm-like mock
   --rate-limit 10``: with a SQLite store, a Redis store (when redis-server is
   installed) and no shared store. Prints 429s and the combined rate.
"""
from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).parent))

import _fixture_server  # noqa: E402
import requests  # noqa: E402
from _paired import Timing, Variant, paired_rounds, report  # noqa: E402
from requests.adapters import HTTPAdapter  # noqa: E402

import basecrm_like  # noqa: E402
from basecrm_like.http.answers import redirect_error  # noqa: E402
from basecrm_like.http.encoding import encode_json, encode_params  # noqa: E402
from basecrm_like.http.envelopes import wrap_envelope  # noqa: E402
from basecrm_like.http.retry import build_retry  # noqa: E402
from basecrm_like.http.transport import HttpClient  # noqa: E402
from basecrm_like.mock.process import mock_command, running  # noqa: E402
from basecrm_like.services import ContactsService, Service  # noqa: E402

TOKEN = "b" * 64


class HttpClientBefore(HttpClient):
    """``HttpClient.request``, ``build_url`` and ``handle_response`` as they were before
    hooks, tracing and raw responses (``git show c5f711b^:basecrm_like/http/transport.py``),
    line for line.

    What it calls is today's: ``send`` (limiter, log, the attempt deadline) and
    the checks of the answer (redirects, typed errors, defensive decoding in
    ``decode_success``) came with other changes, and are paid alike by both
    sides. Only what this change added around them is measured: request and
    answer as values (``PreparedRequest``, ``ApiResponse``), the hook and span
    checks, ``/v3`` paths, the capture of raw answers.
    """

    def request(self, method: str, url: str, params: Any = None, body: Any = None,
                headers: Any = None, raw: bool = False) -> tuple[int, Any, Any]:
        method = method.upper()
        full_url = self.build_url(url)
        all_headers = {
            "Accept": "application/json",
            "User-Agent": self.config.user_agent,
            "Authorization": self.authorization(),
        }
        data = None
        if body is not None:
            all_headers["Content-Type"] = "application/json"
            data = encode_json(body if raw else wrap_envelope(body)).encode("utf-8")
        if headers:
            all_headers.update(headers)
        query = encode_params(params)
        resp = self.send(method, full_url, query, data, all_headers)
        if resp.status_code == 401 and self.token_source is not None \
                and not (headers and "Authorization" in headers):
            # an expired OAuth2 token: refresh once, then repeat the request once
            if self.token_source.renew(all_headers["Authorization"].partition(" ")[2]):
                all_headers["Authorization"] = self.authorization()
                resp = self.send(method, full_url, query, data, all_headers)
        return self.handle_response(resp, raw)

    def build_url(self, url: str) -> str:
        if url.startswith(("http://", "https://")):
            return url
        return f"{self.config.base_url}{self.API_VERSION}{url}"

    def handle_response(self, resp: requests.Response, raw: bool) -> tuple[int, Any, Any]:
        """As it was, with today's checks of the answer (redirects, typed errors,
        defensive decoding), which came with another change."""
        method = (resp.request.method or "") if resp.request is not None else ""
        url = resp.url or ""
        if 300 <= resp.status_code < 400:
            raise redirect_error(resp, method, urlsplit(url).path, self.redact)
        if not 200 <= resp.status_code < 300:
            raise self.error_for(resp)
        return resp.status_code, resp.headers, self.decode_success(resp, method, url, not raw)


def before_of(client: basecrm_like.Client) -> tuple[HttpClientBefore, ContactsService]:
    """The old request path over ``client``'s session, config and pool, and a contacts
    service on it whose ``Service.retrieve`` (called unbound) is the old one: no action span."""
    http = HttpClientBefore(client.config, session=client.http_client.session, tracer=None)
    return http, ContactsService(http)


def variants(plain: basecrm_like.Client,
             traced: basecrm_like.Client) -> dict[str, list[Variant]]:
    """The tables: each compares its variants with its first one."""
    http_before, contacts_before = before_of(plain)
    derived = plain.with_options(timeout=5)
    return {
        "request path: hooks and tracing off against before": [
            Variant("before: request()", "HttpClient.request as it was before hooks, tracing "
                    "and raw responses: GET /contacts/1",
                    lambda: http_before.request("GET", "/contacts/1")),
            Variant("now: request(), off", "today's HttpClient.request, no hooks, tracing=False",
                    lambda: plain.http_client.request("GET", "/contacts/1")),
        ],
        "service call: hooks and tracing off against before": [
            Variant("before: contacts.retrieve", "Service.retrieve as it was: no action span "
                    "wrapper, over the old request()",
                    lambda: Service.retrieve(contacts_before, 1)),
            Variant("now: contacts.retrieve, off", "today's client.contacts.retrieve(1), no "
                    "hooks, tracing=False", lambda: plain.contacts.retrieve(1)),
            Variant("now: otel API, no SDK", "the same with tracing=None, opentelemetry-api "
                    "installed, no tracer provider (no span made)",
                    lambda: traced.contacts.retrieve(1)),
        ],
        "raw responses and with_options against the plain call": [
            Variant("contacts.retrieve", "client.contacts.retrieve(1)",
                    lambda: plain.contacts.retrieve(1)),
            Variant("with_raw_response.retrieve", "client.contacts.with_raw_response."
                    "retrieve(1): an ApiResponse around the same record",
                    lambda: plain.contacts.with_raw_response.retrieve(1)),
            Variant("fresh with_options per call", "client.with_options(timeout=5).contacts."
                    "retrieve(1): a derived client made for every call",
                    lambda: plain.with_options(timeout=5).contacts.retrieve(1)),
            Variant("derived client reused", "one client.with_options(timeout=5) made "
                    "beforehand, then its contacts.retrieve(1)",
                    lambda: derived.contacts.retrieve(1)),
            Variant("request(raw=True)", "client.request('GET', '/contacts/1', raw=True): "
                    "the ApiResponse, body unparsed",
                    lambda: plain.request("GET", "/contacts/1", raw=True)),
        ],
    }


def run_overhead(setting: str, plain: basecrm_like.Client, traced: basecrm_like.Client,
                 calls: int, block: int) -> dict[str, Timing]:
    """Every table in ``setting``; the timings of its variants by comparison."""
    rounds = max(3, calls // block)
    ratios: dict[str, Timing] = {}
    for title, table in variants(plain, traced).items():
        timings = paired_rounds(table, rounds=rounds, block=block)
        report(f"{title}, {setting}", timings, rounds, block)
        for timing in timings[1:]:
            ratios[f"{timing.variant.name} / {table[0].name}"] = timing
    return ratios


class CannedAdapter(HTTPAdapter):
    """Answers every request with one stored contact, without a socket: what is left
    to time is the client's own work, free of network and server noise."""

    def __init__(self) -> None:
        super().__init__(max_retries=build_retry(0, 0.0))
        self.body = json.dumps({"data": _fixture_server.contact(1),
                                "meta": {"type": "contact"}}).encode()

    def send(self, request: requests.PreparedRequest, *args: object, **kwargs: object) -> requests.Response:
        resp = requests.Response()
        resp.status_code = 200
        resp.headers["Content-Type"] = "application/json"
        resp.headers["X-Request-Id"] = "canned"
        resp._content = self.body
        resp.request = request
        resp.url = request.url or ""
        return resp


def client_overhead(n: int) -> dict[str, Timing]:
    """The comparisons without a network: client CPU only, the strictest ratios."""
    def canned(**options: object) -> basecrm_like.Client:
        session = requests.Session()
        session.mount("http://canned.test", CannedAdapter())
        return basecrm_like.Client(access_token=TOKEN, base_url="http://canned.test",
                                   session=session, **options)  # type: ignore[arg-type]

    return run_overhead("no network", canned(tracing=False), canned(tracing=None),
                        n * 5, block=10)


def overhead(n: int) -> dict[str, Timing]:
    with running([sys.executable, _fixture_server.__file__]) as server:
        plain = basecrm_like.Client(access_token=TOKEN, base_url=server.url, tracing=False)
        traced = basecrm_like.Client(access_token=TOKEN, base_url=server.url, tracing=None)
        return run_overhead("loopback (one fixture server process)", plain, traced, n, block=5)


def summary(results: dict[str, dict[str, Timing]]) -> None:
    print("\nsummary: median per-round CPU ratio [95% confidence interval]")
    for setting, timings in results.items():
        for name, timing in timings.items():
            low, high = timing.interval()
            print(f"  {setting:10s}  {name:62s} {timing.ratio:.3f} [{low:.3f}-{high:.3f}]")
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
    n = int(args[0]) if args else 1000
    summary({"no network": client_overhead(n), "loopback": overhead(n)})
    if "--no-budget" not in sys.argv:
        budget()


if __name__ == "__main__":
    main()
