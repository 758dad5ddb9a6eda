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
