"""The authorization server's state and rules, without HTTP."""
from __future__ import annotations

import pytest

from basecrm_like.mock.backend.oauth import DEV_PASSWORD, OAuthProblem, OAuthServer, seeded_user
from basecrm_like.mock.backend.oauth_clients import DEV_OAUTH_CLIENT
from basecrm_like.mock.backend.tokens import Tokens

from ..conftest import Clock

REDIRECT = "http://127.0.0.1:5000/callback"


@pytest.fixture
def server(clock: Clock) -> OAuthServer:
    return OAuthServer(Tokens(), token_ttl=60, clock=clock)


def test_code_grant_issues_tokens_once(server: OAuthServer, clock: Clock) -> None:
    authorization = server.authorize({"client_id": DEV_OAUTH_CLIENT.client_id,
                                      "redirect_uri": REDIRECT, "state": "s"})
    assert authorization.target == REDIRECT and not authorization.fragment
    form = {"grant_type": "authorization_code", "code": authorization.params["code"],
            "redirect_uri": REDIRECT}
    body = server.token(DEV_OAUTH_CLIENT, form)
    assert body["expires_in"] == 60 and body["scope"] == "read write profile"
    with pytest.raises(OAuthProblem, match="invalid_grant"):
        server.token(DEV_OAUTH_CLIENT, form)
    assert server.status()["refresh_tokens"] == {"live": 1, "rotated": 0}


def test_codes_expire(server: OAuthServer, clock: Clock) -> None:
    code = server.authorize({"client_id": DEV_OAUTH_CLIENT.client_id,
                             "redirect_uri": REDIRECT}).params["code"]
    clock.now += 601
    with pytest.raises(OAuthProblem, match="expired"):
        server.token(DEV_OAUTH_CLIENT, {"grant_type": "authorization_code", "code": code,
                                        "redirect_uri": REDIRECT})


def test_refresh_cannot_widen_the_scope_and_revocation_ends_it(server: OAuthServer) -> None:
    body = server.token(DEV_OAUTH_CLIENT, {"grant_type": "password", "scope": "read",
                                           "username": "admin@mock.example",
                                           "password": DEV_PASSWORD})
    with pytest.raises(OAuthProblem, match="invalid_scope"):
        server.token(DEV_OAUTH_CLIENT, {"grant_type": "refresh_token", "scope": "read write",
                                        "refresh_token": body["refresh_token"]})
    server.revoke(DEV_OAUTH_CLIENT, body["refresh_token"])
    with pytest.raises(OAuthProblem, match="revoked"):
        server.token(DEV_OAUTH_CLIENT, {"grant_type": "refresh_token",
                                        "refresh_token": body["refresh_token"]})


def test_implicit_grant_answers_in_the_fragment(server: OAuthServer) -> None:
    authorization = server.authorize({"client_id": DEV_OAUTH_CLIENT.client_id,
                                      "redirect_uri": REDIRECT, "response_type": "token"})
    assert authorization.fragment and "refresh_token" not in authorization.params
    assert server.grants == {"implicit": 1}


def test_client_authentication(server: OAuthServer) -> None:
    client_id, secret = DEV_OAUTH_CLIENT
    assert server.authenticate_client(client_id, secret, basic=True) == DEV_OAUTH_CLIENT
    with pytest.raises(OAuthProblem) as info:
        server.authenticate_client(client_id, "wrong", basic=True)
    assert info.value.status == 401 and info.value.challenge
    with pytest.raises(OAuthProblem) as info:
        server.authenticate_client(client_id, "wrong", basic=False)
    assert not info.value.challenge


def test_seeded_users_log_in_by_email() -> None:
    assert seeded_user(" SAM@mock.example", DEV_PASSWORD) == 2
    assert seeded_user("admin@mock.example", "guess") is None
