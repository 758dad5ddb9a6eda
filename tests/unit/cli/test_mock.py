"""``basecrm-like mock``'s flags are the mock's declared options, checked by the mock."""
from __future__ import annotations

import pytest

from basecrm_like.cli.mock import mock_command
from basecrm_like.mock.options import MOCK_OPTIONS


def test_every_declared_option_is_a_flag_of_the_command() -> None:
    flags = [tuple(param.opts) for param in mock_command.params]
    assert flags == [option.flags for option in MOCK_OPTIONS]
    names = {param.name: param for param in mock_command.params}
    assert names["tokens"].multiple and names["access_log"].is_flag


@pytest.mark.parametrize("args,message", [
    (["--faults", "boom=1"], "--faults: unknown fault kind"),
    (["--port", "70000"], "--port: 70000 is out of range"),
    (["--oauth-client", "no-secret"], "--oauth-client"),
    (["--threads", "many"], "'many' is not a valid integer"),
])
def test_bad_values_exit_2_naming_the_flag(invoke, args, message) -> None:
    code, out, err = invoke("mock", *args)
    assert code == 2 and message in err and out == ""
