"""What the async client buys under latency, and what it costs over bare httpx.

    python benchmarks/async_client.py [N] [CALLS]

1. Against ``basecrm-like mock --faults latency=0.05`` (50 ms per answer, 64 server
   threads): N GETs (default 500) on the async client at concurrency 50
   (``retrieve_many``), on the sync client one after another, and on the sync
   client from 8 threads. Prints the async client's speed-up over each.
   Targets: >= 10x over sequential, and better than 8 threads.
2. Overhead: CALLS GETs (default 2,000) to a local fixture server (its own
   process), 10 in flight, by ``AsyncClient.contacts.retrieve`` and by a bare
   ``httpx.AsyncClient`` with the same pool, rounds interleaved; the ratio of the
   medians. Target: <= 1.15.
"""
from __future__ import annotations

import asyncio
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).parent))

import _fixture_server  # noqa: E402
import httpx  # noqa: E402

import basecrm_like  # noqa: E402
from basecrm_like import AsyncClient  # noqa: E402
from basecrm_like.mock import DEV_TOKEN  # noqa: E402
from basecrm_like.mock.process import mock_command, running  # noqa: E402

TOKEN = "b" * 64


def under_latency(n: int) -> None:
    with running(mock_command("--faults", "latency=0.05", "--threads", "64")) as mock:
        options = {"access_token": DEV_TOKEN, "base_url": mock.url, "max_retries": 0}

        async def concurrent() -> float:
            async with AsyncClient(**options, pool_size=50) as client:  # type: ignore[arg-type]
                await client.users.retrieve(1)  # connect once, outside the timing
                started = time.perf_counter()
                records = await client.users.retrieve_many([1] * n, concurrency=50)
                elapsed = time.perf_counter() - started
                assert len(records) == n
                return elapsed

        def sequential() -> float:
            client = basecrm_like.Client(**options)  # type: ignore[arg-type]
            client.users.retrieve(1)
            started = time.perf_counter()
            for _ in range(n):
                client.users.retrieve(1)
            return time.perf_counter() - started

        def threaded() -> float:
            client = basecrm_like.Client(**options, pool_size=8)  # type: ignore[arg-type]
            client.users.retrieve(1)
            started = time.perf_counter()
            with ThreadPoolExecutor(8) as pool:
                assert len(list(pool.map(lambda _: client.users.retrieve(1), range(n)))) == n
            return time.perf_counter() - started

        times = {"async, 50 at a time": asyncio.run(concurrent()),
                 "sync, 8 threads": threaded(),
                 "sync, sequential": sequential()}
    print(f"{n} GETs, 50 ms latency per answer:")
    for name, seconds in times.items():
        print(f"  {name:<22} {seconds:7.2f} s  {n / seconds:8.1f} req/s")
    fast = times["async, 50 at a time"]
    print(f"  speed-up of async over sequential: {times['sync, sequential'] / fast:5.1f}x "
          "(target >= 10x)")
    print(f"  speed-up of async over 8 threads:  {times['sync, 8 threads'] / fast:5.1f}x "
          "(target > 1x)")


def overhead(calls: int, rounds: int = 5, in_flight: int = 10) -> None:
    with running([sys.executable, _fixture_server.__file__]) as server:
        url = server.url

        async def ours() -> float:
            async with AsyncClient(access_token=TOKEN, base_url=url, pool_size=in_flight,
                                   max_retries=0) as client:
                await client.contacts.retrieve(1)
                started = time.perf_counter()
                await client.contacts.retrieve_many(range(1, calls + 1), concurrency=in_flight)
                return time.perf_counter() - started

        async def bare() -> float:
            limits = httpx.Limits(max_connections=in_flight, max_keepalive_connections=in_flight)
            async with httpx.AsyncClient(limits=limits) as client:
                await client.get(f"{url}/v2/contacts/1")
                gate = asyncio.Semaphore(in_flight)

                async def one(ident: int) -> object:
                    async with gate:
                        answer = await client.get(
                            f"{url}/v2/contacts/{ident}",
                            headers={"Authorization": f"Bearer {TOKEN}",
                                     "Accept": "application/json"})
                        answer.raise_for_status()
                        return answer.json()["data"]

                started = time.perf_counter()
                await asyncio.gather(*(one(i) for i in range(1, calls + 1)))
                return time.perf_counter() - started

        results: dict[str, list[float]] = {"AsyncClient": [], "bare httpx.AsyncClient": []}
        for _ in range(rounds):  # interleaved: drift on a shared machine hits both alike
            results["bare httpx.AsyncClient"].append(asyncio.run(bare()))
            results["AsyncClient"].append(asyncio.run(ours()))
    print(f"{calls} GETs to a local server, {in_flight} in flight, median of {rounds} rounds:")
    for name, values in results.items():
        print(f"  {name:<24} {median(values):7.3f} s  {calls / median(values):8.0f} req/s")
    ratio = median(results["AsyncClient"]) / median(results["bare httpx.AsyncClient"])
    print(f"  AsyncClient / bare httpx: {ratio:.3f} (target <= 1.15)")


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    calls = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    under_latency(n)
    overhead(calls)


if __name__ == "__main__":
    main()
