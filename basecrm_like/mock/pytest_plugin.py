"""pytest fixtures for testing code against the mock server.

Registered through the ``pytest11`` entry point, so installing basecrm_like
makes them available everywhere:

- ``basecrm_mock``: a running :class:`~basecrm_like.mock.MockServer`, shared by
  the whole test session and reset to the seed state before each test.
- ``basecrm_client``: a :class:`basecrm_like.Client` bound to it.

The plugin itself imports nothing beyond pytest, so it loads even where the
``mock`` extra (Werkzeug, waitress) is missing; the fixtures then skip the test
and say what to install.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from basecrm_like.mock.server import MockServer

MISSING_EXTRA = ("the basecrm_mock fixture needs the mock extra (Werkzeug and waitress): "
                 "pip install 'basecrm_like[mock]'")


@pytest.fixture(scope="session")
def basecrm_mock_server() -> Iterator[MockServer]:
    """The session's server. Prefer ``basecrm_mock``, which also resets it."""
    try:
        from basecrm_like.mock.server import serve
    except ImportError as exc:
        pytest.skip(f"{MISSING_EXTRA} ({exc})")
    with serve() as server:
        yield server


@pytest.fixture
def basecrm_mock(basecrm_mock_server: MockServer) -> MockServer:
    """A running mock server in its seed state (ids and records as after startup)."""
    basecrm_mock_server.app.reset()
    return basecrm_mock_server


@pytest.fixture
def basecrm_client(basecrm_mock: MockServer) -> Any:
    """A ``basecrm_like.Client`` talking to ``basecrm_mock`` (no retries, short timeout)."""
    import basecrm_like

    return basecrm_like.Client(access_token=basecrm_mock.token, base_url=basecrm_mock.url,
                               max_retries=0, timeout=10)
