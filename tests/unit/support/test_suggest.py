from __future__ import annotations

from basecrm_like.support.suggest import did_you_mean, suggestion


def test_close_names_are_suggested() -> None:
    assert did_you_mean("frist_name", ("first_name", "last_name")) == "first_name"
    assert suggestion("acces_token", ["access_token"]) == "; did you mean 'access_token'?"


def test_far_names_are_not() -> None:
    assert did_you_mean("zzz", ("first_name",)) is None
    assert suggestion("zzz", iter(["first_name"])) == ""
