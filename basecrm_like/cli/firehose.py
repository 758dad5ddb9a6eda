"""``basecrm-like firehose``: the Firehose stream as JSON Lines, resumable with ``--state``."""
from __future__ import annotations

import contextlib
import io
import json
import os
import sqlite3
import sys
from collections.abc import Iterator
from decimal import Decimal
from typing import IO, Any

import click
import requests

from ..catalog import RESOURCES
from ..firehose import CheckpointStoreError, MirrorSummary, Stream, open_store
from ..http.errors import BaseError, ConfigurationError
from ..sync import Mirror, MirrorBusyError, MirrorError
from .progress import Progress
from .shared import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_SOME_FAILED,
    account_options,
    fail_to_run,
    make_client,
    progress_option,
    stop_on_signals,
)


class EventProgress(Progress):
    """Events written so far: a counter on a terminal, a line every few seconds otherwise."""

    def __call__(self, stream: Stream) -> None:
        if not self.enabled:
            return
        if self.tty:
            bar = self.open_bar(unit="event", desc="firehose")
            bar.update(stream.handled - bar.n)
        elif self.line_due():
            click.echo(f"firehose: {stream.handled} events, {stream.pages} pages", err=True)


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _cut_partial_line(raw: IO[bytes]) -> None:
    """Drop a half-written last line (from a run killed mid-write): its event comes
    again, since the saved position is never past an event not fully written."""
    size = end = raw.seek(0, io.SEEK_END)
    while end > 0:
        start = max(end - 65536, 0)
        raw.seek(start)
        chunk = raw.read(end - start)
        if end == size and chunk.endswith(b"\n"):
            return
        cut = chunk.rfind(b"\n")
        if cut >= 0:
            raw.truncate(start + cut + 1)
            return
        end = start
    raw.truncate(0)


@contextlib.contextmanager
def _output(path: str) -> Iterator[IO[str]]:
    """stdout, or ``path`` opened for appending (after :func:`_cut_partial_line`)."""
    if path == "-":
        yield sys.stdout
        return
    with open(path, "a+b") as raw:
        _cut_partial_line(raw)
    with open(path, "a", encoding="utf-8") as out:
        yield out


def _durable(out: IO[str]) -> None:
    out.flush()
    if out is not sys.stdout:
        os.fsync(out.fileno())


@click.command("firehose")
@click.argument("resources", nargs=-1, required=True, metavar="RESOURCE...")
@click.option("--from", "start", default="tail", show_default=True, metavar="tail|top|POSITION",
              help="Where to start when --state has no position: the oldest retained event "
                   "(tail), now (top), or a position printed by an earlier run.")
@click.option("--follow", is_flag=True, help="Keep polling for new events once at top, until "
                                             "Ctrl-C or SIGTERM.")
@click.option("--poll-interval", type=click.FloatRange(min=0), default=1.0, show_default=True,
              metavar="SECONDS", help="Pause between polls at top (--follow).")
@click.option("-o", "--output", default="-", type=click.Path(dir_okay=False, allow_dash=True),
              help="JSON Lines file to append to. Default: stdout.")
@click.option("--state", type=click.Path(dir_okay=False),
              help="File keeping the position per resource (SQLite for a .db file, else JSON); the "
                   "next run resumes from it.")
@click.option("--limit", type=click.IntRange(1, 100), default=100, show_default=True,
              help="Events per page.")
@account_options
@progress_option
def firehose_command(resources: tuple[str, ...], start: str, follow: bool, poll_interval: float,
                     output: str, state: str | None, limit: int, token: str | None,
                     base_url: str | None, show_progress: bool) -> None:
    """Write the Firehose events of RESOURCE... (deals, leads...) as JSON Lines.

    One event a line: {"resource", "data" (the record), "meta" (event_type,
    event_id, sequence, event_time, event_cause, previous)}. A position is saved
    to --state only once the events before it are written and flushed, so a run
    stopped at any point (even killed) resumes without skipping an event; the
    events of the page in progress may come again (drop repeats by event_id).

    Exit status: 0 read to top; 2 cannot run (configuration, network, API
    error, or a position too old: then a full resync is needed); 130 stopped
    by Ctrl-C or SIGTERM.
    """
    raise SystemExit(run_firehose(resources, start, follow, poll_interval, output, state, limit,
                                  token, base_url, show_progress))


