"""serve() and create_app(): keywords are the declared options."""
from __future__ import annotations

import pytest
import requests

from basecrm_like.mock.wire.app import MockApp
from basecrm_like.mock.wire.server import create_app, serve

from .conftest import API_HEADERS


def test_serve_takes_the_declared_options_and_a_free_port() -> None:
    with serve(seed=2, threads=2, tokens=["x" * 10]) as server:
        assert server.port not in (0, 8765) and server.token == "x" * 10
        resp = requests.get(server.url + "/v2/contacts", timeout=10,
                            headers={**API_HEADERS, "Authorization": "Bearer " + "x" * 10})
        assert resp.json()["meta"]["count"] == 2


def test_serve_refuses_unknown_and_bad_options() -> None:
    with pytest.raises(TypeError, match="'sede'"):
        serve(sede=2)
    with pytest.raises(ValueError, match="--threads"):
        serve(threads=0)


def test_create_app_is_the_app_alone() -> None:
    app = create_app(seed=1)
    assert isinstance(app, MockApp) and app.seed_count == 1
    app.close()
