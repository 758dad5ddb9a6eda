"""docs/guides/search.rst runs as written: Python blocks print what their comments say,
and each ``$ basecrm-like`` line prints what follows it, against the same mock server."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tests.support.guides import run_guide

DOC = Path(__file__).resolve().parents[3] / "docs" / "guides" / "search.rst"


def test_the_search_guide_runs_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert run_guide(DOC) == {"python": 9, "console": 2}
    exported = list(csv.DictReader((tmp_path / "big.csv").open(encoding="utf-8")))
    assert [(row["name"], row["value"]) for row in exported] == [
        ("Espresso bar", "12500.00"), ("Office coffee", "4300.25")]
