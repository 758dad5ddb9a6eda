"""The ``basecrm-like`` command: mock server, imports, exports and sync.

The only module that talks to a terminal (click, tqdm); the library underneath
logs and returns values.
"""
from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
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


EXIT_OK, EXIT_SOME_FAILED, EXIT_CANNOT_RUN, EXIT_INTERRUPTED = 0, 1, 2, 130


def account_options(command: Any) -> Any:
    """``--token`` and ``--base-url``, defaulting to the environment like the Client."""
    command = click.option("--base-url", metavar="URL",
                           help="API address. Default: $BASECRM_BASE_URL, then "
                                "https://api.getbase.com.")(command)
    return click.option("--token", metavar="T",
                        help="Access token. Default: $BASECRM_ACCESS_TOKEN.")(command)


def make_client(token: str | None, base_url: str | None, **options: Any) -> Any:
    """A Client from the command's options; raises ConfigurationError naming the fix."""
    from .client import Client

    if token:
        options["access_token"] = token
    if base_url:
        options["base_url"] = base_url
    return Client(**options)


def fail_to_run(command: str, message: str) -> int:
    """Say why the command cannot proceed (no traceback) and return exit status 2."""
    click.echo(f"basecrm-like {command}: {message}", err=True)
    return EXIT_CANNOT_RUN


@contextlib.contextmanager
def stop_on_signals(command: str, what: str, request_stop: Any) -> Iterator[list[str]]:
    """SIGINT/SIGTERM ask the work to stop at a safe point; a second Ctrl-C aborts.

    Yields the names of the signals received, for the closing message.
    """
    import signal
    import threading

    signalled: list[str] = []

    def stop(signum: int, _frame: Any) -> None:
        signalled.append(signal.Signals(signum).name)
        click.echo(f"\nbasecrm-like {command}: stopping after {what} "
                   "(Ctrl-C again to abort at once)", err=True)
        request_stop()
        signal.signal(signal.SIGINT, signal.default_int_handler)

    in_main = threading.current_thread() is threading.main_thread()
    saved = [(s, signal.signal(s, stop)) for s in (signal.SIGINT, signal.SIGTERM)] if in_main else []
    try:
        yield signalled
    finally:
        for signum, handler in saved:
            signal.signal(signum, handler)


# ---- commands are registered below, one section each ------------------------------


# ---- sync: mirror an account into SQLite ------------------------------------------
SYNC_EXIT_OK, SYNC_EXIT_ITEMS_FAILED, SYNC_EXIT_CANNOT_RUN, SYNC_EXIT_INTERRUPTED = (
    EXIT_OK, EXIT_SOME_FAILED, EXIT_CANNOT_RUN, EXIT_INTERRUPTED)


@cli.command("sync")
@click.option("--db", "db_path", required=True, type=click.Path(dir_okay=False),
              help="SQLite file of the mirror; created on the first run.")
@click.option("--device-uuid", metavar="UUID",
              help="Sync API device UUID. Default: kept in DB.device, created on the first run.")
