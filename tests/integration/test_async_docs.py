"""docs/guides/async.rst runs as written (see :mod:`tests.support.guides`)."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.guides import run_guide

DOC = Path(__file__).resolve().parents[2] / "docs" / "guides" / "async.rst"


def test_the_async_guide_runs_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    ran = run_guide(DOC)
    assert ran["python"] >= 6
