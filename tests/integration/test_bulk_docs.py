"""docs/guides/bulk.rst runs as written: its Python blocks and its shell sessions
(see :mod:`tests.support.guides`)."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.guides import run_guide

DOC = Path(__file__).resolve().parents[2] / "docs" / "guides" / "bulk.rst"


def test_the_bulk_guide_runs_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    ran = run_guide(DOC)
    assert ran["python"] >= 4 and ran["console"] >= 5
