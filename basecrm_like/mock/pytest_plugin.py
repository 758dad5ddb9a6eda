"""pytest fixtures for testing code against the mock server.

Registered through the ``pytest11`` entry point, so installing basecrm_like
makes them available everywhere:

- ``basecrm_mock``: a running :class:`~basecrm_like.mock.MockServer`, shared by
  the whole test session and reset to the seed state before each test.
- ``basecrm_client``: a :class:`basecrm_like.Client` bound to it.

``basecrm_mock.stub(method, path_pattern, status=..., times=N)`` scripts the
next answers of a test; ``basecrm_mock.calls()``, ``assert_called(...)`` and
``assert_not_called(...)`` verify what the code under test sent (see
:mod:`.wire.controls`).

The session's server takes the mock's options from ini settings named
``basecrm_mock_<option>`` (``basecrm_mock_seed = 100``, ``basecrm_mock_rate_limit = 5``,
one ``basecrm_mock_tokens`` per line...), the same options as ``basecrm-like mock``;
it listens on a free port unless ``basecrm_mock_port`` says otherwise.

The plugin loads even where the ``mock`` extra (Werkzeug, waitress) is missing;
the fixtures then skip the test and say what to install.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Literal

import pytest

from .options import MOCK_OPTIONS

if TYPE_CHECKING:
    from .wire.server import MockServer

MISSING_EXTRA = ("the basecrm_mock fixture needs the mock extra (Werkzeug and waitress): "
                 "pip install 'basecrm_like[mock]'")
INI_PREFIX = "basecrm_mock_"


def pytest_addoption(parser: pytest.Parser) -> None:
    for option in MOCK_OPTIONS:
        kind: Literal["bool", "linelist", "string"] = (
            "bool" if option.type is bool else "linelist" if option.multiple else "string")
        parser.addini(INI_PREFIX + option.name, f"basecrm_mock server: {option.help}",
                      type=kind, default=None)


def configured_options(config: pytest.Config) -> dict[str, Any]:
    """The options set in the ini file, converted to their types (unset ones left out)."""
    values: dict[str, Any] = {}
    for option in MOCK_OPTIONS:
        raw = config.getini(INI_PREFIX + option.name)
        if raw is None or raw == []:
            continue
        if option.multiple:
            values[option.name] = tuple(raw)
        elif option.type is bool:
            values[option.name] = bool(raw)
        else:
            try:
                values[option.name] = option.type(raw)
            except ValueError:
                raise pytest.UsageError(f"{INI_PREFIX}{option.name} = {raw!r}: expected "
                                        f"{option.type.__name__}") from None
    return values


@pytest.fixture(scope="session")
def basecrm_mock_server(pytestconfig: pytest.Config) -> Iterator[MockServer]:
    """The session's server. Prefer ``basecrm_mock``, which also resets it."""
    try:
        from .wire.server import serve
    except ImportError as exc:
        pytest.skip(f"{MISSING_EXTRA} ({exc})")
    with serve(**configured_options(pytestconfig)) as server:
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
