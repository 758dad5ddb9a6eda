"""examples/oauth_flask_app.py driven with Flask's test client against a live mock server."""
from __future__ import annotations

import importlib.util
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

pytest.importorskip("flask")
mock = pytest.importorskip("basecrm_like.mock")

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "oauth_flask_app.py"


@pytest.fixture(scope="module")
def example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("oauth_flask_app", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def server() -> Iterator[Any]:
    with mock.serve() as srv:
        yield srv


def test_the_dev_client_in_the_example_is_the_mocks(example: ModuleType) -> None:
    assert (example.DEV_CLIENT_ID, example.DEV_CLIENT_SECRET) == tuple(mock.DEV_OAUTH_CLIENT)


def test_login_callback_and_profile(example: ModuleType, server: Any, tmp_path: Path) -> None:
    token_file = tmp_path / "tokens.json"
    app = example.create_app(base_url=server.url, token_file=str(token_file))
    web = app.test_client()

    home = web.get("/")
    assert b"Connect your Sell account" in home.data

    login = web.get("/login")
    assert login.status_code == 302
    authorize = login.headers["Location"]
    assert authorize.startswith(f"{server.url}/oauth2/authorize?")

    # the browser's trip to the authorization server, which approves at once
    approved = requests.get(authorize, allow_redirects=False, timeout=10)
    assert approved.status_code == 302
    back = urlsplit(approved.headers["Location"])
    assert back.path == "/callback"

    callback = web.get(f"{back.path}?{back.query}")
    assert callback.status_code == 302 and callback.headers["Location"].endswith("/me")
    assert stat.S_IMODE(os.stat(token_file).st_mode) == 0o600

    profile = web.get("/me")
    assert profile.status_code == 200
    assert b"Alex Admin" in profile.data and b"admin@mock.example" in profile.data
    assert b"Connected as Sell user 1" in web.get("/").data

    # the same callback again: the state was used up, so it is refused, not replayed
    replay = web.get(f"{back.path}?{back.query}")
    assert replay.status_code == 400 and b"state_mismatch" in replay.data

    web.get("/logout")
    assert b"Connect your Sell account" in web.get("/").data
    assert example.FileTokenStore(token_file).load("1") is None


def test_a_forged_or_denied_callback_is_refused(example: ModuleType, server: Any,
                                                 tmp_path: Path) -> None:
    app = example.create_app(base_url=server.url, token_file=str(tmp_path / "tokens.json"))
    web = app.test_client()
    web.get("/login")
    forged = web.get("/callback?code=stolen&state=not-the-one")
    assert forged.status_code == 400 and b"state_mismatch" in forged.data
    denied = web.get("/callback?error=access_denied&state=x")
    assert denied.status_code == 400 and b"access_denied" in denied.data
    assert not (tmp_path / "tokens.json").exists()
