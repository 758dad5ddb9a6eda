"""The examples of docs/guides/requests.rst run as written, against the mock server."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.test_models_docs import python_blocks

pytest.importorskip("waitress")
pytest.importorskip("opentelemetry.sdk")
pytest.importorskip("pyrate_limiter")

GUIDE = Path(__file__).resolve().parents[3] / "docs" / "guides" / "requests.rst"


def test_guide_runs_as_one_session(capsys: pytest.CaptureFixture[str]) -> None:
    blocks = python_blocks(GUIDE.read_text())
    assert len(blocks) >= 8
    namespace: dict[str, object] = {"__name__": "requests_guide"}
    try:
        exec(compile("\n".join(blocks), str(GUIDE), "exec"), namespace)  # noqa: S102
    finally:
        if namespace.get("server") is not None:
            namespace["server"].stop()  # type: ignore[attr-defined]
    printed = capsys.readouterr().out.splitlines()
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
