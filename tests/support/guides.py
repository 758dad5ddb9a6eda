"""Running a guide as written: its Python blocks in one namespace, its shell sessions through
the command line against the mock server the Python blocks started.

A ``# ...`` comment right after a ``print(...)`` line is the output that line must print.
A console block's ``$ basecrm-like ...`` lines run through the CLI, each followed by the output
it must print. Durations ("in 0.3 s") are not compared.
"""
from __future__ import annotations

import contextlib
import io
import re
import shlex
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from basecrm_like.cli import cli

_DURATION = re.compile(r"in \d+\.\d s")


def blocks(text: str) -> list[tuple[str, list[str]]]:
    """(language, dedented lines) of every ``.. code-block::`` in order."""
    out: list[tuple[str, list[str]]] = []
    lines = text.splitlines()
    for i, line in enumerate(lines):
        match = re.match(r"\.\. code-block:: (\w+)", line)
        if not match:
            continue
        body: list[str] = []
        for follow in lines[i + 1:]:
            if follow and not follow.startswith("    "):
                break
            body.append(follow[4:])
        while body and not body[0].strip():
            body.pop(0)
        while body and not body[-1].strip():
            body.pop()
        out.append((match.group(1), body))
    return out


def expected_prints(body: list[str]) -> list[str]:
    expected: list[str] = []
    after_print = False
    for line in body:
        stripped = line.strip()
        if after_print and stripped.startswith("# "):
            expected.append(stripped[2:])
            continue
        after_print = "print(" in line
    return expected


def normal(lines: list[str]) -> list[str]:
    return [_DURATION.sub("in _ s", line.rstrip()) for line in lines if line.strip()]


def run_console(server: Any, body: list[str]) -> int:
    """Run a console block's commands against ``server``; how many ran."""
    env = {"BASECRM_ACCESS_TOKEN": server.token, "BASECRM_BASE_URL": server.url}
    commands: list[tuple[str, list[str]]] = []
    for line in body:
        if line.startswith("$ "):
            commands.append((line[2:], []))
        else:
            commands[-1][1].append(line)
    for command, expected in commands:
        words = shlex.split(command)
        assert words[0] == "basecrm-like", command
        args = [*words[1:], "--no-progress"] if words[1] == "import" else words[1:]
        result = CliRunner(env=env).invoke(cli, args)
        assert normal(result.output.splitlines()) == normal(expected), command
    return len(commands)


def run_guide(doc: Path) -> dict[str, int]:
    """Run every block of ``doc`` in order; how many Python and console blocks ran.

    The guide's own ``server`` is stopped at the end, even when a block fails.
    """
    namespace: dict[str, Any] = {}
    ran = {"python": 0, "console": 0}
    try:
        for language, body in blocks(doc.read_text(encoding="utf-8")):
            if language == "python":
                out = io.StringIO()
                with contextlib.redirect_stdout(out):
                    exec(compile("\n".join(body), str(doc), "exec"), namespace)
                assert normal(out.getvalue().splitlines()) == normal(expected_prints(body))
                ran["python"] += 1
            elif language == "console":
                ran["console"] += run_console(namespace["server"], body)
    finally:
        server = namespace.get("server")
        if server is not None:
            server.stop()
    return ran
