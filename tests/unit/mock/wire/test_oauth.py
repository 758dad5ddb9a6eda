"""The mock's authorization server endpoints, driven in-process through Werkzeug's
test client against an app whose clock the test moves."""
from __future__ import annotations

import base64
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

pytest.importorskip("werkzeug")

from werkzeug.test import Client as WsgiClient  # noqa: E402

from basecrm_like.mock.backend.errors import ApiError  # noqa: E402
from basecrm_like.mock.backend.oauth import DEV_PASSWORD, OAuthServer  # noqa: E402
from basecrm_like.mock.backend.oauth_clients import DEV_OAUTH_CLIENT  # noqa: E402
from basecrm_like.mock.wire.app import MockApp  # noqa: E402

from ..conftest import Clock  # noqa: E402

REDIRECT = "http://127.0.0.1:5000/callback"


@pytest.fixture
def server(app: MockApp) -> OAuthServer:
    return app.oauth


def basic(client_id: str = DEV_OAUTH_CLIENT.client_id,
          secret: str = DEV_OAUTH_CLIENT.client_secret) -> dict[str, str]:
    raw = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


def authorize(http: WsgiClient, **params: str) -> dict[str, str]:
    query = {"response_type": "code", "client_id": DEV_OAUTH_CLIENT.client_id,
             "redirect_uri": REDIRECT, "state": "s1", **params}
    resp = http.get("/oauth2/authorize", query_string=query)
    assert resp.status_code == 302, resp.get_data(as_text=True)
    location = resp.headers["Location"]
    assert location.startswith(REDIRECT)
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def token(http: WsgiClient, headers: dict[str, str] | None = None, **form: str) -> Any:
    return http.post("/oauth2/token", data=form, headers=basic() if headers is None else headers)


def test_code_flow_and_rotation(http: WsgiClient, server: OAuthServer, clock: Clock) -> None:
    params = authorize(http, scope="read profile")
    assert params["state"] == "s1" and params["code"]
    resp = token(http, grant_type="authorization_code", code=params["code"], redirect_uri=REDIRECT)
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"
    body = resp.get_json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 60
    assert body["scope"] == "read profile"
    assert server.tokens.authenticate(f"Bearer {body['access_token']}", now=clock.now).user_id == 1

    # the code is single use
    again = token(http, grant_type="authorization_code", code=params["code"], redirect_uri=REDIRECT)
    assert again.status_code == 400 and again.get_json()["error"] == "invalid_grant"

    # refresh rotates; the old refresh token is then refused
    new = token(http, grant_type="refresh_token", refresh_token=body["refresh_token"]).get_json()
    assert new["refresh_token"] != body["refresh_token"]
    old = token(http, grant_type="refresh_token", refresh_token=body["refresh_token"])
    assert old.status_code == 400 and old.get_json()["error"] == "invalid_grant"
    assert "already used" in old.get_json()["error_description"]
    assert server.grants == {"authorization_code": 1, "refresh_token": 1}

    # access tokens expire with the clock
    clock.now += 61
    with pytest.raises(ApiError) as info:
        server.tokens.authenticate(f"Bearer {new['access_token']}", now=clock.now)
    assert info.value.status == 401 and "expired" in info.value.items[0].details


def test_authorize_validates_client_and_redirect(http: WsgiClient) -> None:
    resp = http.get("/oauth2/authorize", query_string={
        "response_type": "code", "client_id": "nobody", "redirect_uri": REDIRECT})
    assert resp.status_code == 400 and resp.get_json()["error"] == "invalid_client"
    resp = http.get("/oauth2/authorize", query_string={
        "response_type": "code", "client_id": DEV_OAUTH_CLIENT.client_id,
        "redirect_uri": "javascript:alert(1)"})
    assert resp.status_code == 400 and "Location" not in resp.headers
    assert authorize(http, scope="admin")["error"] == "invalid_scope"
    assert authorize(http, response_type="magic")["error"] == "unsupported_response_type"


