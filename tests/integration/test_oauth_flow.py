"""OAuth 2 end to end against the mock server over loopback."""
from __future__ import annotations

import logging
import os
import stat
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

import basecrm_like
from basecrm_like import errors
from basecrm_like.oauth import FileTokenStore, MemoryTokenStore, OAuth2, OAuthError, Token
from tests.support.clients import client_kind, make_client

__all__ = ["client_kind", "make_client"]  # fixtures: the refresh tests run on both clients
MakeClient = Callable[..., basecrm_like.Client]

mock = pytest.importorskip("basecrm_like.mock")
from basecrm_like.mock.backend.oauth import DEV_PASSWORD  # noqa: E402
from basecrm_like.mock.backend.oauth_clients import DEV_OAUTH_CLIENT  # noqa: E402

REDIRECT = "http://127.0.0.1:5000/callback"
ADMIN = "admin@mock.example"



@pytest.fixture
def server() -> Iterator[Any]:
    with mock.serve() as srv:
        yield srv


def oauth_for(server: Any, **options: Any) -> OAuth2:
    client_id, client_secret = DEV_OAUTH_CLIENT
    return OAuth2(client_id, client_secret, REDIRECT, base_url=server.url, **options)


def grants(server: Any) -> dict[str, int]:
    return dict(requests.get(f"{server.url}/_mock/oauth", timeout=10).json()["grants"])


def authorize(oauth: OAuth2, **kwargs: Any) -> Token:
    """The browser's part of the flow: follow the link, come back with the code."""
    url, state = oauth.authorization_url(**kwargs)
    answer = requests.get(url, allow_redirects=False, timeout=10)
    assert answer.status_code == 302
    callback = answer.headers["Location"]
    assert callback.startswith(REDIRECT + "?")
    return oauth.exchange_code(oauth.code_from_callback(callback, state))


class CountingStore(MemoryTokenStore):
    def __init__(self, user: str, token: Token) -> None:
        super().__init__({user: token})
        self.saves = 0
        self.count_lock = threading.Lock()

    def save(self, user: str, token: Token) -> None:
        with self.count_lock:
            self.saves += 1
        super().save(user, token)


def test_authorization_code_flow(server: Any, tmp_path: Path) -> None:
    oauth = oauth_for(server)
    token = authorize(oauth, scope=["read", "write", "profile"])
    assert token.scope == "read write profile" and token.refresh_token
    assert token.expires_in == 3600 and not token.expired(60)
    store = FileTokenStore(tmp_path / "tokens.json")
    store.save("alice", token)
    assert stat.S_IMODE(os.stat(tmp_path / "tokens.json").st_mode) == 0o600
    client = basecrm_like.Client(oauth=oauth, token_store=store, user="alice",
                                 base_url=server.url)
    me = client.users.self()
    assert me.id == 1 and me.email == ADMIN
    contact = client.contacts.create(last_name="Lovelace")
    assert client.contacts.retrieve(contact.id).last_name == "Lovelace"
    assert grants(server) == {"authorization_code": 1}


def test_password_grant_and_personal_tokens_side_by_side(server: Any) -> None:
    oauth = oauth_for(server)
    token = oauth.password("sam@mock.example", DEV_PASSWORD)
    client = basecrm_like.Client(oauth=oauth, token_store=MemoryTokenStore({"sam": token}),
                                 user="sam", base_url=server.url)
    assert client.users.self().email == "sam@mock.example"
    personal = basecrm_like.Client(access_token=server.token, base_url=server.url)
    assert personal.users.self().id == 1
    with pytest.raises(OAuthError) as info:
        oauth.password(ADMIN, "wrong")
    assert info.value.error == "invalid_grant"
    with pytest.raises(OAuthError) as info:
        OAuth2("nobody", "nothing", REDIRECT, base_url=server.url).password(ADMIN, DEV_PASSWORD)
    assert info.value.error == "invalid_client" and info.value.http_status == 401


