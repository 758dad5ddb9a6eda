"""The ``basecrm-like`` command: mock server, imports, exports and sync.

The only part of the package that talks to a terminal (click, tqdm); the
library underneath logs and returns values. One module per command; what the
commands share (exit statuses, the client, messages, signals) is in
:mod:`.shared`, progress reporting in :mod:`.progress`.
"""
from __future__ import annotations

import sys
from typing import Any

try:
    import click
except ImportError:  # pragma: no cover - exercised only without the cli extra
    sys.stderr.write("the basecrm-like command needs the cli extra: pip install 'basecrm_like[cli]'\n")
    raise SystemExit(2) from None

from ..version import VERSION
from .api import api_command
from .conventions import quiet_closed_pipe
from .export import export_command
from .firehose import firehose_command
from .import_ import import_command
from .mock import mock_command
from .sync import sync_command
from .whoami import whoami_command

__all__ = ["cli", "main"]


class CommandGroup(click.Group):
    """The commands, ending quietly with status 0 when stdout's reader goes away
    (``| head``), where click would print "Broken pipe" and exit 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            raise SystemExit(quiet_closed_pipe()) from None


@click.group(cls=CommandGroup, commands=[export_command, import_command, mock_command, sync_command,
                       whoami_command, api_command, firehose_command],
             context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(VERSION, prog_name="basecrm-like")
def cli() -> None:
    """Work with a Base CRM (Zendesk Sell) account, or run a local mock of its API."""


def main(argv: list[str] | None = None) -> Any:
    """Console entry point."""
    return cli.main(args=argv, prog_name="basecrm-like")
