"""The examples of docs/guides/requests.rst run as written, against the mock server."""
from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest

from tests.integration.test_models_docs import python_blocks

pytest.importorskip("waitress")
pytest.importorskip("opentelemetry.sdk")
pytest.importorskip("pyrate_limiter")

GUIDE = Path(__file__).resolve().parents[3] / "docs" / "guides" / "requests.rst"


def test_guide_examples_run() -> None:
    blocks = python_blocks(GUIDE.read_text())
    assert len(blocks) >= 8
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
    printed = out.getvalue().splitlines()
    assert printed == [
        "2 30",
        "200 Lovelace 1 True",
        "collection ['first_page', 'self']",
        "True b'{'",
        "[('GET', 200)]",
        "['POST', 'basecrm contacts.create']",
        "[502, 503, 504]",
        "2",
    ]
