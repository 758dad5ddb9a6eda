"""Requests per second of the mock server against a hello-world app on the same stack.

    python benchmarks/mock_throughput.py [SECONDS_PER_RUN]

Both servers run as separate processes on waitress with the same thread count;
4 client threads (one ``requests.Session`` each) hammer one endpoint for a fixed
time, on loopback only. Measured: ``GET /v2/contacts/{id}`` and
``POST /v2/contacts`` on the mock, ``GET /`` on hello-world. Prints requests per
second and the ratios; the target is reads >= 50 % of hello-world.
"""
from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import requests

from basecrm_like.mock.process import running

CLIENT_THREADS = 4
SERVER_THREADS = 8
MAX_REQUESTS_PER_THREAD = 50_000
TOKEN = "b" * 64
HEADERS = {"Authorization": f"Bearer {TOKEN}", "User-Agent": "mock-throughput/1.0",
           "Accept": "application/json"}

HELLO_SERVER = f"""
import sys
from waitress.server import create_server

def app(environ, start_response):
    body = b'{{"hello": "world"}}'
    start_response("200 OK", [("Content-Type", "application/json"),
                              ("Content-Length", str(len(body)))])
    return [body]

server = create_server(app, host="127.0.0.1", port=0, threads={SERVER_THREADS})
print(f"listening on http://127.0.0.1:{{server.effective_port}}", flush=True)
server.run()
"""


@contextmanager
def server(args: list[str]) -> Iterator[str]:
    with running([sys.executable, *args]) as started:
        yield started.url


def throughput(make_call: Callable[[requests.Session, int], int], seconds: float) -> float:
    """Requests per second from CLIENT_THREADS threads during ``seconds`` (after warm-up)."""
    counts = [0] * CLIENT_THREADS
    failures: list[str] = []
    start_gate = threading.Barrier(CLIENT_THREADS + 1)
    deadline = [0.0]

    def worker(slot: int) -> None:
        with requests.Session() as session:
            for i in range(20):  # warm up the connection
                make_call(session, i)
            start_gate.wait()
            for i in range(MAX_REQUESTS_PER_THREAD):
                status = make_call(session, i)
                if status >= 300:
                    failures.append(str(status))
                    return
                counts[slot] += 1
                if time.perf_counter() >= deadline[0]:
                    return

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(CLIENT_THREADS)]
    for thread in threads:
        thread.start()
    deadline[0] = time.perf_counter() + 3600
    start_gate.wait()
    started = time.perf_counter()
    deadline[0] = started + seconds
    for thread in threads:
        thread.join(seconds + 30)
    elapsed = time.perf_counter() - started
    if failures:
        raise SystemExit(f"requests failed with status {failures[0]}")
    return sum(counts) / elapsed


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 4.0
    rounds = 3
    mock_args = ["-m", "basecrm_like.mock", "--port", "0", "--token", TOKEN, "--seed", "200",
                 "--threads", str(SERVER_THREADS)]
    body = json.dumps({"data": {"last_name": "Bench", "email": "bench@example.test"}})
    totals = {"hello": 0.0, "reads": 0.0, "writes": 0.0}
    with server(["-c", HELLO_SERVER]) as hello_url, server(mock_args) as url:
        runs: dict[str, Callable[[requests.Session, int], int]] = {
            "hello": lambda s, i: s.get(hello_url + "/").status_code,
            "reads": lambda s, i: s.get(f"{url}/v2/contacts/{1 + i % 200}",
                                        headers=HEADERS).status_code,
            "writes": lambda s, i: s.post(f"{url}/v2/contacts", data=body, headers={
                **HEADERS, "Content-Type": "application/json"}).status_code,
        }
        # interleaved rounds, so drift on a shared machine hits every run alike
        for _ in range(rounds):
            for name, call in runs.items():
                totals[name] += throughput(call, seconds / rounds) / rounds
    hello, reads, writes = totals["hello"], totals["reads"], totals["writes"]
    print(f"{CLIENT_THREADS} client threads, {SERVER_THREADS} server threads, "
          f"{seconds:g} s per endpoint in {rounds} interleaved rounds, loopback")
    print(f"hello-world WSGI on waitress  GET /                 {hello:8.0f} req/s")
    print(f"mock server                   GET /v2/contacts/ID   {reads:8.0f} req/s  "
          f"ratio {reads / hello:.2f}")
    print(f"mock server                   POST /v2/contacts     {writes:8.0f} req/s  "
          f"ratio {writes / hello:.2f}")
    print(f"target: reads >= 0.50 of hello-world: {'met' if reads / hello >= 0.5 else 'NOT met'}")


if __name__ == "__main__":
    main()
