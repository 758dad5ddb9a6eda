"""``basecrm-like sync``: mirror an account into SQLite through the Sync API."""
from __future__ import annotations

import contextlib
import os
import sqlite3

import click
import requests

from ..http.errors import BaseError, ConfigurationError
from ..sync import SqliteMirror, Sync
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
@click.option("--db", "db_path", required=True, type=click.Path(dir_okay=False),
              help="SQLite file of the mirror; created on the first run.")
@click.option("--device-uuid", metavar="UUID",
              help="Sync API device UUID. Default: kept in DB.device, created on the first run.")
@firehose_sync_options
@account_options
@rate_option
@progress_option
@json_option
def sync_command(db_path: str, device_uuid: str | None, token: str | None,
                 base_url: str | None, show_progress: bool, via: str,
                 resources: tuple[str, ...], follow: bool, poll_interval: float,
                 as_json: bool = False) -> None:
    """Mirror the account into a SQLite file through the Sync API.

    Run it again to fetch what changed since. Each page is committed before it
    is acknowledged, so after a crash or Ctrl-C the next run resumes where this
    one stopped, with nothing lost and nothing applied twice. Ctrl-C finishes
    the page in hand first; press it twice to abort at once.

    Exit status: 0 done; 1 some items could not be stored (they come back on
    the next run); 2 cannot run (configuration, network, API or database
    error); 130 stopped by Ctrl-C or SIGTERM before the queue was drained.

    With --via firehose the mirror is fed from the Firehose API v3 instead of
    the Sync API: a full load through the lists on the first run, then every
    change, each page committed together with its stream position.
    """
    if via == "firehose":
        raise SystemExit(run_firehose_sync(db_path, resources, follow, poll_interval, token,
                                           base_url, show_progress))
    raise SystemExit(run_sync(db_path, device_uuid, token, base_url, show_progress, as_json))


def run_sync(db_path: str, device_uuid: str | None, token: str | None, base_url: str | None,
             show_progress: bool, as_json: bool = False) -> int:
    """Mirror the account into ``db_path``; the exit status."""
    try:
        client = make_client(token, base_url)
    except ConfigurationError as exc:
        return fail_to_run("sync", str(exc))
    new_files = [path for path in (db_path, f"{db_path}.device") if not os.path.exists(path)]
    try:
        uuid = device_uuid or Sync.device_uuid_from(f"{db_path}.device")
    except (OSError, ValueError) as exc:
        return fail_to_run("sync", f"device UUID: {exc}")
    try:
        mirror = SqliteMirror(db_path)
    except (sqlite3.Error, OSError) as exc:
        return fail_to_run("sync", f"cannot open the mirror {db_path}: {exc}")

    sync = Sync(client, uuid)
    progress = SyncProgress(show_progress)
    failure = None
    with stop_on_signals("sync", "the page in hand", sync.request_stop) as signalled, mirror:
        try:
            with contextlib.closing(progress):   # the bar ends before any message below it
                summary = sync.run(mirror, progress=progress)
        except (BaseError, requests.exceptions.RequestException, sqlite3.Error) as exc:
            done = sync.summary.acked
            resume = (f"\n{done} items were stored and acknowledged before this; run the "
                      "command again to resume") if done else ""
            failure = f"{exc}{resume}"
        except KeyboardInterrupt:
            click.echo(f"basecrm-like sync: aborted; {sync.summary.acked} items stored and "
                       "acknowledged, the page in hand comes back on the next run", err=True)
            return EXIT_INTERRUPTED
        if failure is None:
            counts = mirror.counts()
    if failure is not None:
        if not sync.summary.acked:
            # a first run that got nowhere: leave no empty mirror or device file behind
            remove_files(new_files)
        return fail_to_run("sync", failure)

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
        return EXIT_INTERRUPTED
    if summary.nacked:
        click.echo(f"{summary.nacked} items could not be stored and were not acknowledged; they "
                   "come back on the next run (the warnings above say why)", err=True)
        return EXIT_SOME_FAILED
    return EXIT_OK
