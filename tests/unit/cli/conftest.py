"""Fixtures of the command tests: a click runner, a fake API, input files and records."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import responses
from click.testing import CliRunner

from basecrm_like.cli import cli


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def invoke(runner: CliRunner) -> Callable[..., tuple[int, str, str]]:
    """Run ``basecrm-like ARGS``: exit status, stdout, stderr; any crash fails the test."""
    def run(*args: str) -> tuple[int, str, str]:
        result = runner.invoke(cli, list(args))
        assert result.exception is None or isinstance(result.exception, SystemExit), \
            result.exception
        return result.exit_code, result.stdout, result.stderr
    return run


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    """The API, faked: add the answers a test expects."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, str | bytes], str]:
    """Write text (UTF-8) or bytes to a file of ``tmp_path``; its path."""
    def write_file(name: str, content: str | bytes) -> str:
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return str(path)
    return write_file


@pytest.fixture
def contact() -> Callable[..., dict[str, Any]]:
    """The API's answer holding one contact."""
    def envelope(id: int, **attributes: object) -> dict[str, Any]:
        return {"data": {"id": id, "created_at": "2024-01-01T00:00:00Z",
                         "updated_at": "2024-01-01T00:00:00Z", **attributes},
                "meta": {"type": "contact"}}
    return envelope
