"""The ``basecrm-like`` command: mock server, imports, exports and sync.

The only module that talks to a terminal (click, tqdm); the library underneath
logs and returns values.
"""
from __future__ import annotations

import sys
from typing import Any

try:
    import click
except ImportError:  # pragma: no cover - exercised only without the cli extra
    sys.stderr.write("the basecrm-like command needs the cli extra: pip install 'basecrm_like[cli]'\n")
    raise SystemExit(2) from None

from .version import VERSION


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(VERSION, prog_name="basecrm-like")
def cli() -> None:
    """Work with a Base CRM (Zendesk Sell) account, or run a local mock of its API."""


def main(argv: list[str] | None = None) -> Any:
    """Console entry point."""
    return cli.main(args=argv, prog_name="basecrm-like")


# ---- commands are registered below, one section each ------------------------------


# ---- sync: mirror an account into SQLite ------------------------------------------
SYNC_EXIT_OK, SYNC_EXIT_ITEMS_FAILED, SYNC_EXIT_CANNOT_RUN, SYNC_EXIT_INTERRUPTED = 0, 1, 2, 130


@cli.command("sync")
@click.option("--db", "db_path", required=True, type=click.Path(dir_okay=False),
              help="SQLite file of the mirror; created on the first run.")
@click.option("--device-uuid", metavar="UUID",
              help="Sync API device UUID. Default: kept in DB.device, created on the first run.")
@click.option("--token", metavar="T", help="Access token. Default: $BASECRM_ACCESS_TOKEN.")
@click.option("--base-url", metavar="URL",
              help="API address. Default: $BASECRM_BASE_URL, then https://api.getbase.com.")
@click.option("--progress/--no-progress", "show_progress", default=True,
              help="Progress on stderr: a bar on a terminal, a line every few seconds otherwise.")
def sync_command(db_path: str, device_uuid: str | None, token: str | None,
                 base_url: str | None, show_progress: bool) -> None:
    """Mirror the account into a SQLite file through the Sync API.

    Run it again to fetch what changed since. Each page is committed before it
    is acknowledged, so after a crash or Ctrl-C the next run resumes where this
    one stopped, with nothing lost and nothing applied twice. Ctrl-C finishes
    the page in hand first; press it twice to abort at once.

    Exit status: 0 done; 1 some items could not be stored (they come back on
    the next run); 2 cannot run (configuration, network, API or database
    error); 130 stopped by Ctrl-C or SIGTERM before the queue was drained.
    """
    raise SystemExit(_sync_main(db_path, device_uuid, token, base_url, show_progress))


