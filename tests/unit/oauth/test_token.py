"""Tokens: expiry, JSON round trips, and reprs that hide the values."""
from __future__ import annotations

import json
import time

import pytest

from basecrm_like.oauth import (
    Token,
)


# -- tokens ------------------------------------------------------------------------------
def test_token_repr_hides_values_and_round_trips() -> None:
    token = Token("secret-access", "secret-refresh", expires_at=time.time() + 100, scope="read",
                  expires_in=100)
    for text in (repr(token), str(token), f"{token}", repr([token])):
        assert "secret-access" not in text and "secret-refresh" not in text
    assert Token.from_dict(json.loads(json.dumps(token.to_dict()))) == token
    assert not token.expired() and token.expired(leeway=200)
    when = token.expires_at_datetime
    assert when is not None and when.tzinfo is not None
    assert not Token("a").expired(10**9)
    with pytest.raises(ValueError):
        Token.from_dict({"refresh_token": "x"})

