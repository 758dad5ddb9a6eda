"""Registered OAuth apps and their command-line spelling."""
from __future__ import annotations

import pytest

from basecrm_like.mock.backend.oauth import OAuthServer
from basecrm_like.mock.backend.oauth_clients import DEV_OAUTH_CLIENT, parse_oauth_client
from basecrm_like.mock.backend.tokens import Tokens

REDIRECT = "http://127.0.0.1:5000/callback"


def test_client_specs() -> None:
    assert tuple(DEV_OAUTH_CLIENT) == (DEV_OAUTH_CLIENT.client_id, DEV_OAUTH_CLIENT.client_secret)
    assert DEV_OAUTH_CLIENT.client_secret not in repr(DEV_OAUTH_CLIENT)
    spec = parse_oauth_client("id:se:cret")  # colons in a secret
    assert spec.client_secret == "se:cret" and spec.redirect_uris == ()
    with pytest.raises(ValueError):
        parse_oauth_client("just-an-id")
    assert parse_oauth_client(f"a:b:{REDIRECT}").redirect_uris == (REDIRECT,)
    with pytest.raises(ValueError):
        OAuthServer(Tokens(), token_ttl=0)


def test_a_redirect_uri_must_be_absolute_http_without_fragment() -> None:
    for bad in ("a:b:http://", "a:b:https://host/cb#frag"):
        with pytest.raises(ValueError, match="redirect URI"):
            parse_oauth_client(bad)
    assert parse_oauth_client(("a", "b")).client_secret == "b"
