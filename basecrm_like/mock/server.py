"""Running the app on waitress, in a background thread, on a free port if asked.

``with serve(seed=100) as server:`` gives ``server.url`` and ``server.token``
and stops the server on exit. The listening socket is bound before
:func:`serve` returns, so the first request never races the startup.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from types import TracebackType
from typing import Any

from waitress import wasyncore
from waitress.server import create_server

from .app import MockApp
from .faults import FaultSpec
from .oauth import DEFAULT_TOKEN_TTL, OAuthClient
from .routes import Route

THREADS = 8


class MockServer:
    """A :class:`MockApp` served over HTTP on ``host:port`` (0 picks a free port)."""

    def __init__(self, app: MockApp, host: str = "127.0.0.1", port: int = 0,
                 threads: int = THREADS) -> None:
        self.app = app
        self.host = host
        self._server: Any = create_server(
            app, host=host, port=port, threads=threads, ident="basecrm-like-mock",
            connection_limit=1000, channel_timeout=60, clear_untrusted_proxy_headers=True,
            log_socket_errors=False, expose_tracebacks=False)
        self.port: int = int(self._server.effective_port)
        self._thread: threading.Thread | None = None
        # waitress warns on every queued task and logs client disconnects: noise here
        logging.getLogger("waitress.queue").setLevel(logging.ERROR)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def token(self) -> str:
        """The first accepted token (the development token when none was given)."""
        return self.app.tokens.default

    def start(self) -> MockServer:
        if self._thread is None:
            self._thread = threading.Thread(target=self._server.run, name="basecrm-like-mock",
                                            daemon=True)
            self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Run in the calling thread until :meth:`stop` (or Ctrl-C)."""
        self._server.run()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop accepting, finish in-flight requests (up to ``timeout``), close the store."""
        server = self._server
        if server is None:
            return
        self._server = None

        server.task_dispatcher.shutdown(timeout=timeout)
        thread = self._thread
        if thread is not None and thread.is_alive():
            # closing every dispatcher from inside the loop's thread empties its map,
            # which is what ends waitress's loop
            server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
            thread.join(timeout)
        wasyncore.close_all(server._map)
        self.app.close()

    def __enter__(self) -> MockServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<MockServer {self.url}>"


def create_app(*, tokens: Iterable[str] = (), db: str | None = None,
               rate_limit: float | None = None,
               faults: str | FaultSpec | dict[str, float] | None = None,
               fault_seed: int | None = None, seed: int = 0,
               routes: Iterable[Route] = (),
               oauth_clients: Iterable[str | tuple[str, ...] | OAuthClient] = (),
               token_ttl: float = DEFAULT_TOKEN_TTL) -> MockApp:
    """The WSGI app alone, e.g. for Werkzeug's test client or another server."""
    return MockApp(tokens=tokens, db=db, rate_limit=rate_limit, faults=faults,
                   fault_seed=fault_seed, seed=seed, routes=routes,
                   oauth_clients=oauth_clients, token_ttl=token_ttl)


def serve(*, tokens: Iterable[str] = (), db: str | None = None,
          rate_limit: float | None = None,
          faults: str | FaultSpec | dict[str, float] | None = None,
          fault_seed: int | None = None, seed: int = 0, port: int = 0,
          host: str = "127.0.0.1", threads: int = THREADS,
          routes: Iterable[Route] = (),
          oauth_clients: Iterable[str | tuple[str, ...] | OAuthClient] = (),
          token_ttl: float = DEFAULT_TOKEN_TTL) -> MockServer:
    """Start a mock server in a background thread; use it as a context manager.

    ``oauth_clients``: OAuth apps as ``"ID:SECRET"`` or (id, secret) pairs (default:
    :data:`DEV_OAUTH_CLIENT`); ``token_ttl``: access token lifetime in seconds.
    """
    app = create_app(tokens=tokens, db=db, rate_limit=rate_limit, faults=faults,
                     fault_seed=fault_seed, seed=seed, routes=routes,
                     oauth_clients=oauth_clients, token_ttl=token_ttl)
    try:
        return MockServer(app, host=host, port=port, threads=threads).start()
    except BaseException:
        app.close()
        raise
