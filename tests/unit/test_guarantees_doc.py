"""Every test the Guarantees page names exists, so no promise points at nothing."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "guarantees.rst"


def test_every_named_test_exists() -> None:
    text = PAGE.read_text(encoding="utf-8")
    named = re.findall(r"``((?:unit|integration)/[\w/]+\.py)(?:::(\w+\*?))?``", text)
    assert len(named) > 20
    for path, test in named:
        source = (ROOT / "tests" / path).read_text(encoding="utf-8")
        if test:
            pattern = rf"^def {re.escape(test.rstrip('*'))}" + ("" if test.endswith("*") else r"\(")
            assert re.search(pattern, source, re.M), f"{path}::{test} is not a test"
    # the prefixes listed after a file, e.g. (``test_numbers_*``, ...)
    for group in re.findall(r"``((?:unit|integration)/[\w/]+\.py)`` \(([^)]*)\)", text):
        source = (ROOT / "tests" / group[0]).read_text(encoding="utf-8")
        for prefix in re.findall(r"``(test_\w+\*?)``", group[1]):
            assert re.search(rf"^def {re.escape(prefix.rstrip('*'))}", source, re.M), \
                f"{group[0]}::{prefix} is not a test"
