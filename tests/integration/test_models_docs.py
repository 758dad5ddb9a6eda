"""The examples of docs/guides/models.rst run as written, against the mock server."""
from __future__ import annotations

import contextlib
import io
import re
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("waitress")

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "guides" / "models.rst"


def python_blocks(rst: str) -> list[str]:
    """Every ``.. code-block:: python`` body, top-level or inside a table cell, in order."""
    lines = rst.splitlines()
    blocks = []
    for i, line in enumerate(lines):
        match = re.match(r"^(\s*)(?:[*-] +)*\.\. code-block:: python\s*$", line)
        if not match:
            continue
        directive_indent = len(line) - len(line.lstrip(" *-"))
        body = []
        for following in lines[i + 1:]:
            if following.strip() and len(following) - len(following.lstrip()) <= directive_indent:
                break
            body.append(following)
        blocks.append(textwrap.dedent("\n".join(body)).strip() + "\n")
    return blocks


def test_guide_examples_run() -> None:
    blocks = python_blocks(GUIDE.read_text())
    assert len(blocks) >= 7
    namespace: dict[str, object] = {"__name__": "guide"}
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            for block in blocks:
                exec(compile(block, str(GUIDE), "exec"), namespace)  # noqa: S102
    finally:
        server = namespace.get("server")
        if server is not None:
            server.stop()  # type: ignore[attr-defined]
    printed = out.getvalue()
    for expected in ("<Deal id=1 lazy>", "<Deal id=1 loaded> True", "404", "('hot',)",
                     "120.00 True False", "<Deal new dirty=name,contact_id>", "True False",
                     "did you mean 'name'?", "deal.organization_id is read-only",
                     "Incoming Alex Admin Coffee Shop", "['Lovelace']",
                     "['Chemex 8 cups']"):
        assert expected in printed, expected
    assert printed.rstrip().endswith("1")  # one cache miss for the stage of every deal