@account_options
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
    TOP_TYPES = 4

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
        # the biggest types by name, the long tail of reference data summed up
        ranked = sorted(summary.by_type.items(), key=lambda kv: (-kv[1], kv[0]))
        shown = sorted(ranked[:self.TOP_TYPES])
        rest = sum(n for _, n in ranked[self.TOP_TYPES:])
        types = " ".join([f"{t}={n}" for t, n in shown] + ([f"other={rest}"] if rest else []))
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
    import sqlite3

    import requests

    from .errors import BaseError, ConfigurationError
    from .sync import SqliteMirror, Sync

    try:
        client = make_client(token, base_url)
    except ConfigurationError as exc:
        return fail_to_run("sync", str(exc))
    try:
        uuid = device_uuid or Sync.device_uuid_from(f"{db_path}.device")
    except (OSError, ValueError) as exc:
        return fail_to_run("sync", f"device UUID: {exc}")
    try:
        mirror = SqliteMirror(db_path)
    except (sqlite3.Error, OSError) as exc:
        return fail_to_run("sync", f"cannot open the mirror {db_path}: {exc}")

    sync = Sync(client, uuid)
    progress = _SyncProgress(show_progress)
    with stop_on_signals("sync", "the page in hand", sync.request_stop) as signalled:
        with mirror:
            try:
                summary = sync.run(mirror, progress=progress)
            except (BaseError, requests.exceptions.RequestException, sqlite3.Error) as exc:
                progress.close()
                done = sync.summary.acked
                resume = (f"\n{done} items were stored and acknowledged before this; run the "
                          "command again to resume") if done else ""
                return fail_to_run("sync", f"{exc}{resume}")
            except KeyboardInterrupt:
                progress.close()
                click.echo(f"basecrm-like sync: aborted; {sync.summary.acked} items stored and "
                           "acknowledged, the page in hand comes back on the next run", err=True)
                return SYNC_EXIT_INTERRUPTED
            progress.close()
            counts = mirror.counts()

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
    import logging
    import signal
    import threading
    import time

    try:
        from .mock.faults import parse_spec
        from .mock.oauth import parse_oauth_client
        from .mock.server import serve
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

    def on_signal(signum: int, frame: Any) -> None:
        stop.set()

    # both signals only set the event, so a signal arriving at any moment (even
    # right after the ready line) ends in the same clean stop
    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        click.echo(f"listening on {server.url}")
        sys.stdout.flush()
        if verbose:
            click.echo(f"started in {time.perf_counter() - started:.3f} s", err=True)
        while not stop.wait(0.5):
            pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
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


# ---- import and export: bulk data in and out ---------------------------------------
IMPORT_EXIT_OK, IMPORT_EXIT_ROWS_FAILED, IMPORT_EXIT_CANNOT_RUN, IMPORT_EXIT_INTERRUPTED = (
    EXIT_OK, EXIT_SOME_FAILED, EXIT_CANNOT_RUN, EXIT_INTERRUPTED)
#: failed rows printed on stderr when there is no --report to hold them
_SHOWN_FAILURES = 20


@cli.command("import")
@click.argument("resource")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--key", metavar="ATTRIBUTE",
              help="Match existing records on this attribute (email, custom_fields.<name>, ...) "
                   "and upsert, so reruns never duplicate. Without it every row is created.")
@click.option("--concurrency", type=click.IntRange(1, 64), default=8, show_default=True,
              help="Rows sent at once.")
@click.option("--rate", type=click.FloatRange(min=0), default=10.0, show_default=True,
              help="Requests per second for the whole import; 0 = unlimited.")
@click.option("--report", type=click.Path(dir_okay=False),
              help="Write one CSV line per input row (status, id, error) here.")
@click.option("--resume", is_flag=True,
              help="Skip the rows an earlier, interrupted run finished (read from its journal).")
@click.option("--dry-run", is_flag=True,
              help="Check every row against the catalog; send nothing, no token needed.")
@click.option("--map", "maps", multiple=True, metavar="COLUMN=ATTRIBUTE",
              help="Read COLUMN as ATTRIBUTE (repeatable); COLUMN=- ignores the column.")
@click.option("--map-file", type=click.Path(dir_okay=False),
              help="Mappings from a JSON object or a two-column CSV (column,attribute).")
@click.option("--encoding", default="utf-8", show_default=True, help="Encoding of FILE.")
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]),
              help="Format of FILE. Default: from the extension (.jsonl = JSON Lines, else CSV).")
@click.option("--no-compare", is_flag=True,
              help="With --key, upsert without reading the record first: one request per row, "
                   "but 'unchanged' is never reported.")
@account_options
@click.option("--progress/--no-progress", "show_progress", default=True,
              help="Progress on stderr: a bar on a terminal, a line every few seconds otherwise.")
