"""A minimal HTTP/1.1 server on loopback for many requests: its own event loop in a thread.

It answers ``GET .../N`` with ``{"data": {"id": N}}`` (404 for N >= 10**6) and
counts connections (open now, most open at once, distinct peers), requests and
requests in flight. Cheap per request, so a test or a benchmark measures the
client rather than the server.
"""
from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

MISSING = 10**6


class FastServer:
    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.open = self.most_open = 0
        self.in_flight = self.most_in_flight = 0
        self.peers: set[Any] = set()
        self.requests = 0
        self.loop = asyncio.new_event_loop()
        self._server: asyncio.base_events.Server | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"

    def start(self) -> FastServer:
        self._thread.start()
        self._ready.wait(10)
        return self

    def stop(self) -> None:
        async def close() -> None:
            assert self._server is not None
            self._server.close()
            await self._server.wait_closed()

        asyncio.run_coroutine_threadsafe(close(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self._server = self.loop.run_until_complete(
            asyncio.start_server(self._serve, "127.0.0.1", 0))
        self._ready.set()
        self.loop.run_forever()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.open += 1
        self.most_open = max(self.most_open, self.open)
        self.peers.add(writer.get_extra_info("peername"))
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                self.in_flight += 1
                self.most_in_flight = max(self.most_in_flight, self.in_flight)
                if self.delay:
                    await asyncio.sleep(self.delay)
                self.in_flight -= 1
                self.requests += 1
                writer.write(_answer(head))
                await writer.drain()
        finally:
            self.open -= 1
            writer.close()


def _answer(head: bytes) -> bytes:
    path = head.split(b" ", 2)[1].split(b"?", 1)[0]
    tail = path.rsplit(b"/", 1)[1]
    number = int(tail) if tail.isdigit() else 0
    status, body = ((b"404 Not Found", {"errors": [{"error": {"code": "not_found"}}]})
                    if number >= MISSING else (b"200 OK", {"data": {"id": number}}))
    payload = json.dumps(body).encode()
    return (b"HTTP/1.1 " + status + b"\r\nContent-Type: application/json\r\n"
            b"Content-Length: " + str(len(payload)).encode() + b"\r\n\r\n" + payload)


@contextmanager
def fast_server(delay: float = 0.0) -> Iterator[FastServer]:
    server = FastServer(delay).start()
    try:
        yield server
    finally:
        server.stop()
