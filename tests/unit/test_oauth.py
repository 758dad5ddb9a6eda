"""OAuth2 without a server: the token endpoint and the API are faked with ``responses``."""
from __future__ import annotations

import base64
import json
import logging
import threading
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses

import basecrm_like
from basecrm_like import errors
from basecrm_like.oauth import (
    MemoryTokenStore,
    OAuth2,
    OAuthError,
    Token,
    TokenManager,
    TokenStore,
)

BASE = "https://api.example.test"
TOKEN_URL = f"{BASE}/oauth2/token"
SELF_URL = f"{BASE}/v2/users/self"
CLIENT_ID, CLIENT_SECRET = "app-id", "app-secret-value"
REDIRECT = "https://app.example/callback"



@pytest.fixture
def oauth() -> OAuth2:
    return OAuth2(CLIENT_ID, CLIENT_SECRET, REDIRECT, base_url=BASE)


def token_answer(access: str, refresh: str | None = "refresh-1", expires_in: int = 3600,
                 **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"access_token": access, "token_type": "bearer", "expires_in": expires_in}
    if refresh:
        body["refresh_token"] = refresh
    body.update(extra)
    return body


def user_body() -> dict[str, Any]:
    return {"data": {"id": 1, "name": "Ada"}, "meta": {"type": "user"}}


def form_of(request: Any) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(request.body).items()}


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


# -- the client keeps the token fresh ----------------------------------------------------
class RecordingStore(MemoryTokenStore):
    def __init__(self, token: Token | None) -> None:
        super().__init__({"alice": token} if token else {})
        self.saves = 0

    def save(self, user: str, token: Token) -> None:
        self.saves += 1
        super().save(user, token)


def make_client(oauth: OAuth2, store: TokenStore, **options: Any) -> basecrm_like.Client:
    return basecrm_like.Client(oauth=oauth, token_store=store, user="alice", base_url=BASE,
                               max_retries=0, **options)


def fresh(access: str = "access-1", refresh: str = "refresh-1", ttl: float = 3600) -> Token:
    return Token(access, refresh, expires_at=time.time() + ttl, expires_in=3600)


def bearer(call: Any) -> str:
    return str(call.request.headers["Authorization"]).partition(" ")[2]


def test_no_stored_token_says_to_authorize_first(oauth: OAuth2) -> None:
    with pytest.raises(errors.ConfigurationError, match="authorization flow first"):
        make_client(oauth, MemoryTokenStore())
    with pytest.raises(errors.ConfigurationError, match="token_store"):
        basecrm_like.Client(oauth=oauth, base_url=BASE)
    with pytest.raises(errors.ConfigurationError, match="load"):
        basecrm_like.Client(oauth=oauth, token_store=object(), base_url=BASE)


@responses.activate
def test_a_valid_token_is_used_as_is(oauth: OAuth2) -> None:
    store = RecordingStore(fresh())
    responses.get(SELF_URL, json=user_body())
    client = make_client(oauth, store)
    assert client.users.self().name == "Ada"
    assert bearer(responses.calls[0]) == "access-1" and store.saves == 0


@responses.activate
def test_a_token_about_to_expire_is_refreshed_and_saved_before_use(oauth: OAuth2) -> None:
    store = RecordingStore(fresh(ttl=30))  # within the 60 s leeway
    responses.post(TOKEN_URL, json=token_answer("access-2", refresh="refresh-2"))

    def api(request: Any) -> tuple[int, dict[str, str], str]:
        saved = store.load("alice")
        assert saved is not None and saved.access_token == "access-2"  # saved before used
        return 200, {"Content-Type": "application/json"}, json.dumps(user_body())

    responses.add_callback(responses.GET, SELF_URL, callback=api)
    client = make_client(oauth, store)
    client.users.self()
    assert [c.request.url for c in responses.calls] == [TOKEN_URL, SELF_URL]
    assert form_of(responses.calls[0].request)["refresh_token"] == "refresh-1"
    assert bearer(responses.calls[1]) == "access-2"
    saved = store.load("alice")
    assert saved is not None and saved.refresh_token == "refresh-2"


@responses.activate
def test_401_refreshes_once_and_repeats_the_request_once(oauth: OAuth2) -> None:
    store = RecordingStore(fresh())
    responses.post(TOKEN_URL, json=token_answer("access-2", refresh="refresh-2"))
    responses.get(SELF_URL, status=401, json={"errors": [{"error": {"code": "unauthorized"}}]})
    responses.get(SELF_URL, json=user_body())
    client = make_client(oauth, store)
    assert client.users.self().id == 1
    assert [bearer(c) for c in responses.calls if c.request.url == SELF_URL] == ["access-1", "access-2"]
    assert store.saves == 1

    # a second 401 right after the refresh is the caller's problem: no loop
    responses.replace(responses.GET, SELF_URL, status=401,
                      json={"errors": [{"error": {"code": "unauthorized"}}]})
    responses.replace(responses.POST, TOKEN_URL, json=token_answer("access-3", refresh="refresh-3"))
    before = len(responses.calls)
    with pytest.raises(errors.RequestError) as info:
        client.users.self()
    assert info.value.http_status == 401
    assert len(responses.calls) - before == 3  # request, one refresh, one repeat