def import_command(**params: Any) -> None:
    """Import the rows of FILE (CSV with a header row, or JSON Lines) as RESOURCE records.

    Columns name attributes: first_name, is_organization, tags (comma or
    semicolon separated), address.city, custom_fields.<name>. Empty cells are
    left out. Bad rows are reported and skipped; the import goes on.

    Every outcome is journaled next to the report (or FILE) as it happens:
    after Ctrl-C, a crash or a kill, run the same command with --resume.

    Exit status: 0 every row succeeded; 1 some rows failed (see the report);
    2 cannot run (configuration, file, resource or mapping problem); 130
    stopped by Ctrl-C or SIGTERM (the message says how to resume).
    """
    raise SystemExit(_import_main(**params))


class _RowProgress:
    """A tqdm bar (rows/s, ETA, failures) on a terminal; a plain line every few seconds otherwise."""

    LINE_EVERY = 5.0
    TOP_TYPES = 4

    def __init__(self, enabled: bool, total: int | None, label: str) -> None:
        import time

        self.enabled = enabled
        self.tty = enabled and sys.stderr.isatty()
        self.total = total
        self.label = label
        self.bar: Any = None
        self.done = 0
        self.failed = 0
        self.started = self.last_line = time.monotonic()

    def __call__(self, result: Any) -> None:
        import time

        self.done += 1
        if result.status == "failed":
            self.failed += 1
        if not self.enabled:
            return
        if self.tty:
            if self.bar is None:
                from tqdm import tqdm  # type: ignore[import-untyped,unused-ignore]

                self.bar = tqdm(total=self.total, unit="row", desc=self.label, file=sys.stderr,
                                dynamic_ncols=True, smoothing=0.1)
                self.bar.set_postfix(failed=0, refresh=False)
            self.bar.update(1)
            if result.status == "failed":
                self.bar.set_postfix(failed=self.failed, refresh=False)
        elif time.monotonic() - self.last_line >= self.LINE_EVERY:
            now = time.monotonic()
            self.last_line = now
            speed = self.done / max(now - self.started, 1e-9)
            of, eta = "", ""
            if self.total:
                of = f"/~{self.total}"
                left = max(self.total - self.done, 0)
                eta = f", ETA {left / speed:.0f} s" if speed > 0 else ""
            click.echo(f"{self.label}: {self.done}{of} rows, {speed:.1f} rows/s, "
                       f"{self.failed} failed{eta}", err=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _resume_command(params: dict[str, Any]) -> str:
    """The command line that resumes this import (never with the token in it)."""
    import shlex

    words = ["basecrm-like", "import", params["resource"], params["file"]]
    for name in ("key", "concurrency", "rate", "report", "map_file", "encoding", "fmt",
                 "base_url"):
        value = params.get(name)
        if value is not None:
            option = "--format" if name == "fmt" else "--" + name.replace("_", "-")
            words += [option, f"{value:g}" if isinstance(value, float) else str(value)]
    for mapping in params.get("maps") or ():
        words += ["--map", mapping]
    if params.get("no_compare"):
        words.append("--no-compare")
    words.append("--resume")
    return shlex.join(words)


def _import_main(**params: Any) -> int:
    import functools
    import os

    from . import bulk, resources
    from .errors import ConfigurationError
    from .journal import Journal, JournalError
    from .ratelimit import limiter_for
    from .records import InputError, load_map_file, parse_map_options, read_rows, scan_file

    cannot_run = functools.partial(fail_to_run, "import")

    path, dry_run, key = params["file"], params["dry_run"], params["key"]
    try:
        res = resources.get(params["resource"])
    except KeyError as exc:
        names = ", ".join(r.name for r in resources.RESOURCES if "create" in r.actions)
        return cannot_run(f"{exc.args[0]} (resources you can import: {names})")
    if not os.path.isfile(path):
        return cannot_run(f"no such file: {path}")
    try:
        total = scan_file(path, params["encoding"])
        if (params["fmt"] or ("jsonl" if path.lower().endswith((".jsonl", ".ndjson", ".json"))
                              else "csv")) == "csv":
            total = max(total - 1, 0)      # the header; multi-line cells make it an estimate
        mapping = load_map_file(params["map_file"]) if params["map_file"] else {}
        mapping.update(parse_map_options(params["maps"]))
    except InputError as exc:
        return cannot_run(str(exc))

    try:   # key, mapping and resource checks first: they need no token
        bulk.Importer(res, None, key=key, concurrency=params["concurrency"], mapping=mapping)
    except (InputError, ValueError) as exc:
        return cannot_run(str(exc))
    client = None
    if not dry_run:
        try:
            client = make_client(params["token"], params["base_url"],
                                 pool_size=max(10, params["concurrency"]))
        except ConfigurationError as exc:
            return cannot_run(f"{exc} (the command takes --token and --base-url too)")
    journal = None
    try:
        rows = read_rows(path, params["fmt"], params["encoding"])
        if not dry_run:
            journal = Journal(bulk.default_journal_path(path, params["report"]),
                              {"resource": res.name, "key": key, "input": os.path.abspath(path)},
                              resume=params["resume"])
        importer = bulk.Importer(
            res, None if client is None else getattr(client, res.name), key=key,
            concurrency=params["concurrency"], compare=not params["no_compare"], mapping=mapping,
            journal=journal,
            limiter=None if client is None else limiter_for(client.http_client, params["rate"]))
    except (InputError, JournalError, ValueError) as exc:
        if journal is not None:
            journal.close()
        return cannot_run(str(exc))

    header_noted = False

    def with_notes(items: Any) -> Any:
        nonlocal header_noted
        for row in items:
            if not header_noted and row.data:
                header_noted = True
                for note in importer.mapper.header_notes(row.data.keys()):
                    click.echo(f"basecrm-like import: note: {note}", err=True)
            yield row

    label = f"{'checking' if dry_run else 'importing'} {res.name}"
    progress = _RowProgress(params["show_progress"], total, label)
    failures: list[Any] = []

    def on_result(result: Any) -> None:
        progress(result)
        if result.status == "failed" and not params["report"] and len(failures) < _SHOWN_FAILURES:
            failures.append(result)

    with stop_on_signals("import", "the rows in flight", importer.stop) as signalled:
        try:
            summary = bulk.run_with_report(importer, with_notes(rows), on_result, params["report"])
        except InputError as exc:
            progress.close()
            return cannot_run(f"{exc}\nRows finished so far are journaled; fix the problem and "
                              f"resume with:\n  {_resume_command(params)}")
        except KeyboardInterrupt:
            progress.close()
            click.echo("basecrm-like import: aborted; the rows in flight may be missing from the "
                       f"journal. To resume:\n  {_resume_command(params)}", err=True)
            return IMPORT_EXIT_INTERRUPTED
    progress.close()

    for result in failures:
        where = f" ({result.error_field})" if result.error_field else ""
        click.echo(f"row {result.row}: {result.error_code}{where}: {result.message}", err=True)
    if failures and summary.failed > len(failures):
        click.echo(f"... and {summary.failed - len(failures)} more failed rows; pass --report "
                   "PATH to list them all", err=True)
    traffic = "" if dry_run else f"; {summary.requests} requests, {summary.rate_limited} rate-limited"
    click.echo(f"{summary.line()}{traffic}")
    if params["report"]:
        click.echo(f"report: {params['report']}")
    if summary.interrupted:
        by = signalled[0] if signalled else "request"
        click.echo(f"stopped by {by} after {summary.rows} rows. To resume:\n"
                   f"  {_resume_command(params)}", err=True)
        return IMPORT_EXIT_INTERRUPTED
    return IMPORT_EXIT_ROWS_FAILED if summary.failed else IMPORT_EXIT_OK


@cli.command("export")
@click.argument("resource")
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="csv",
              show_default=True, help="CSV (columns from the catalog) or JSON Lines.")
