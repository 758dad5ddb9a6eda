"""``basecrm-like mock``: a local, stateful Base API v2 server for tests and CI."""
from __future__ import annotations

import logging
import sys
import threading
import time
from typing import Any

import click

from .shared import signals_routed_to


@click.command("mock")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on; 0 picks a free one (the ready line shows it).")
@click.option("--token", "tokens", multiple=True, metavar="T",
              help="Accepted access token (repeatable). Default: the development token "
                   "basecrm_like.mock.DEV_TOKEN.")
@click.option("--db", "db_path", type=click.Path(dir_okay=False), default=None,
              help="SQLite file keeping the data across restarts. Default: in memory.")
@click.option("--rate-limit", type=click.FloatRange(min=0, min_open=True), default=None,
              metavar="R", help="Requests per second per token (burst R); over it: 429.")
@click.option("--faults", default=None, metavar="SPEC",
              help="Injected faults, e.g. error=0.1,drop=0.05,latency=0.02.")
@click.option("--fault-seed", type=int, default=None, metavar="N",
              help="Seed of the fault injection RNG, for reproducible runs.")
@click.option("--seed", "seed_count", type=click.IntRange(min=0), default=0, metavar="N",
              help="Create N realistic contacts, leads and deals at startup and on reset.")
@click.option("--threads", type=click.IntRange(1, 64), default=8, show_default=True,
              help="Worker threads serving requests.")
@click.option("--oauth-client", "oauth_clients", multiple=True, metavar="ID:SECRET",
              help="Accepted OAuth app (repeatable; ID:SECRET:REDIRECT_URI pins its redirect "
                   "URI). Default: basecrm_like.mock.DEV_OAUTH_CLIENT.")
@click.option("--token-ttl", type=click.FloatRange(min=0, min_open=True), default=3600,
              show_default=True, metavar="SECONDS", help="Lifetime of OAuth access tokens.")
@click.option("--verbose", is_flag=True, help="Log every request to stderr.")
def mock_command(host: str, port: int, tokens: tuple[str, ...], db_path: str | None,
                 rate_limit: float | None, faults: str | None, fault_seed: int | None,
                 seed_count: int, threads: int, oauth_clients: tuple[str, ...],
                 token_ttl: float, verbose: bool) -> None:
    """Run a local mock of the Base API v2 (for tests and CI).

    Prints one line, "listening on http://HOST:PORT", once requests can be sent.
    Stops cleanly on Ctrl-C or SIGTERM.
    """
    try:
        from ..mock.faults import parse_spec
        from ..mock.oauth import parse_oauth_client
        from ..mock.server import serve
    except ImportError as exc:
        raise click.ClickException(
            f"the mock server needs the mock extra: pip install 'basecrm_like[mock]' ({exc})")
    try:
        fault_spec = parse_spec(faults)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--faults")
    try:
        oauth_apps = [parse_oauth_client(spec) for spec in oauth_clients]
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--oauth-client")
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(name)s %(message)s")
    started = time.perf_counter()
    try:
        server = serve(tokens=tokens, db=db_path, rate_limit=rate_limit, faults=fault_spec,
                       fault_seed=fault_seed, seed=seed_count, port=port, host=host,
                       threads=threads, oauth_clients=oauth_apps, token_ttl=token_ttl)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
    if verbose:
        _log_requests(server)
    stop = threading.Event()
    # both signals only set the event, so a signal arriving at any moment (even
    # right after the ready line) ends in the same clean stop
    try:
        with signals_routed_to(lambda _signum: stop.set()):
            click.echo(f"listening on {server.url}")
            sys.stdout.flush()
            if verbose:
                click.echo(f"started in {time.perf_counter() - started:.3f} s", err=True)
            while not stop.wait(0.5):
                pass
    finally:
        server.stop()


def _log_requests(server: Any) -> None:
    """Wrap the app so each request is logged with its status and duration."""
    log = logging.getLogger("basecrm_like.mock.access")
    app = server.app
    handle = app.handle

    def logged(request: Any, request_id: str) -> Any:
        started = time.perf_counter()
        response = handle(request, request_id)
        log.info("%s %s -> %s in %.1f ms", request.method, request.full_path.rstrip("?"),
                 response.status_code, (time.perf_counter() - started) * 1000)
        return response

    app.handle = logged
