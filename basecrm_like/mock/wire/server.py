"""Serving the app on waitress, in a background thread, on a free port if asked.

``with serve(seed=100) as server:`` gives ``server.url`` and ``server.token``
and stops the server on exit. The listening socket is bound before
:func:`serve` returns, so the first request never races the startup.
"""
from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any

from waitress import wasyncore
from waitress.server import create_server

from ...support.suggest import suggestion
from ..backend.dbcheck import DatabaseProblem
from ..options import (
    DEFAULT_THREADS,
    OPTION_NAMES,
    MockConfigurationError,
    MockDatabaseError,
    UnknownMockOptionError,
    resolve,
)
from .app import MockApp
from .cassettes import run_comparison
from .control import check_listener, exposure_warning
from .controls import ServerControls
from .routes import Route

#: the options that configure the listener; every other option configures the app
LISTENER_OPTIONS = ("host", "port", "threads")


class MockServer(ServerControls):
    """A :class:`MockApp` served over HTTP on ``host:port`` (0 picks a free port)."""

    def __init__(self, app: MockApp, host: str = "127.0.0.1", port: int = 0,
                 threads: int = DEFAULT_THREADS) -> None:
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
        warning = exposure_warning(host)
        if warning:
            check_listener(host, app.admin_token)
            logging.getLogger("basecrm_like.mock").warning(warning)

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

    def run_until_signalled(self, on_ready: Callable[[], None] = lambda: None) -> None:
        """Serve until SIGTERM or SIGINT, then stop cleanly; for a server in the
        foreground of its process (the command line).

        ``on_ready`` (which prints the ready line) runs once the handlers are in
        place: both signals only set an event, so one arriving at any moment, even
        right after the ready line, ends in the same clean stop.
        """
        if self.app.comparing is not None:  # a one-shot run: report the drift and exit
            self.start()
            on_ready()
            try:
                status = run_comparison(self.app, self.app.comparing, self.token, print)
            finally:
                self.stop()
            raise SystemExit(status)
        stop = threading.Event()
        previous = {sig: signal.signal(sig, lambda signum, frame: stop.set())
                    for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            self.start()
            on_ready()
            while not stop.wait(0.5):
                pass
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            self.stop()

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
        if thread is None or not thread.is_alive():
            # never close from here while the loop may still be closing the same
            # descriptors: a double close can hit a number already reused elsewhere
            wasyncore.close_all(server._map)
        self.app.close()

    def __enter__(self) -> MockServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<MockServer {self.url}>"


def create_app(*, routes: Iterable[Route] = (), **options: Any) -> MockApp:
    """The WSGI app alone, e.g. for Werkzeug's test client or another server.

    ``options``: those of :func:`serve` that configure the app (not host, port, threads).
    """
    return MockApp(routes=routes, **options)


def serve(*, routes: Iterable[Route] = (), **options: Any) -> MockServer:
    """Start a mock server in a background thread; use it as a context manager.

    ``options`` are :data:`~basecrm_like.mock.options.MOCK_OPTIONS` by name
    (``seed=100``, ``tokens=[...]``, ``rate_limit=5``, ``faults="error=0.1"``,
    ``oauth_clients=["ID:SECRET"]``, ``token_ttl``, ``access_log``, ``host``,
    ``threads``...); ``port`` defaults to 0 (a free port) rather than the command
    line's fixed one, so servers started by tests never collide. ``routes``:
    extra endpoints to serve.
    """
    unknown = sorted(set(options) - set(OPTION_NAMES))
    if unknown:
        name = unknown[0]
        raise UnknownMockOptionError(
            f"serve() got an unexpected keyword argument {name!r}"
            f"{suggestion(name, OPTION_NAMES)} (the options are {', '.join(OPTION_NAMES)})", name)
    settings = resolve({"port": 0, **options})
    listener = {name: settings.pop(name) for name in LISTENER_OPTIONS}
    routes = tuple(routes) if isinstance(routes, (list, tuple)) else routes
    if not isinstance(routes, tuple) or not all(isinstance(r, Route) for r in routes):
        raise MockConfigurationError(
            f"routes: expected a list of basecrm_like.mock.wire.routes.Route, got {routes!r}",
            "routes")
    try:
        app = MockApp(routes=routes, **settings)
    except DatabaseProblem as exc:
        raise MockDatabaseError(str(exc), "db") from None
    try:
        return MockServer(app, **listener).start()
    except BaseException:
        app.close()
        raise