@click.option("--filter", "filters", multiple=True, metavar="NAME=VALUE",
              help="Only matching records (repeatable): owner_id=3, address.city=Paris, "
                   "custom_fields.Segment=SMB, sort_by=id:desc.")
@click.option("-o", "--output", default="-", type=click.Path(dir_okay=False, allow_dash=True),
              help="Output file. Default: standard output.")
@click.option("--rate", type=click.FloatRange(min=0), default=10.0, show_default=True,
              help="Requests per second; 0 = unlimited.")
@account_options
def export_command(resource: str, fmt: str, filters: tuple[str, ...], output: str, rate: float,
                   token: str | None, base_url: str | None) -> None:
    """Write every RESOURCE record as CSV or JSON Lines, streaming page by page.

    CSV columns follow the catalog; address becomes address.city etc. and
    custom fields custom_fields.<name>. Exit status: 0 done; 2 cannot run or
    the API failed part-way (the output is then incomplete).
    """
    raise SystemExit(_export_main(resource, fmt, filters, output, rate, token, base_url))


def _export_filters(res: Any, filters: tuple[str, ...]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    known = set(res.filters) | {"sort_by"}
    for item in filters:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ValueError(f"--filter {item!r} must look like name=value")
        head, dot, rest = name.partition(".")
        if dot and head == "custom_fields" and res.has_custom_fields:
            params.setdefault("custom_fields", {})[rest] = value
        elif dot and head == "address" and f"address[{rest}]" in known:
            params.setdefault("address", {})[rest] = value
        elif name in known and not name.startswith("address["):
            params[name] = value
        else:
            shown = sorted(f.replace("[", ".").rstrip("]") for f in known)
            extra = ", custom_fields.<name>" if res.has_custom_fields else ""
            raise ValueError(f"{res.name} cannot be filtered on {name!r}; the filters are "
                             f"{', '.join(shown)}{extra}")
    return params


def _custom_field_names(client: Any, res: Any) -> list[str]:
    """Custom field names of ``res`` from the API's definitions (none if unavailable)."""
    from .errors import BaseError

    if not res.has_custom_fields:
        return []
    try:
        return [f.name for f in client.custom_fields.list(res.type) if f.get("name")]
    except BaseError:
        return []


def _export_main(resource: str, fmt: str, filters: tuple[str, ...], output: str, rate: float,
                 token: str | None, base_url: str | None) -> int:
    import csv
    import functools
    import itertools

    import requests

    from . import resources
    from .errors import BaseError, ConfigurationError
    from .http_client import encode_json
    from .records import export_columns, flatten_record

    cannot_run = functools.partial(fail_to_run, "export")

    try:
        res = resources.get(resource)
    except KeyError as exc:
        return cannot_run(str(exc.args[0]))
    if "list" not in res.actions or res.parent_params:
        return cannot_run(f"{res.name} cannot be exported: it has no top-level list endpoint")
    try:
        params = _export_filters(res, filters)
        client = make_client(token, base_url)
    except (ValueError, ConfigurationError) as exc:
        return cannot_run(str(exc))
    client.bulk.limiter.set_rate(rate)
    count = 0
    try:
        with click.open_file(output, "w", encoding="utf-8", lazy=False) as out:
            records = client.bulk.export_records(res.name, **params)
            if fmt == "jsonl":
                for record in records:
                    out.write(encode_json(record) + "\n")
                    count += 1
            else:
                # custom field names: the definitions, plus any the first page shows
                first = list(itertools.islice(records, 100))
                names = set(_custom_field_names(client, res))
                for record in first:
                    names.update((record.get("custom_fields") or {}).keys())
                columns = export_columns(res, names)
                known = set(columns)
                writer = csv.DictWriter(out, columns, extrasaction="ignore")
                writer.writeheader()
                warned: set[str] = set()
                for record in itertools.chain(first, records):
                    row = flatten_record(res, record)
                    for extra in set(row) - known - warned:
                        warned.add(extra)
                        click.echo(f"basecrm-like export: column {extra!r} first appeared after "
                                   "the header was written and is left out; use --format jsonl "
                                   "to keep every attribute", err=True)
                    writer.writerow(row)
                    count += 1
    except (BaseError, requests.exceptions.RequestException) as exc:
        return cannot_run(f"{exc}\n{count} records were written before the failure; "
                          "the output is incomplete")
    except OSError as exc:
        return cannot_run(f"cannot write {output}: {exc.strerror or exc}")
    if output != "-":
        click.echo(f"exported {count} {res.name} to {output}", err=True)
    return IMPORT_EXIT_OK
