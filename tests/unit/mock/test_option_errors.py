"""Bad arguments to ``serve()`` are the package's typed configuration errors, naming what to fix."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import basecrm_like
from basecrm_like.mock import MockConfigurationError, UnknownMockOptionError, serve
from basecrm_like.mock.backend.dbcheck import DatabaseProblem
from basecrm_like.mock.options import MockDatabaseError, resolve


@pytest.mark.parametrize("options, option, message", [
    ({"port": 70000}, "port", "--port: 70000 is out of range: it must be at least 0 and at most"),
    ({"port": "x"}, "port", "--port: 'x' is not a number"),
    ({"tokens": 5}, "tokens", "--token: expected one value or a list of values, got 5 (int)"),
    ({"tokens": ["a b"]}, "tokens", "--token: 'a b' is not a token"),
    ({"host": 5}, "host", "--host: expected text, got 5 (int)"),
    ({"fault_seed": "a"}, "fault_seed", "--fault-seed: expected a whole number, got 'a' (str)"),
    ({"access_log": "yes"}, "access_log", "--verbose: expected true or false, got 'yes'"),
    ({"token_ttl": "1"}, "token_ttl", "--token-ttl: '1' is not a number"),
    ({"faults": "bogus=1"}, "faults", "--faults: unknown fault kind 'bogus'"),
    ({"faults": 5}, "faults", "--faults: expected text, got 5 (int)"),
    ({"cassette": "x.json"}, None, "--cassette is the file that --record-from records into"),
    ({"routes": 5}, "routes", "routes: expected a list of"),
])
def test_bad_arguments_are_typed_and_name_the_option(options: dict[str, Any], option: str | None,
                                                     message: str) -> None:
    with pytest.raises(MockConfigurationError) as info:
        serve(**options)
    assert isinstance(info.value, basecrm_like.Error) and isinstance(info.value, ValueError)
    assert info.value.option == option
    assert str(info.value).startswith(message), str(info.value)


def test_an_unknown_keyword_suggests_the_option_meant() -> None:
    with pytest.raises(UnknownMockOptionError) as info:
        serve(prot=8080)
    assert isinstance(info.value, TypeError) and isinstance(info.value, MockConfigurationError)
    assert info.value.option == "prot"
    assert "did you mean 'port'?" in str(info.value) and "(the options are host, port" in \
        str(info.value)
    with pytest.raises(UnknownMockOptionError, match="'sede' is no mock server option; did you "
                                                     "mean 'seed'"):
        resolve({"sede": 1})


def test_a_database_the_mock_cannot_serve(tmp_path: Path) -> None:
    with pytest.raises(MockDatabaseError) as info:
        serve(db=str(tmp_path / "missing" / "data.db"))
    assert isinstance(info.value, DatabaseProblem)   # what the command line catches
    assert info.value.option == "db" and "does not exist" in str(info.value)


def test_good_arguments_still_start_a_server() -> None:
    with serve(rate_limit=5, token_ttl=60, tokens=("t" * 64,), fault_seed=3) as server:
        assert server.token == "t" * 64
