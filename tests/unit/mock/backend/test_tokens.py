"""Accepted bearer tokens, their users and expiry."""
from __future__ import annotations

import pytest

from basecrm_like.mock.backend.errors import ApiError
from basecrm_like.mock.backend.tokens import DEV_TOKEN, Tokens

from ..conftest import Clock


def test_the_development_token_is_the_default() -> None:
    tokens = Tokens()
    assert tokens.default == DEV_TOKEN
    assert tokens.authenticate(f"Bearer {DEV_TOKEN}").user_id == 1


@pytest.mark.parametrize(("header", "hint"), [
    (None, "No Authorization header"), ("Basic abc", "must be 'Bearer"),
    ("Bearer unknown", "not known"),
])
def test_refusals_say_why(header: str | None, hint: str) -> None:
    with pytest.raises(ApiError) as info:
        Tokens(["a"]).authenticate(header)
    assert info.value.status == 401 and hint in info.value.items[0].details


def test_tokens_expire_by_the_clock(clock: Clock) -> None:
    tokens = Tokens(["a"], clock=clock)
    tokens.add("short", user_id=2, expires_at=clock.now + 10)
    assert tokens.authenticate("Bearer short").user_id == 2
    clock.now += 10
    with pytest.raises(ApiError, match="401"):
        tokens.authenticate("Bearer short")
    tokens.remove("a")
    with pytest.raises(ApiError):
        tokens.authenticate("Bearer a")
    with pytest.raises(ValueError):
        tokens.add("has space")
