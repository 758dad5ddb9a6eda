"""The mock's OAuth options on the command line, and the OAuth guide's examples, run as written."""
from __future__ import annotations

import contextlib
import io
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import requests

mock = pytest.importorskip("basecrm_like.mock")

from basecrm_like.mock.process import mock_command, running  # noqa: E402
from basecrm_like.oauth import OAuth2, OAuthError  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "guides" / "oauth.rst"


def test_cli_registers_clients_and_token_lifetime() -> None:
    command = mock_command("--oauth-client", "app:s3:cret", "--oauth-client", "other:pw",
                           "--token-ttl", "5")
    with running(command) as server:
        url = server.url
        token = OAuth2("app", "s3:cret", base_url=url).password("admin@mock.example",
                                                                 "basecrm-like-dev-password")
        assert token.expires_in == 5
        with pytest.raises(OAuthError) as info:  # another app's refresh token
            OAuth2("other", "pw", base_url=url).refresh(token.refresh_token or "x")
        assert info.value.error == "invalid_grant"
        assert OAuth2("app", "s3:cret", base_url=url).refresh(token.refresh_token or "x")
        dev_id, dev_secret = mock.DEV_OAUTH_CLIENT
        with pytest.raises(OAuthError) as info:  # registered clients replace the dev client
            OAuth2(dev_id, dev_secret, base_url=url).password("admin@mock.example", "x")
        assert info.value.error == "invalid_client"
        status = requests.get(f"{url}/_mock/oauth", timeout=10).json()
        assert status["clients"] == ["app", "other"] and status["token_ttl"] == 5


def test_cli_rejects_a_bad_client_spec() -> None:
    proc = subprocess.run([sys.executable, "-m", "basecrm_like.mock", "--port", "0",
                           "--oauth-client", "no-secret"], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 2 and "--oauth-client" in proc.stderr


def python_blocks(rst: str) -> list[str]:
    blocks = []
    for match in re.finditer(r"^\.\. code-block:: python\n\n((?:    .*\n|\n)+)", rst, re.M):
        blocks.append(textwrap.dedent(match.group(1)))
    return blocks


def test_the_guide_examples_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    blocks = python_blocks(GUIDE.read_text())
    assert len(blocks) >= 4
    namespace: dict[str, object] = {"__name__": "guide"}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        for block in blocks:
            exec(compile(block, str(GUIDE), "exec"), namespace)
    printed = out.getvalue()
    assert "Alex Admin" in printed and "invalid_grant" in printed
    assert "access_token=<redacted>" in printed
    assert (tmp_path / "tokens.json").exists()
