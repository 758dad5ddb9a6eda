"""The client keeps an OAuth2 token fresh: refresh before expiry, once after a 401, once for many threads."""
from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any

import pytest
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

from .conftest import BASE, CLIENT_SECRET, SELF_URL, TOKEN_URL, form_of, token_answer, user_body


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
    assert client.http_client.token_source.token == old
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
    assert client.http_client.token_source is None


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
        + repr(client.http_client.token_source) + str(info.value) + repr(info.value)
    for secret in ("access-old-value", "refresh-old-value", "access-new-value", "refresh-new-value",
                   CLIENT_SECRET):
        assert secret not in text