def run_loop(client: basecrm_like.Client, total: int, threads: int,
             at_half: Any) -> list[BaseException]:
    """``total`` requests over ``threads`` threads; ``at_half()`` runs once, at request total/2."""
    tickets = iter(range(total))
    lock = threading.Lock()
    failures: list[BaseException] = []

    def work() -> None:
        while True:
            with lock:
                n = next(tickets, None)
                if n == total // 2:
                    at_half()
            if n is None:
                return
            try:
                client.users.self()
            except BaseException as exc:
                failures.append(exc)

    pool = [threading.Thread(target=work) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(60)
    return failures


def shared_oauth_client(server: Any, make_client: MakeClient
                        ) -> tuple[basecrm_like.Client, CountingStore, Any]:
    """One client for 8 threads (on the async client: 8 threads' tasks on one event loop),
    logged in through the password grant; request log cleared."""
    oauth = oauth_for(server)
    store = CountingStore("alice", oauth.password(ADMIN, DEV_PASSWORD))
    client = make_client(oauth=oauth, token_store=store, user="alice",
                         base_url=server.url, max_retries=0, pool_size=8)
    requests.delete(f"{server.url}/_mock/requests", timeout=10)
    return client, store, client.http_client.token_source


def self_statuses(server: Any) -> list[int]:
    """Statuses of the GET /v2/users/self requests the server saw, in order."""
    items = requests.get(f"{server.url}/_mock/requests", timeout=10).json()["items"]
    return [e["status"] for e in items if e["path"] == "/v2/users/self"]


def test_server_side_expiry_mid_loop_causes_one_refresh(server: Any, make_client: MakeClient) -> None:
    client, store, manager = shared_oauth_client(server, make_client)
    first = manager.token.access_token

    def expire_on_the_server() -> None:
        # the token is still valid by the client's clock: only a 401 can tell it
        server.app.tokens.add(first, user_id=1, expires_at=time.time() - 1)

    failures = run_loop(client, 200, 8, expire_on_the_server)
    assert failures == []
    assert grants(server) == {"password": 1, "refresh_token": 1}
    assert manager.refresh_count == 1 and store.saves == 1
    statuses = self_statuses(server)
    assert statuses.count(200) == 200
    assert 1 <= statuses.count(401) <= 8  # requests in flight with the old token, one each
    saved = store.load("alice")
    assert saved is not None and saved.access_token == manager.token.access_token != first


def test_client_side_expiry_mid_loop_causes_one_refresh(server: Any, make_client: MakeClient) -> None:
    client, store, manager = shared_oauth_client(server, make_client)

    def token_nears_expiry() -> None:
        # as if 59 minutes and a half had passed: within the 60 s leeway, still valid
        manager.token.expires_at = time.time() + 30

    failures = run_loop(client, 200, 8, token_nears_expiry)
    assert failures == []
    assert grants(server) == {"password": 1, "refresh_token": 1}
    assert store.saves == 1
    statuses = self_statuses(server)
    assert statuses == [200] * 200  # refreshed before sending: nobody saw a 401


def test_short_lived_tokens_refresh_in_real_time() -> None:
    with mock.serve(token_ttl=1) as server:
        oauth = oauth_for(server)
        token = oauth.password(ADMIN, DEV_PASSWORD)
        assert token.expires_in == 1
        client = basecrm_like.Client(oauth=oauth, token_store=MemoryTokenStore({"a": token}),
                                     user="a", base_url=server.url, max_retries=0)
        client.users.self()
        time.sleep(1.1)
        bare = requests.get(f"{server.url}/v2/users/self", timeout=10, headers={
            "Authorization": f"Bearer {token.access_token}", "User-Agent": "test"})
        assert bare.status_code == 401 and "expired" in bare.text
        assert client.users.self().id == 1
        assert grants(server)["refresh_token"] == 1


@pytest.mark.parametrize("how", ["rotated", "revoked"])
def test_a_dead_refresh_token_is_a_typed_error_and_changes_nothing(
        server: Any, tmp_path: Path, how: str, make_client: MakeClient) -> None:
    oauth = oauth_for(server)
    token = authorize(oauth)
    if how == "rotated":
        oauth.refresh(token.refresh_token or "")  # someone else used it; the new one is lost
    else:
        answer = requests.post(f"{server.url}/oauth2/revoke", data={"token": token.refresh_token},
                               auth=tuple(DEV_OAUTH_CLIENT), timeout=10)
        assert answer.status_code == 200
    # stored as expired, so the client must refresh before its first request
    stale = Token(token.access_token, token.refresh_token, expires_at=time.time() - 10,
                  scope=token.scope, expires_in=token.expires_in)
    store = FileTokenStore(tmp_path / "tokens.json")
    store.save("alice", stale)
    before = (tmp_path / "tokens.json").read_bytes()
    client = make_client(oauth=oauth, token_store=store, user="alice",
                         base_url=server.url, max_retries=0)
    with pytest.raises(OAuthError) as info:
        client.users.self()
    assert info.value.error == "invalid_grant"
    assert isinstance(info.value, errors.RequestError)
    assert "authorization flow again" in str(info.value)
    assert (tmp_path / "tokens.json").read_bytes() == before
    assert store.load("alice") == stale
    assert client.http_client.token_source.token == stale
    assert grants(server).get("refresh_token", 0) == (1 if how == "rotated" else 0)


def test_no_token_in_logs_reprs_or_errors(server: Any, tmp_path: Path,
                                          caplog: pytest.LogCaptureFixture,
                                          make_client: MakeClient) -> None:
    caplog.set_level(logging.DEBUG, logger="basecrm_like")
    oauth = oauth_for(server)
    token = authorize(oauth)
    store = FileTokenStore(tmp_path / "tokens.json")
    store.save("alice", token)
    client = make_client(oauth=oauth, token_store=store, user="alice",
                         base_url=server.url, verbose=True, max_retries=0)
    client.users.self()
    # expire on the server: 401, refresh, repeat
    server.app.tokens.add(token.access_token, user_id=1, expires_at=time.time() - 1)
    client.users.self()
    manager = client.http_client.token_source
    assert manager.refresh_count == 1
    seen: list[BaseException] = []
    with pytest.raises(errors.RequestError) as failing:  # a failing call
        client.contacts.retrieve(987654)
    seen.append(failing.value)
    # the old refresh token is now rotated: a refresh with it fails
    with pytest.raises(OAuthError) as refused:
        oauth.refresh(token.refresh_token or "")
    seen.append(refused.value)
    # and an expired token with a dead refresh token fails inside the client
    server.app.tokens.add(manager.token.access_token, user_id=1, expires_at=time.time() - 1)
    requests.post(f"{server.url}/oauth2/revoke", data={"token": manager.token.refresh_token},
                  auth=tuple(DEV_OAUTH_CLIENT), timeout=10)
    with pytest.raises(OAuthError) as dead:
        client.users.self()
    seen.append(dead.value)

    values = {token.access_token, token.refresh_token, *manager.secrets()}
    values.discard(None)
    assert len(values) == 4  # two access and two refresh tokens went by
    http_records = [r for r in caplog.records if r.name == "basecrm_like.http"]
    assert len(http_records) >= 6 and any("<redacted>" in r.getMessage() for r in http_records)
    assert any(r.name == "basecrm_like.oauth" and "refreshed" in r.getMessage()
               for r in caplog.records)
    text = "\n".join([
        caplog.text, *(r.getMessage() for r in caplog.records),
        *(f"{e}{e!r}{e.args!r}" for e in seen),
        repr(client), repr(client.config), repr(manager), repr(manager.token), repr(token),
        str(token), repr(store), repr(oauth), repr(server),
    ])
    for value in values:
        assert value and value not in text, "a token value leaked"
    assert DEV_OAUTH_CLIENT.client_secret not in text
