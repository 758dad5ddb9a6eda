"""The option list declared once, and everything built from it agreeing with it."""
from __future__ import annotations

import inspect

import pytest

from basecrm_like.mock.backend.faults import FaultSpec
from basecrm_like.mock.backend.oauth_clients import OAuthClient
from basecrm_like.mock.options import MOCK_OPTIONS, OPTION_NAMES, resolve


def test_resolve_fills_defaults_and_parses() -> None:
    values = resolve({"faults": "error=0.5", "oauth_clients": ("a:b",), "tokens": "t"})
    assert values["faults"] == FaultSpec(error=0.5)
    assert values["oauth_clients"] == (OAuthClient("a", "b"),) and values["tokens"] == ("t",)
    assert values["port"] == 8765 and values["seed"] == 0 and values["access_log"] is False
    assert resolve(values) == values  # parsing twice changes nothing


@pytest.mark.parametrize(("values", "flag"), [
    ({"port": 70000}, "--port"), ({"rate_limit": 0}, "--rate-limit"),
    ({"faults": "boom=1"}, "--faults"), ({"oauth_clients": ["id-only"]}, "--oauth-client"),
    ({"seed": -1}, "--seed"), ({"token_ttl": -5}, "--token-ttl"), ({"threads": 65}, "--threads"),
])
def test_errors_name_the_flag(values: dict[str, object], flag: str) -> None:
    with pytest.raises(ValueError, match=f"^{flag}: "):
        resolve(values)


def test_unknown_names_are_refused() -> None:
    with pytest.raises(ValueError, match="'colour'"):
        resolve({"colour": "red"})


def test_every_option_reaches_the_app_or_the_listener() -> None:
    pytest.importorskip("werkzeug")
    from basecrm_like.mock.wire.app import MockApp
    from basecrm_like.mock.wire.server import LISTENER_OPTIONS, MockServer

    app_params = inspect.signature(MockApp).parameters
    server_params = inspect.signature(MockServer).parameters
    for option in MOCK_OPTIONS:
        params = server_params if option.name in LISTENER_OPTIONS else app_params
        assert option.name in params, option.name
        if option.name != "port":  # serve() and MockServer pick a free port by default
            assert params[option.name].default == option.default, option.name
    assert len(OPTION_NAMES) == len(set(OPTION_NAMES))
    assert all(option.flags and option.flags[0].startswith("--") for option in MOCK_OPTIONS)