def test_registered_redirect_uri_is_enforced(clock: Clock) -> None:
    app = MockApp(oauth_clients=[f"app:secret:{REDIRECT}"], clock=clock)
    http = WsgiClient(app)
    ok = http.get("/oauth2/authorize", query_string={"client_id": "app", "state": "x"})
    assert ok.status_code == 302 and ok.headers["Location"].startswith(REDIRECT + "?code=")
    bad = http.get("/oauth2/authorize", query_string={
        "client_id": "app", "redirect_uri": "http://evil.example/cb"})
    assert bad.status_code == 400
    # the development client is not accepted once clients are registered
    assert http.get("/oauth2/authorize", query_string={
        "client_id": DEV_OAUTH_CLIENT.client_id, "redirect_uri": REDIRECT}).status_code == 400
    app.close()


def test_token_endpoint_errors(http: WsgiClient) -> None:
    wrong = token(http, headers=basic(secret="nope"), grant_type="refresh_token", refresh_token="x")
    assert wrong.status_code == 401 and wrong.get_json()["error"] == "invalid_client"
    assert "WWW-Authenticate" in wrong.headers
    none = token(http, headers={}, grant_type="refresh_token", refresh_token="x")
    assert none.status_code == 401
    assert token(http, grant_type="client_credentials").get_json()["error"] == "unsupported_grant_type"
    assert token(http).get_json()["error"] == "invalid_request"
    assert token(http, grant_type="authorization_code").get_json()["error"] == "invalid_request"
    assert token(http, grant_type="refresh_token", refresh_token="unknown").get_json()["error"] \
        == "invalid_grant"
    code = authorize(http)["code"]
    mismatch = token(http, grant_type="authorization_code", code=code,
                     redirect_uri="http://127.0.0.1:5000/other")
    assert mismatch.get_json()["error"] == "invalid_grant"
    assert http.get("/oauth2/token").status_code == 405


def test_client_credentials_in_the_form_and_password_grant(
        http: WsgiClient, server: OAuthServer, clock: Clock) -> None:
    resp = token(http, headers={}, client_id=DEV_OAUTH_CLIENT.client_id,
                 client_secret=DEV_OAUTH_CLIENT.client_secret, grant_type="password",
                 username="admin@mock.example", password=DEV_PASSWORD)
    assert resp.status_code == 200 and resp.get_json()["refresh_token"]
    bad = token(http, grant_type="password", username="admin@mock.example", password="guess")
    assert bad.status_code == 400 and bad.get_json()["error"] == "invalid_grant"
    stranger = token(http, grant_type="password", username="who@example.com", password=DEV_PASSWORD)
    assert stranger.get_json()["error"] == "invalid_grant"
    sam = token(http, grant_type="password", username="Sam@Mock.example", password=DEV_PASSWORD)
    assert server.tokens.authenticate(f"Bearer {sam.get_json()['access_token']}",
                                      now=clock.now).user_id == 2


def test_revoke_kills_the_refresh_token(http: WsgiClient, server: OAuthServer) -> None:
    body = token(http, grant_type="password", username="admin@mock.example",
                 password=DEV_PASSWORD).get_json()
    assert http.post("/oauth2/revoke", data={"token": body["refresh_token"]},
                     headers=basic()).status_code == 200
    resp = token(http, grant_type="refresh_token", refresh_token=body["refresh_token"])
    assert resp.get_json()["error"] == "invalid_grant"
    with pytest.raises(ApiError):
        server.tokens.authenticate(f"Bearer {body['access_token']}")


def test_status_counts_grants(http: WsgiClient) -> None:
    token(http, grant_type="password", username="admin@mock.example", password=DEV_PASSWORD)
    status = http.get("/_mock/oauth").get_json()
    assert status["grants"] == {"password": 1} and status["token_ttl"] == 60
    assert status["clients"] == [DEV_OAUTH_CLIENT.client_id]
