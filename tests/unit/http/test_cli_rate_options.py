"""--rate and --rate-store reach the client of every command that sends requests."""
from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from basecrm_like.cli import cli
from basecrm_like.cli.shared import account_options, make_client, rate_option
from basecrm_like.http.shared_ratelimit import SharedRateLimiter

pytest.importorskip("pyrate_limiter")


@pytest.mark.parametrize("command", ["sync", "import", "export"])
def test_every_sending_command_takes_a_rate_store(command: str) -> None:
    result = CliRunner().invoke(cli, [command, "--help"])
    assert result.exit_code == 0 and "--rate-store URL" in result.output and "--rate" in result.output


def test_the_options_build_the_client(tmp_path: Path) -> None:
    built: list[Any] = []

    @click.command()
    @account_options
    @rate_option
    def probe(token: str | None, base_url: str | None) -> None:
        built.append(make_client(token, base_url))

    store = f"sqlite:///{tmp_path}/budget.db"
    result = CliRunner().invoke(probe, ["--token", "t" * 64, "--rate", "4", "--rate-store", store])
    assert result.exit_code == 0, result.output
    limiter = built[0].http_client.limiter
    assert isinstance(limiter, SharedRateLimiter) and limiter.rate == 4 and limiter.store == store
    CliRunner().invoke(probe, ["--token", "t" * 64])
    assert built[1].http_client.limiter is None


def test_export_draws_from_the_shared_store(tmp_path: Path) -> None:
    pytest.importorskip("waitress")
    from basecrm_like.mock import serve

    db = tmp_path / "budget.db"
    with serve() as server:
        result = CliRunner().invoke(cli, [
            "export", "contacts", "--token", server.token, "--base-url", server.url,
            "--rate", "50", "--rate-store", f"sqlite:///{db}", "-o", str(tmp_path / "out.csv")])
    assert result.exit_code == 0, result.output
    with sqlite3.connect(db) as conn:
        tables = [row[0] for row in conn.execute("select name from sqlite_master where type='table'")]
        assert tables and conn.execute(f"select count(*) from {tables[0]}").fetchone()[0] >= 1
