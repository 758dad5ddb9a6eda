"""Fixtures for the wire layer: an app on an in-memory store, driven through
Werkzeug's test client (no sockets), with a clock the test moves."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

pytest.importorskip("werkzeug")

from werkzeug.test import Client as WsgiClient  # noqa: E402

from basecrm_like.mock.backend.tokens import DEV_TOKEN  # noqa: E402
from basecrm_like.mock.wire.app import MockApp  # noqa: E402

from ..conftest import Clock  # noqa: E402

#: what every API request needs to get past the header and token checks
API_HEADERS = {"Authorization": f"Bearer {DEV_TOKEN}", "User-Agent": "wire-tests/1.0"}
#: OAuth access tokens live a minute here, so tests can step past their expiry
TOKEN_TTL = 60


@pytest.fixture
def app(clock: Clock) -> Iterator[MockApp]:
    app = MockApp(token_ttl=TOKEN_TTL, clock=clock)
    yield app
    app.close()


@pytest.fixture
def http(app: MockApp) -> WsgiClient:
    return WsgiClient(app)
