"""``python -m basecrm_like.mock``: flags built from the declared options."""
from __future__ import annotations

import pytest

from basecrm_like.mock.__main__ import main, parser
from basecrm_like.mock.options import MOCK_OPTIONS


def test_every_option_has_its_flag() -> None:
    known = {flag for action in parser()._actions for flag in action.option_strings}
    assert {option.flags[0] for option in MOCK_OPTIONS} <= known


def test_repeatable_flags_collect_and_unset_ones_stay_unset() -> None:
    args = vars(parser().parse_args(["--token", "a", "--token", "b", "--verbose"]))
    assert args["tokens"] == ["a", "b"] and args["access_log"] is True and args["seed"] is None


def test_a_bad_value_exits_2_naming_the_flag(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--faults", "boom=1"])
    assert info.value.code == 2
    assert "--faults: unknown fault kind" in capsys.readouterr().err
