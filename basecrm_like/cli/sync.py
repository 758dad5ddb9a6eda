"""``basecrm-like sync``: mirror an account into SQLite or PostgreSQL through the Sync API."""
from __future__ import annotations

import contextlib
import os
import sqlite3
import uuid as uuid_module

import click
import requests

from ..client import Client
from ..http.errors import BaseError, ConfigurationError
from ..sync import Mirror, MirrorBusyError, MirrorError, SqliteMirror, Sync
from ..sync.mirror import sqlite_path
from .conventions import json_option, print_json, remove_files
from .firehose import firehose_sync_options, run_firehose_sync
from .progress import SyncProgress
from .shared import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_SOME_FAILED,
    account_options,
    fail_to_run,
    make_client,
    progress_option,
    rate_option,
    stop_on_signals,
)


@click.command("sync")
@click.option("--db", "db_path", required=True, metavar="PATH|URL",
              help="The mirror: a SQLite file path or sqlite:///path (created on the first "
                   "run), or postgresql://user@host/db (needs the postgres extra).")
@click.option("--device-uuid", metavar="UUID",
              help="Sync API device UUID. Default: kept in DB.device for SQLite, in the "
                   "database for PostgreSQL; created on the first run.")
@click.option("--wait", is_flag=True,
              help="If another sync is writing the same mirror, wait for it instead of "
                   "exiting.")
@firehose_sync_options
@account_options
@rate_option
@progress_option
@json_option
def sync_command(db_path: str, device_uuid: str | None, wait: bool, token: str | None,
                 base_url: str | None, show_progress: bool, via: str,
                 resources: tuple[str, ...], follow: bool, poll_interval: float,
                 as_json: bool = False) -> None:
    """Mirror the account into SQLite or PostgreSQL through the Sync API.

    Run it again to fetch what changed since. Each page is committed before it
    is acknowledged, so after a crash or Ctrl-C the next run resumes where this
    one stopped, with nothing lost and nothing applied twice. Ctrl-C finishes
    the page in hand first; press it twice to abort at once.

    One sync at a time writes a mirror: a second one exits with a message
    saying another sync is running, or waits with --wait.

    Exit status: 0 done; 1 some items could not be stored (they come back on
    the next run); 2 cannot run (configuration, network, API or database
    error, or another sync running); 130 stopped by Ctrl-C or SIGTERM before
    the queue was drained.

    With --via firehose the mirror is fed from the Firehose API v3 instead of
    the Sync API: a full load through the lists on the first run, then every
    change, each page committed together with its stream position.
    """
    if via == "firehose":
        raise SystemExit(run_firehose_sync(db_path, resources, follow, poll_interval, token,
                                           base_url, show_progress))
    raise SystemExit(run_sync(db_path, device_uuid, token, base_url, show_progress, wait,
                              as_json))


def run_sync(db_path: str, device_uuid: str | None, token: str | None, base_url: str | None,
             show_progress: bool, wait: bool = False, as_json: bool = False) -> int:
    """Mirror the account into ``db_path``; the exit status."""
    try:
        client = make_client(token, base_url)
    except ConfigurationError as exc:
        return fail_to_run("sync", str(exc))
    # a first run that gets nowhere leaves no empty mirror, device or lock file behind
    new_files = [path for path in _files_of(db_path) if not os.path.exists(path)]
    try:
        mirror = Mirror(db_path)
    except MirrorError as exc:
        return fail_to_run("sync", str(exc))
    except (sqlite3.Error, OSError) as exc:
        return fail_to_run("sync", f"cannot open the mirror {db_path}: {exc}")
    shown = getattr(mirror, "url", None) or db_path  # without a password

    with contextlib.ExitStack() as stack:
        stack.enter_context(mirror)
        try:
            stack.enter_context(mirror.writer(wait=wait))
            uuid = device_uuid or _device_uuid(mirror, db_path)
        except MirrorBusyError as exc:
            return fail_to_run("sync", str(exc))
        except (OSError, ValueError) as exc:
            return fail_to_run("sync", f"device UUID: {exc}")
        status, stored_nothing = _run(client, uuid, mirror, shown, show_progress, as_json)
    if stored_nothing:
        remove_files(new_files)
    return status