def run_firehose(resources: tuple[str, ...], start: str, follow: bool, poll_interval: float,
                 output: str, state: str | None, limit: int, token: str | None,
                 base_url: str | None, show_progress: bool) -> int:
    try:
        client = make_client(token, base_url)
        store = open_store(state) if state else None
    except ConfigurationError as exc:
        return fail_to_run("firehose", str(exc))
    progress = EventProgress(show_progress)
    with contextlib.ExitStack() as stack:
        try:
            out = stack.enter_context(_output(output))
        except OSError as exc:
            return fail_to_run("firehose", f"cannot open {output}: {exc}")
        try:
            stream = client.firehose.stream_many(list(resources), start, limit, store=store,
                                                 before_checkpoint=lambda: _durable(out))
        except ConfigurationError as exc:
            return fail_to_run("firehose", str(exc))
        signalled = stack.enter_context(
            stop_on_signals("firehose", "the event in hand", stream.stop))
        try:
            with contextlib.closing(progress):
                events = stream.follow(poll_interval) if follow else iter(stream)
                for event in events:
                    out.write(json.dumps(event.to_dict(), default=_json_default,
                                         ensure_ascii=False, separators=(",", ":")) + "\n")
                    progress(stream)
                _durable(out)
        except (BaseError, CheckpointStoreError, OSError,
                requests.exceptions.RequestException) as exc:
            return fail_to_run("firehose", f"{exc}{_saved(stream, state)}")
        except KeyboardInterrupt:
            click.echo(f"basecrm-like firehose: aborted{_saved(stream, state)}", err=True)
            return EXIT_INTERRUPTED
    if stream.stopped:
        click.echo(f"basecrm-like firehose: stopped by "
                   f"{signalled[0] if signalled else 'request'}{_saved(stream, state)}", err=True)
        return EXIT_INTERRUPTED
    click.echo(f"firehose: {stream.handled} events to top{_saved(stream, state)}", err=True)
    return EXIT_OK


def _saved(stream: Stream, state: str | None) -> str:
    positions = stream.positions
    if not positions:
        return "; no position saved yet"
    listed = ", ".join(f"{resource}={position}" for resource, position in positions.items())
    where = f" in {state}; run again with --state {state} to resume" if state else \
        "; resume with --from POSITION (one resource at a time) or use --state FILE"
    return f"; saved position {listed}{where}"


#: what ``sync --via firehose`` mirrors unless told: the top-level resources Sync mirrors
MIRRORED = tuple(res.name for res in RESOURCES
                 if res.synced and not res.parent_params and "list" in res.actions)


def firehose_sync_options(command: Any) -> Any:
    """The options ``sync`` takes for ``--via firehose``."""
    for option in reversed((
        click.option("--via", type=click.Choice(["sync", "firehose"]), default="sync",
                     show_default=True,
                     help="Feed the mirror from the Sync API or from the Firehose API v3."),
        click.option("--resource", "resources", multiple=True, metavar="NAME",
                     help="With --via firehose: a resource to mirror (repeatable). Default: "
                          "those the Sync API mirrors."),
        click.option("--follow", is_flag=True,
                     help="With --via firehose: keep the mirror current until Ctrl-C."),
        click.option("--poll-interval", type=click.FloatRange(min=0), default=1.0,
                     show_default=True, metavar="SECONDS",
                     help="With --via firehose --follow: pause between polls at top."),
    )):
        command = option(command)
    return command


class MirrorProgress(Progress):
    def __call__(self, summary: MirrorSummary) -> None:
        if not self.enabled:
            return
        if self.tty:
            bar = self.open_bar(unit="page", desc="firehose sync")
            bar.set_postfix_str(f"loaded={summary.loaded} applied={summary.applied}",
                                refresh=False)
            bar.update(summary.pages - bar.n)
        elif self.line_due():
            click.echo(f"firehose sync: {summary.describe()}", err=True)


def run_firehose_sync(db_path: str, resources: tuple[str, ...], follow: bool,
                      poll_interval: float, token: str | None, base_url: str | None,
                      show_progress: bool) -> int:
    """Keep the mirror at ``db_path`` current from the Firehose; the exit status."""
    try:
        client = make_client(token, base_url)
        mirror = Mirror(db_path)
    except (ConfigurationError, MirrorError) as exc:
        return fail_to_run("sync", str(exc))
    except (sqlite3.Error, OSError) as exc:
        return fail_to_run("sync", f"cannot open the mirror {db_path}: {exc}")
    progress = MirrorProgress(show_progress)
    with mirror, contextlib.ExitStack() as held:
        try:
            # one writer per mirror, whether it is fed by the Sync API or the Firehose
            held.enter_context(mirror.writer(wait=False))
            feed = client.firehose.mirror(mirror, list(resources or MIRRORED))
        except (ConfigurationError, MirrorBusyError) as exc:
            return fail_to_run("sync", str(exc))
        with stop_on_signals("sync", "the page in hand", feed.stop) as signalled:
            try:
                with contextlib.closing(progress):
                    summary = feed.run(follow=follow, poll_interval=poll_interval,
                                       progress=progress)
            except (BaseError, MirrorError, sqlite3.Error,
                    requests.exceptions.RequestException) as exc:
                return fail_to_run("sync", f"{exc}\nevery page applied before this was "
                                           "committed with its position; run again to resume")
            except KeyboardInterrupt:
                click.echo("basecrm-like sync: aborted; the pages applied so far are committed "
                           "with their positions, run again to resume", err=True)
                return EXIT_INTERRUPTED
    click.echo(f"synced via firehose: {summary.describe()} in {summary.elapsed:.1f} s")
    if feed.stopped:
        click.echo(f"stopped by {signalled[0] if signalled else 'request'}; run the command "
                   "again to continue", err=True)
        return EXIT_INTERRUPTED
    return EXIT_SOME_FAILED if summary.rejected else EXIT_OK
