"""The Python examples of the core pages run as written, against the mock server."""
from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"
PAGES = ["quickstart.rst", "errors.rst", "guides/mock.rst"]


def python_blocks(page: Path) -> list[str]:
    text = page.read_text(encoding="utf-8")
    pattern = r"^\.\. code-block:: python\n\n((?:    .*\n|\n)+)"
    return [textwrap.dedent(m.group(1)) for m in re.finditer(pattern, text, re.M)]


@pytest.mark.parametrize("page", PAGES)
def test_page_examples_run(page: str, capsys: pytest.CaptureFixture[str]) -> None:
    blocks = python_blocks(DOCS / page)
    assert blocks, f"{page} has no Python example"
    for number, block in enumerate(blocks, 1):
        namespace: dict[str, object] = {"__name__": f"doc_{number}"}
        exec(compile(block, f"{page} example {number}", "exec"), namespace)
    printed = capsys.readouterr().out
    if page == "errors.rst":
        assert printed.startswith("404 not_found ")
    if page == "guides/mock.rst":
        assert "contacts" in printed
