"""docs/guides/search.rst runs as written: Python blocks print what their comments say,
and each ``$ basecrm-like`` line prints what follows it, against the same mock server."""
from __future__ import annotations

import contextlib
import csv
import io
import shlex
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from basecrm_like.cli import cli

from ..test_bulk_docs import blocks, expected_prints, normal

DOC = Path(__file__).resolve().parents[3] / "docs" / "guides" / "search.rst"


def run_console(server: Any, body: list[str]) -> int:
    env = {"BASECRM_ACCESS_TOKEN": server.token, "BASECRM_BASE_URL": server.url}
    commands: list[tuple[str, list[str]]] = []
    for line in body:
        if line.startswith("$ "):
            commands.append((line[2:], []))
        else:
            commands[-1][1].append(line)
    for command, expected in commands:
        result = CliRunner(env=env).invoke(cli, shlex.split(command)[1:])
        assert result.output.splitlines() == expected, command
    return len(commands)


def test_the_search_guide_runs_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, Any] = {}
    ran = {"python": 0, "console": 0}
    try:
        for language, body in blocks(DOC.read_text(encoding="utf-8")):
            if language == "python":
                out = io.StringIO()
                with contextlib.redirect_stdout(out):
                    exec(compile("\n".join(body), str(DOC), "exec"), namespace)
                assert normal(out.getvalue().splitlines()) == normal(expected_prints(body))
                ran["python"] += 1
            elif language == "console":
                ran["console"] += run_console(namespace["server"], body)
    finally:
        if "server" in namespace:
            namespace["server"].stop()
    assert ran == {"python": 8, "console": 2}
    exported = list(csv.DictReader((tmp_path / "big.csv").open(encoding="utf-8")))
    assert [(row["name"], row["value"]) for row in exported] == [
        ("Espresso bar", "12500.00"), ("Office coffee", "4300.25")]