@responses.activate
def test_a_refused_refresh_raises_and_changes_nothing(oauth: OAuth2) -> None:
    old = fresh(ttl=-5)
    store = RecordingStore(old)
    responses.post(TOKEN_URL, status=400,
                   json={"error": "invalid_grant", "error_description": "refresh token revoked"})
    client = make_client(oauth, store)
    with pytest.raises(OAuthError) as info:
        client.users.self()
    assert info.value.error == "invalid_grant"
    assert store.saves == 0 and store.load("alice") == old
    assert client.http_client.token_manager.token == old
    # other threads or later calls do not hammer the server with the same refused token
    with pytest.raises(OAuthError):
        client.users.self()
    assert len(responses.calls) == 1


@responses.activate
def test_many_threads_cause_one_refresh(oauth: OAuth2) -> None:
    store = RecordingStore(fresh(ttl=-1))
    refreshes = []

    def token_endpoint(request: Any) -> tuple[int, dict[str, str], str]:
        refreshes.append(1)
        time.sleep(0.05)  # widen the window in which the other threads arrive
        return 200, {"Content-Type": "application/json"}, json.dumps(token_answer("access-2", "refresh-2"))

    responses.add_callback(responses.POST, TOKEN_URL, callback=token_endpoint)
    responses.get(SELF_URL, json=user_body())
    client = make_client(oauth, store)
    failures: list[BaseException] = []
    barrier = threading.Barrier(8)

    def work() -> None:
        barrier.wait()
        try:
            for _ in range(5):
                client.users.self()
        except BaseException as exc:  # pragma: no cover - reported below
            failures.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not failures
    assert len(refreshes) == 1 and store.saves == 1
    assert {bearer(c) for c in responses.calls if c.request.url == SELF_URL} == {"access-2"}


@responses.activate
def test_a_token_refreshed_by_another_process_is_adopted(oauth: OAuth2) -> None:
    store = RecordingStore(fresh(ttl=-1))
    manager = TokenManager(oauth, store, "alice")
    store.save("alice", fresh("access-other", "refresh-other"))
    assert manager.access_token() == "access-other"
    assert not [c for c in responses.calls if c.request.url == TOKEN_URL]


@responses.activate
def test_personal_tokens_are_unchanged(token: str) -> None:
    responses.get(SELF_URL, json=user_body())
    client = basecrm_like.Client(access_token=token, base_url=BASE)
    client.users.self()
    assert bearer(responses.calls[0]) == token
    assert client.http_client.token_manager is None


def test_short_lived_tokens_are_not_refreshed_on_every_call(oauth: OAuth2) -> None:
    # a 10 s token with the default 60 s leeway: refresh at half-life, not at once
    store = MemoryTokenStore({"alice": Token("a", "r", expires_at=time.time() + 9, expires_in=10)})
    assert TokenManager(oauth, store, "alice").access_token() == "a"


@responses.activate
def test_no_token_value_is_logged(oauth: OAuth2, caplog: pytest.LogCaptureFixture) -> None:
    store = RecordingStore(fresh("access-old-value", "refresh-old-value"))
    responses.post(TOKEN_URL, json=token_answer("access-new-value", "refresh-new-value"))
    # the API echoes the token (a worst case) and first rejects the old one
    responses.get(SELF_URL, status=401, json={"errors": [{"error": {
        "code": "unauthorized", "details": "token access-old-value expired"}}]})
    responses.get(SELF_URL, json={"data": {"id": 1, "note": "access-new-value"}, "meta": {}})
    responses.get(f"{BASE}/v2/deals/9", status=404, json={"errors": [{"error": {
        "code": "not_found", "details": "Requested path was not found."}}]})
    caplog.set_level(logging.DEBUG, logger="basecrm_like")
    client = make_client(oauth, store, verbose=True)
    client.users.self()
    with pytest.raises(errors.RequestError) as info:
        client.deals.retrieve(9)
    assert any("refreshed" in r.getMessage() for r in caplog.records)
    assert any("<redacted>" in r.getMessage() for r in caplog.records)
    text = caplog.text + repr(client) + repr(client.config) + repr(store) + repr(oauth) \
        + repr(client.http_client.token_manager) + str(info.value) + repr(info.value)
    for secret in ("access-old-value", "refresh-old-value", "access-new-value", "refresh-new-value",
                   CLIENT_SECRET):
        assert secret not in text