class _SyncProgress:
    """A tqdm bar of items per type on a terminal; a plain line every few seconds otherwise."""

    LINE_EVERY = 5.0

    def __init__(self, enabled: bool) -> None:
        import time

        self.enabled = enabled
        self.tty = enabled and sys.stderr.isatty()
        self.bar: Any = None
        self.shown = 0
        self.last_line = time.monotonic()

    def __call__(self, summary: Any) -> None:
        import time

        if not self.enabled:
            return
        types = " ".join(f"{t}={n}" for t, n in sorted(summary.by_type.items()))
        if self.tty:
            if self.bar is None:
                from tqdm import tqdm  # type: ignore[import-untyped,unused-ignore]

                self.bar = tqdm(total=summary.estimated_total, unit="item", desc="sync",
                                file=sys.stderr, dynamic_ncols=True)
            self.bar.set_postfix_str(types, refresh=False)
            self.bar.update(summary.seen - self.shown)
            self.shown = summary.seen
        elif time.monotonic() - self.last_line >= self.LINE_EVERY:
            self.last_line = time.monotonic()
            of = f"/~{summary.estimated_total}" if summary.estimated_total else ""
            click.echo(f"sync: {summary.seen}{of} items, {summary.pages} pages ({types})", err=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _sync_main(db_path: str, device_uuid: str | None, token: str | None, base_url: str | None,
               show_progress: bool) -> int:
    import signal
    import sqlite3
    import threading

    import requests

    from .client import Client
    from .errors import BaseError, ConfigurationError
    from .sync import SqliteMirror, Sync

    def cannot_run(message: str) -> int:
        click.echo(f"basecrm-like sync: {message}", err=True)
        return SYNC_EXIT_CANNOT_RUN

    options: dict[str, Any] = {}
    if token:
        options["access_token"] = token
    if base_url:
        options["base_url"] = base_url
    try:
        client = Client(**options)
    except ConfigurationError as exc:
        return cannot_run(str(exc))
    try:
        uuid = device_uuid or Sync.device_uuid_from(f"{db_path}.device")
    except (OSError, ValueError) as exc:
        return cannot_run(f"device UUID: {exc}")
    try:
        mirror = SqliteMirror(db_path)
    except (sqlite3.Error, OSError) as exc:
        return cannot_run(f"cannot open the mirror {db_path}: {exc}")

    sync = Sync(client, uuid)
    progress = _SyncProgress(show_progress)
    signalled: list[str] = []

    def stop(signum: int, _frame: Any) -> None:
        signalled.append(signal.Signals(signum).name)
        click.echo("\nbasecrm-like sync: stopping after the page in hand "
                   "(Ctrl-C again to abort at once)", err=True)
        sync.request_stop()
        signal.signal(signal.SIGINT, signal.default_int_handler)

    in_main = threading.current_thread() is threading.main_thread()
    saved = [(s, signal.signal(s, stop)) for s in (signal.SIGINT, signal.SIGTERM)] if in_main else []
    try:
        with mirror:
            try:
                summary = sync.run(mirror, progress=progress)
            except (BaseError, requests.exceptions.RequestException, sqlite3.Error) as exc:
                progress.close()
                done = sync.summary.acked
                resume = (f"\n{done} items were stored and acknowledged before this; run the "
                          "command again to resume") if done else ""
                return cannot_run(f"{exc}{resume}")
            except KeyboardInterrupt:
                progress.close()
                click.echo(f"basecrm-like sync: aborted; {sync.summary.acked} items stored and "
                           "acknowledged, the page in hand comes back on the next run", err=True)
                return SYNC_EXIT_INTERRUPTED
            progress.close()
            counts = mirror.counts()
    finally:
        for signum, handler in saved:
            signal.signal(signum, handler)

    if summary.session_id is None:
        click.echo("nothing new since the last sync")
    else:
        click.echo(f"synced {summary.describe()} in {summary.elapsed:.1f} s")
    click.echo(f"mirror {db_path}: " + (", ".join(f"{t} {n}" for t, n in counts.items())
                                        or "empty"))
    if summary.stopped:
        click.echo(f"stopped by {signalled[0] if signalled else 'request'} before the queue was "
                   "drained; run the command again to continue", err=True)
        return SYNC_EXIT_INTERRUPTED
    if summary.nacked:
        click.echo(f"{summary.nacked} items could not be stored and were not acknowledged; they "
                   "come back on the next run (the warnings above say why)", err=True)
        return SYNC_EXIT_ITEMS_FAILED
    return SYNC_EXIT_OK

# ---- mock: a local, stateful Base API v2 server ---------------------------------------

@cli.command("mock")
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
@click.option("--verbose", is_flag=True, help="Log every request to stderr.")
def mock_command(host: str, port: int, tokens: tuple[str, ...], db_path: str | None,
                 rate_limit: float | None, faults: str | None, fault_seed: int | None,
                 seed_count: int, threads: int, verbose: bool) -> None:
    """Run a local mock of the Base API v2 (for tests and CI).

    Prints one line, "listening on http://HOST:PORT", once requests can be sent.
    Stops cleanly on Ctrl-C or SIGTERM.
    """
    import logging
    import signal
    import threading
    import time

    try:
        from .mock.faults import parse_spec
        from .mock.server import serve
    except ImportError as exc:
        raise click.ClickException(
            f"the mock server needs the mock extra: pip install 'basecrm_like[mock]' ({exc})")
    try:
        fault_spec = parse_spec(faults)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--faults")
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(name)s %(message)s")
    started = time.perf_counter()
    try:
        server = serve(tokens=tokens, db=db_path, rate_limit=rate_limit, faults=fault_spec,
                       fault_seed=fault_seed, seed=seed_count, port=port, host=host,
                       threads=threads)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
    if verbose:
        _log_requests(server)
    stop = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        stop.set()

    previous = signal.signal(signal.SIGTERM, on_signal)
    click.echo(f"listening on {server.url}")
    sys.stdout.flush()
    if verbose:
        click.echo(f"started in {time.perf_counter() - started:.3f} s", err=True)
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.stop()


def _log_requests(server: Any) -> None:
    """Wrap the app so each request is logged with its status and duration."""
    import logging
    import time

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

