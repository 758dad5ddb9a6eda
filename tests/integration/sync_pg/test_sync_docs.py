"""docs/guides/sync.rst runs as written, in order, with its PostgreSQL section against a real server."""
from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

GUIDE = Path(__file__).resolve().parents[3] / "docs" / "guides" / "sync.rst"


def python_blocks() -> list[str]:
    text = GUIDE.read_text(encoding="utf-8")
    pattern = r"^\.\. code-block:: python\n\n((?:    .*\n|\n)+)"
    return [textwrap.dedent(m.group(1)) for m in re.finditer(pattern, text, re.M)]


def test_the_sync_guide_runs(postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CRM_DATABASE_URL", postgres_url)
    blocks = python_blocks()
    assert len(blocks) >= 7
    namespace: dict[str, object] = {"__name__": "sync_guide"}
    for number, block in enumerate(blocks, 1):
        exec(compile(block, f"sync.rst example {number}", "exec"), namespace)
    printed = capsys.readouterr().out.splitlines()
    # the printed values are the ones the guide shows in its comments
    assert "PostgresMirror 1" in printed
    assert "[('Incoming', 1, Decimal('99.90'))]" in printed
    assert printed[-2:] == ["[True]", "position-42"]
    assert "[('Lovelace', 'Chemex', '99.90')]" in printed
