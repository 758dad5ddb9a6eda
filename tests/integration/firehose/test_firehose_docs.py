"""docs/guides/firehose.rst runs as written, in one session, and prints what it says."""
from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

GUIDE = Path(__file__).resolve().parents[3] / "docs" / "guides" / "firehose.rst"


def python_blocks() -> list[str]:
    pattern = r"^\.\. code-block:: python\n\n((?:    .*\n|\n)+)"
    return [textwrap.dedent(m.group(1))
            for m in re.finditer(pattern, GUIDE.read_text(encoding="utf-8"), re.M)]


def test_the_guide_examples_run(capsys: pytest.CaptureFixture[str]) -> None:
    blocks = python_blocks()
    assert len(blocks) == 4
    namespace: dict[str, object] = {"__name__": "firehose_guide"}
    try:
        for number, block in enumerate(blocks, 1):
            exec(compile(block, f"firehose.rst example {number}", "exec"), namespace)
    finally:
        server = namespace.get("server")
        if server is not None:
            server.stop()  # type: ignore[attr-defined]
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 6, lines
    assert re.fullmatch(r"deal \d+ moved from stage \d+ to stage \d+", lines[0])
    assert lines[1] == f"[('updated', {namespace['deal'].id})]"  # type: ignore[attr-defined]
    assert lines[2:4] == ["True True", "''"]
    assert lines[4] == "True"
    assert lines[5] == "0 Lovelace None"
