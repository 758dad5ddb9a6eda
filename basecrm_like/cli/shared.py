"""What every command shares: exit statuses, the account options and the client built
from them, the "cannot run" message, and stopping on SIGINT/SIGTERM.

The commands agree on these so a script can treat every ``basecrm-like`` command
the same way: 2 always means "fix something and run again", 130 always means
"stopped; run again to continue".
"""
from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from typing import Any

import click

from ..client import Client
from ..http.ratelimit import DEFAULT_RATE
from .conventions import for_command_line, verbose_option

EXIT_OK, EXIT_SOME_FAILED, EXIT_CANNOT_RUN, EXIT_INTERRUPTED = 0, 1, 2, 130


#: where the command line's --rate and --rate-store wait for make_client
_RATE_KEY = "basecrm_like.rate"
_RATE_STORE_KEY = "basecrm_like.rate_store"


def _remember(key: str) -> Callable[[click.Context, click.Parameter, Any], Any]:
    def store(ctx: click.Context, _param: click.Parameter, value: Any) -> Any:
        if value is not None:
            ctx.meta[key] = value
        return value
    return store


def account_options(command: Any) -> Any:
    """``--token``, ``--base-url`` (defaulting to the environment like the Client), ``-v``
    and ``--rate-store``, the budget shared with other processes on the same token."""
    command = verbose_option(command)
    command = click.option(
        "--rate-store", metavar="URL", expose_value=False, callback=_remember(_RATE_STORE_KEY),
        help="Share the request budget with other processes on this token: "
             "sqlite:///path (one host) or redis://host:port/db (several); memory keeps "
             "it in this process. Default: this process only.")(command)
    command = click.option("--base-url", metavar="URL",
                           help="API address. Default: $BASECRM_BASE_URL, then "
                                "https://api.getbase.com.")(command)
    return click.option("--token", metavar="T",
                        help="Access token. Default: $BASECRM_ACCESS_TOKEN.")(command)


#: ``--progress/--no-progress`` of the long commands (see :mod:`.progress`)
progress_option = click.option(
    "--progress/--no-progress", "show_progress", default=True,
    help="Progress on stderr: a bar on a terminal, a line every few seconds otherwise.")


#: ``--rate`` of the commands that have no pace of their own
rate_option = click.option(
    "--rate", type=click.FloatRange(min=0), default=None, expose_value=False,
    callback=_remember(_RATE_KEY),
    help="Requests per second. Default: no limit on our side (the server answers 429 "
         "past its own, and those are retried), or the API's 10 with --rate-store.")


def make_client(token: str | None, base_url: str | None, **options: Any) -> Client:
    """A Client from the command's options; raises ConfigurationError naming the fix.

    Options left unset fall back to the environment inside the Client, so an
    explicit ``--token`` wins over ``$BASECRM_ACCESS_TOKEN`` and nothing else.
    ``--rate`` and ``--rate-store`` of the running command apply unless the
    command passes ``rate_limit`` itself; a store without a rate shares the
    API's own limit.
    """
    if token:
        options["access_token"] = token
    if base_url:
        options["base_url"] = base_url
    ctx = click.get_current_context(silent=True)
    meta = ctx.meta if ctx is not None else {}
    if "rate_limit" not in options and meta.get(_RATE_KEY):
        options["rate_limit"] = meta[_RATE_KEY]
    if meta.get(_RATE_STORE_KEY):
        options["rate_limit_store"] = meta[_RATE_STORE_KEY]
        options["rate_limit"] = options.get("rate_limit") or DEFAULT_RATE
    return Client(**options)


def fail_to_run(command: str, message: str) -> int:
    """Say why the command cannot proceed (no traceback) and return the exit status."""
    click.echo(f"basecrm-like {command}: {for_command_line(message)}", err=True)
    return EXIT_CANNOT_RUN


@contextlib.contextmanager
def stop_on_signals(command: str, what: str, request_stop: Callable[[], Any]) -> Iterator[list[str]]:
    """SIGINT/SIGTERM ask the work to stop at a safe point; a second Ctrl-C aborts.

    Stopping at a safe point is what makes a rerun resume cleanly, but someone
    pressing Ctrl-C twice means it: the second one raises KeyboardInterrupt.
    Yields the names of the signals received, for the closing message. Only the
    main thread may own signal handlers: elsewhere (a test runner's worker
    thread) the block runs with the handlers it already had.
    """
    signalled: list[str] = []

    def stop(signum: int, _frame: Any) -> None:
        signalled.append(signal.Signals(signum).name)
        click.echo(f"\nbasecrm-like {command}: stopping after {what} "
                   "(Ctrl-C again to abort at once)", err=True)
        request_stop()
        signal.signal(signal.SIGINT, signal.default_int_handler)

    in_main = threading.current_thread() is threading.main_thread()
    saved = [(signum, signal.signal(signum, stop))
             for signum in (signal.SIGINT, signal.SIGTERM)] if in_main else []
    try:
        yield signalled
    finally:
        for signum, previous in saved:
            signal.signal(signum, previous)
