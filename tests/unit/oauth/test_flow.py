"""OAuth2 against a token endpoint faked with ``responses``: URLs, grants, typed errors."""
from __future__ import annotations

import base64
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses

from basecrm_like import errors
from basecrm_like.oauth import (
    OAuth2,
    OAuthError,
)

from .conftest import BASE, CLIENT_ID, CLIENT_SECRET, REDIRECT, TOKEN_URL, form_of, token_answer


# -- the flow ----------------------------------------------------------------------------
def test_authorization_url_carries_the_app_and_a_fresh_state(oauth: OAuth2) -> None:
    url, state = oauth.authorization_url(scope=["read", "write"])
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{BASE}/oauth2/authorize"
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert query == {"response_type": "code", "client_id": CLIENT_ID, "redirect_uri": REDIRECT,
                     "scope": "read write", "state": state}
    assert len(state) >= 20
    assert oauth.authorization_url()[1] != state
    assert oauth.authorization_url(state="mine")[1] == "mine"
    assert "scope" not in oauth.authorization_url()[0]


def test_callback_checks_state_and_reports_denial(oauth: OAuth2) -> None:
    assert OAuth2.code_from_callback({"code": "c1", "state": "s"}, "s") == "c1"
    assert OAuth2.code_from_callback(f"{REDIRECT}?code=c2&state=s", "s") == "c2"
    with pytest.raises(OAuthError) as info:
        OAuth2.code_from_callback({"code": "c1", "state": "forged"}, "s")
    assert info.value.error == "state_mismatch"
    with pytest.raises(OAuthError) as info:
        OAuth2.code_from_callback({"error": "access_denied", "state": "s"}, "s")
    assert info.value.error == "access_denied"
    assert "What to do" in str(info.value)


@responses.activate
def test_exchange_code_posts_a_form_with_basic_auth(oauth: OAuth2) -> None:
    responses.post(TOKEN_URL, json=token_answer("access-1", scope="read write"))
    before = time.time()
    token = oauth.exchange_code("the-code")
    sent = responses.calls[0].request
    assert sent.headers["Content-Type"] == "application/x-www-form-urlencoded"
    expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    assert sent.headers["Authorization"] == f"Basic {expected}"
    assert form_of(sent) == {"grant_type": "authorization_code", "code": "the-code",
                             "redirect_uri": REDIRECT}
    assert token.access_token == "access-1" and token.refresh_token == "refresh-1"
    assert token.scope == "read write" and token.token_type == "bearer"
    assert token.expires_at is not None and before + 3600 <= token.expires_at <= time.time() + 3600


@responses.activate
def test_refresh_and_password_grants(oauth: OAuth2) -> None:
    responses.post(TOKEN_URL, json=token_answer("access-2", refresh=None))
    token = oauth.refresh("old-refresh")
    assert form_of(responses.calls[0].request) == {"grant_type": "refresh_token",
                                                   "refresh_token": "old-refresh"}
    # no refresh token in the answer: the old one stays valid and is kept
    assert token.refresh_token == "old-refresh"
    responses.post(TOKEN_URL, json=token_answer("access-3"))
    oauth.password("ada@example.com", "pw", scope="read")
    assert form_of(responses.calls[1].request) == {
        "grant_type": "password", "username": "ada@example.com", "password": "pw", "scope": "read"}


@pytest.mark.parametrize("status,code", [
    (400, "invalid_grant"), (401, "invalid_client"), (400, "invalid_request"),
    (400, "unsupported_grant_type"),
])
@responses.activate
def test_token_endpoint_errors_are_typed(oauth: OAuth2, status: int, code: str) -> None:
    # a server that echoes the refresh token back must not leak it into the message
    responses.post(TOKEN_URL, status=status,
                   json={"error": code, "error_description": "bad token very-secret-refresh"})
    with pytest.raises(OAuthError) as info:
        oauth.refresh("very-secret-refresh")
    err = info.value
    assert err.error == code and err.code == code and err.http_status == status
    assert isinstance(err, errors.RequestError) and isinstance(err, errors.BaseError)
    assert "What to do" in str(err) and code in str(err)
    assert "very-secret-refresh" not in str(err) and "very-secret-refresh" not in repr(err)


@responses.activate
def test_unexpected_token_endpoint_answers(oauth: OAuth2) -> None:
    responses.post(TOKEN_URL, status=400, body="<html>nope</html>")
    with pytest.raises(OAuthError) as info:
        oauth.exchange_code("c")
    assert info.value.error == "invalid_response"
    responses.replace(responses.POST, TOKEN_URL, status=503, body="down")
    with pytest.raises(errors.ServerError):
        oauth.exchange_code("c")
    responses.replace(responses.POST, TOKEN_URL, json={"token_type": "bearer"})
    with pytest.raises(OAuthError, match="invalid_response"):
        oauth.exchange_code("c")
    responses.replace(responses.POST, TOKEN_URL, body=requests.exceptions.ConnectionError("refused"))
    with pytest.raises(errors.ConnectionError):
        oauth.exchange_code("c")


def test_oauth2_rejects_bad_settings_and_hides_its_secret() -> None:
    with pytest.raises(errors.ConfigurationError):
        OAuth2("", "s")
    with pytest.raises(errors.ConfigurationError):
        OAuth2("id", "s", base_url="api.getbase.com")
    assert CLIENT_SECRET not in repr(OAuth2(CLIENT_ID, CLIENT_SECRET))