def _files_of(db_path: str) -> list[str]:
    """The files a SQLite mirror at ``db_path`` keeps (none for a database server)."""
    if "://" in db_path and not db_path.lower().startswith("sqlite:"):
        return []
    try:
        path = sqlite_path(db_path)
    except MirrorError:
        return []
    return [path, f"{path}.device", f"{path}.lock"]


def _device_uuid(mirror: Mirror, db_path: str) -> str:
    """A file mirror keeps the UUID in DB.device; a database mirror keeps it inside."""
    if isinstance(mirror, SqliteMirror):
        return Sync.device_uuid_from(f"{mirror.path}.device")
    kept = mirror.checkpoint(DEVICE_CHECKPOINT)
    if kept is None:
        kept = str(uuid_module.uuid4())
        mirror.apply([], checkpoint=(DEVICE_CHECKPOINT, kept))  # under the writer lock
    return kept


DEVICE_CHECKPOINT = "sync.device_uuid"


def _run(client: Client, uuid: str, mirror: Mirror, db_path: str, show_progress: bool,
         as_json: bool) -> tuple[int, bool]:
    """Drain the queue into ``mirror``: the exit status, and whether the run failed
    before storing anything (so the files it created can go)."""
    sync = Sync(client, uuid)
    progress = SyncProgress(show_progress)
    failure = None
    with stop_on_signals("sync", "the page in hand", sync.request_stop) as signalled:
        try:
            with contextlib.closing(progress):   # the bar ends before any message below it
                summary = sync.run(mirror, progress=progress)
        except (BaseError, requests.exceptions.RequestException, sqlite3.Error,
                MirrorError) as exc:
            done = sync.summary.acked
            resume = (f"\n{done} items were stored and acknowledged before this; run the "
                      "command again to resume") if done else ""
            failure = f"{exc}{resume}"
        except KeyboardInterrupt:
            click.echo(f"basecrm-like sync: aborted; {sync.summary.acked} items stored and "
                       "acknowledged, the page in hand comes back on the next run", err=True)
            return EXIT_INTERRUPTED, False
        if failure is None:
            counts = mirror.counts()
    if failure is not None:
        return fail_to_run("sync", failure), not sync.summary.acked

    if as_json:
        print_json({"db": db_path, "session_id": summary.session_id, "pages": summary.pages,
                    "seen": summary.seen, "acked": summary.acked, "nacked": summary.nacked,
                    "by_type": dict(summary.by_type), "stopped": summary.stopped,
                    "elapsed": round(summary.elapsed, 3), "mirror": dict(counts)})
    elif summary.session_id is None:
        click.echo("nothing new since the last sync")
    else:
        click.echo(f"synced {summary.describe()} in {summary.elapsed:.1f} s")
    if not as_json:
        click.echo(f"mirror {db_path}: " + (", ".join(f"{t} {n}" for t, n in counts.items())
                                            or "empty"))
    if summary.stopped:
        click.echo(f"stopped by {signalled[0] if signalled else 'request'} before the queue was "
                   "drained; run the command again to continue", err=True)
        return EXIT_INTERRUPTED, False
    if summary.nacked:
        click.echo(f"{summary.nacked} items could not be stored and were not acknowledged; they "
                   "come back on the next run:", err=True)
        for rejection in mirror.rejected[-10:]:
            click.echo(f"  {rejection}", err=True)
        if len(mirror.rejected) > 10:
            click.echo(f"  ... and {len(mirror.rejected) - 10} more", err=True)
        return EXIT_SOME_FAILED, False
    return EXIT_OK, False
