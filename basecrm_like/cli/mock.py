"""``basecrm-like mock``: a local, stateful Base API v2 server for tests and CI.

The flags come from the mock's own option list, so the command, ``serve()``
and the pytest plugin cannot drift apart; this module only turns that list
into click options and runs the server in the foreground.
"""
from __future__ import annotations

import logging
import shlex
import sys
import time
from collections.abc import Callable
from typing import Any

import click

from ..mock.backend.dbcheck import EXIT_BAD_DATABASE, DatabaseProblem
from ..mock.options import MOCK_OPTIONS, MockOption, resolve
from ..mock.process import READY_PREFIX

EXIT_INTERRUPTED = 130


class UnusableDatabase(click.ClickException):
    """A ``--db`` file the server cannot serve: one line, exit status 2."""

    exit_code = EXIT_BAD_DATABASE


def as_click_option(option: MockOption) -> Callable[[Any], Any]:
    """The click decorator of one mock option (its values still unchecked: see ``resolve``)."""
    if option.type is bool:
        return click.option(*option.flags, option.name, is_flag=True, default=option.default,
                            help=option.help)
    shown = option.default not in (None, (), 0) and not option.multiple
    return click.option(*option.flags, option.name, type=option.type, default=option.default,
                        multiple=option.multiple, metavar=option.metavar, help=option.help,
                        show_default=shown)


def with_mock_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Every option of MOCK_OPTIONS on ``command``, listed in the declared order."""
    for option in reversed(MOCK_OPTIONS):
        command = as_click_option(option)(command)
    return command


def ready_instructions(url: str, token: str) -> str:
    """What to paste in another shell so commands and scripts use this server."""
    return ("\nIn another shell, point basecrm-like and the Client at this server:\n"
            f"  export BASECRM_BASE_URL={shlex.quote(url)} "
            f"BASECRM_ACCESS_TOKEN={shlex.quote(token)}\n"
            "  basecrm-like whoami\n")


@click.command("mock")
@with_mock_options
def mock_command(**values: Any) -> None:
    """Run a local mock of the Base API v2 (for tests and CI).

    Prints "listening on http://HOST:PORT" on stdout once requests can be
    sent, and nothing else there; on stderr "token: T", the token to send,
    and on a terminal the export line that points the other commands (and
    the Client) at this server.
    Stops cleanly on Ctrl-C or SIGTERM.
    """
    try:
        _run(values)
    except KeyboardInterrupt:  # Ctrl-C before the signal handlers are in place
        click.echo("interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)


def _run(values: dict[str, Any]) -> None:
    try:
        settings = resolve(values)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    logging.basicConfig(level=logging.INFO if settings["access_log"] else logging.WARNING,
                        stream=sys.stderr, format="%(asctime)s %(name)s %(message)s")
    try:
        from ..mock import serve
    except ImportError as exc:
        raise click.ClickException(
            f"the mock server needs the mock extra: pip install 'basecrm_like[mock]' ({exc})"
        ) from None
    started = time.perf_counter()
    try:
        server = serve(**settings)
    except OSError as exc:
        raise click.ClickException(
            f"cannot listen on {settings['host']}:{settings['port']}: {exc.strerror or exc}"
        ) from None
    except DatabaseProblem as exc:
        raise UnusableDatabase(str(exc)) from None

    def announce() -> None:
        click.echo(f"{READY_PREFIX}{server.url}")
        sys.stdout.flush()
        # stdout stays the one ready line scripts read; people read stderr too
        click.echo(f"token: {server.token}", err=True)
        if sys.stderr.isatty():
            click.echo(ready_instructions(server.url, server.token), err=True)
        if settings["access_log"]:
            click.echo(f"started in {time.perf_counter() - started:.3f} s", err=True)

    server.run_until_signalled(announce)
