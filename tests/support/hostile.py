"""Servers that answer the way a broken proxy or a hostile network would, over loopback.

Each is a context manager yielding a :class:`Hostile` with ``url`` (use it as a
client's ``base_url``) and ``hits`` (requests seen, by method and path):

- :func:`answering` - every request gets the same status, headers and body
  (``200 text/html``, invalid JSON labelled JSON, a 302 ...);
- :func:`trickling` - headers at once (or, with ``head=True``, the status line
  and headers too), then the body, one byte per ``interval``;
- :func:`truncating_proxy` - forwards to a real server, then cuts the answer
  in half and closes the connection (after the server applied the request).
"""
from __future__ import annotations

import contextlib
import http.client
import random
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

Respond = Callable[[BaseHTTPRequestHandler, bytes], None]


@dataclass
class Hostile:
    url: str
    hits: list[tuple[str, str]] = field(default_factory=list)
    #: body bytes a trickling server got out before it finished or the client hung up
    sent: int = 0
    #: set once a trickling server stopped sending
    finished: threading.Event = field(default_factory=threading.Event)
    #: set when a trickling server found the connection closed by the client
    hung_up: threading.Event = field(default_factory=threading.Event)
    #: bytes a trickling server meant to send in all (status line and headers included)
    total: int = 0


@contextlib.contextmanager
def _serving(respond: Respond) -> Iterator[Hostile]:
    hostile = Hostile("")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            hostile.hits.append((self.command, self.path))
            try:
                respond(self, body)
            except (BrokenPipeError, ConnectionResetError):
                pass

        do_GET = do_POST = do_PUT = do_DELETE = _any  # noqa: N815

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    hostile.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield hostile
    finally:
        server.shutdown()
        server.server_close()


def answering(status: int, body: bytes, headers: dict[str, str] | None = None
              ) -> contextlib.AbstractContextManager[Hostile]:
    """Every request answered with ``status``, ``headers`` and ``body``."""
    def respond(handler: BaseHTTPRequestHandler, _: bytes) -> None:
        handler.send_response(status)
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
    return _serving(respond)


@contextlib.contextmanager
def trickling(body: bytes, interval: float, *, head: bool = False) -> Iterator[Hostile]:
    """A 200 JSON answer whose body comes one byte per ``interval`` seconds: no
    single read ever waits long enough to time out. With ``head`` the status line
    and headers trickle too, before the client has a response at all.
    ``sent`` counts the bytes that went out (the head's with ``head``) before the
    client hung up; ``hung_up`` is set when a write found the connection closed."""
    state: list[Hostile] = []

    def respond(handler: BaseHTTPRequestHandler, _: bytes) -> None:
        hostile = state[0]
        lines = ["HTTP/1.1 200 OK", "Content-Type: application/json",
                 f"Content-Length: {len(body)}", "X-Padding: " + "p" * 40]
        preamble = ("\r\n".join(lines) + "\r\n\r\n").encode()
        hostile.total = len(body) + (len(preamble) if head else 0)
        try:
            if not head:
                handler.wfile.write(preamble)
                handler.wfile.flush()
            for byte in (preamble + body if head else body):
                handler.wfile.write(bytes([byte]))
                handler.wfile.flush()
                hostile.sent += 1
                time.sleep(interval)
        except OSError:
            hostile.hung_up.set()
            raise
        finally:
            hostile.finished.set()

    with _serving(respond) as hostile:
        state.append(hostile)
        yield hostile


def truncating_proxy(upstream: str, *, methods: tuple[str, ...] = ("POST",),
                     rate: float = 1.0, seed: int = 0
                     ) -> contextlib.AbstractContextManager[Hostile]:
    """Forwards every request to ``upstream``; for ``methods``, a ``rate`` share of
    the answers (drawn with ``seed``) are cut in half and the connection closed,
    after the upstream server received and applied the request."""
    target = urlsplit(upstream)
    draw = random.Random(seed)
    lock = threading.Lock()

    def respond(handler: BaseHTTPRequestHandler, body: bytes) -> None:
        conn = http.client.HTTPConnection(target.hostname or "127.0.0.1", target.port, timeout=30)
        try:
            headers = {k: v for k, v in handler.headers.items()
                       if k.lower() not in ("host", "connection", "content-length")}
            conn.request(handler.command, handler.path, body=body or None, headers=headers)
            answer = conn.getresponse()
            payload = answer.read()
            answer_headers = [(k, v) for k, v in answer.getheaders()
                              if k.lower() not in ("content-length", "connection",
                                                   "transfer-encoding")]
            status = answer.status
        finally:
            conn.close()
        with lock:
            cut = handler.command in methods and draw.random() < rate
        handler.send_response(status)
        for name, value in answer_headers:
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(payload)))
        if cut:
            handler.send_header("Connection", "close")
        handler.end_headers()
        if not cut:
            handler.wfile.write(payload)
            return
        handler.wfile.write(payload[: len(payload) // 2])
        handler.wfile.flush()
        handler.close_connection = True
        with contextlib.suppress(OSError):
            handler.connection.shutdown(socket.SHUT_RDWR)
    return _serving(respond)
