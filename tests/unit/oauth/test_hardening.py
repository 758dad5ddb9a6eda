"""Token stores and the token manager under concurrent processes, symbolic links
and tokens that cannot be headers."""
from __future__ import annotations

import os
import stat
import threading
import time
from pathlib import Path

import pytest

from basecrm_like.errors import ConfigurationError
from basecrm_like.http.config import Configuration
from basecrm_like.http.transport import HttpClient
from basecrm_like.oauth import (
    FileTokenStore,
    MemoryTokenStore,
    OAuthError,
    SqliteTokenStore,
    Token,
    TokenManager,
)
from basecrm_like.oauth.errors import TokenStoreError

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX permissions and flock")


class RotatingServer:
    """An authorization server that rotates refresh tokens: a used one is refused."""

    def __init__(self, refresh: str) -> None:
        self.current = refresh
        self.refreshes = 0
        self.refused = 0
        self.lock = threading.Lock()

    def refresh(self, refresh_token: str) -> Token:
        with self.lock:
            if refresh_token != self.current:
                self.refused += 1
                raise OAuthError("invalid_grant", "refresh token already used", 400)
            self.refreshes += 1
            self.current = f"refresh-{self.refreshes + 1}"
            new = Token(f"access-{self.refreshes + 1}", self.current,
                        expires_at=time.time() + 3600, expires_in=3600)
        time.sleep(0.2)  # the answer takes a while: long enough for a racing refresh
        return new


def expired() -> Token:
    return Token("access-1", "refresh-1", expires_at=time.time() - 10, expires_in=3600)


@posix_only
@pytest.mark.parametrize("kind", [FileTokenStore, SqliteTokenStore])
def test_processes_sharing_a_file_store_refresh_once(tmp_path: Path, kind: type) -> None:
    path = tmp_path / "tokens.store"
    kind(path).save("alice", expired())
    server = RotatingServer("refresh-1")
    # separate store objects: separate threading locks, like separate processes
    managers = [TokenManager(server, kind(path), "alice") for _ in range(2)]  # type: ignore[arg-type]
    barrier = threading.Barrier(2)
    results: list[str] = []
    failures: list[BaseException] = []

    def use(manager: TokenManager) -> None:
        barrier.wait()
        try:
            results.append(manager.access_token())
        except BaseException as exc:  # noqa: BLE001
            failures.append(exc)

    threads = [threading.Thread(target=use, args=(m,)) for m in managers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert failures == []
    assert server.refreshes == 1 and server.refused == 0
    assert results == ["access-2", "access-2"]


def test_invalid_grant_adopts_the_token_another_process_saved() -> None:
    store = MemoryTokenStore({"alice": expired()})

    class RacedServer:
        def refresh(self, refresh_token: str) -> Token:
            # another process (with a store offering no lock) got there first
            store.save("alice", Token("access-9", "refresh-9", expires_at=time.time() + 3600))
            raise OAuthError("invalid_grant", "refresh token already used", 400)

    manager = TokenManager(RacedServer(), store, "alice")  # type: ignore[arg-type]
    assert manager.access_token() == "access-9"


def test_invalid_grant_with_nothing_new_saved_is_still_an_error() -> None:
    store = MemoryTokenStore({"alice": expired()})
    manager = TokenManager(RotatingServer("another"), store, "alice")  # type: ignore[arg-type]
    with pytest.raises(OAuthError, match="invalid_grant"):
        manager.access_token()


# -- tokens that cannot be headers ---------------------------------------------------------
SECRET = "leaky\nsecret-value"


def test_token_with_a_line_break_is_refused_where_it_enters(tmp_path: Path) -> None:
    with pytest.raises(ValueError) as info:
        Token(SECRET)
    assert "secret-value" not in str(info.value)
    with pytest.raises(OAuthError) as answer:
        Token.from_response({"access_token": SECRET, "token_type": "bearer"})
    assert "secret-value" not in str(answer.value)
    path = tmp_path / "tokens.json"
    path.write_text('{"version": 1, "tokens": {"alice": {"access_token": "leaky\\nsecret-value"}}}')
    os.chmod(path, 0o600)
    with pytest.raises(TokenStoreError) as stored:
        FileTokenStore(path).load("alice")
    assert "secret-value" not in str(stored.value)


def test_a_bad_token_from_a_token_source_never_reaches_requests() -> None:
    class Source:
        def access_token(self) -> str:
            return SECRET

        def renew(self, rejected: str) -> bool:
            return False

        def secrets(self) -> list[str]:
            return [SECRET]

    client = HttpClient(Configuration(base_url="http://127.0.0.1:9", max_retries=0),
                        token_source=Source())
    with pytest.raises(ConfigurationError) as info:
        client.get("/contacts")
    assert "secret-value" not in str(info.value)


# -- symbolic links ------------------------------------------------------------------------
@posix_only
def test_save_through_a_link_writes_the_target_atomically(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "links").mkdir()
    target = tmp_path / "real" / "tokens.json"
    link = tmp_path / "links" / "tokens.json"
    FileTokenStore(target).save("alice", Token("access-1", "refresh-1"))
    link.symlink_to(target)
    FileTokenStore(link).save("alice", Token("access-2", "refresh-2"))
    assert link.is_symlink()
    # whoever reads the target sees the rotated refresh token
    loaded = FileTokenStore(target).load("alice")
    assert loaded is not None and loaded.refresh_token == "refresh-2"
    assert [p.name for p in (tmp_path / "links").iterdir()] == ["tokens.json"]


@posix_only
def test_never_changes_the_mode_of_a_file_it_did_not_write(tmp_path: Path) -> None:
    unrelated = tmp_path / "notes.txt"
    unrelated.write_text("my notes\n")
    os.chmod(unrelated, 0o644)
    link = tmp_path / "tokens.json"
    link.symlink_to(unrelated)
    with pytest.raises(TokenStoreError):
        FileTokenStore(link).load("alice")
    assert stat.S_IMODE(unrelated.stat().st_mode) == 0o644
    assert unrelated.read_text() == "my notes\n"
    plain = tmp_path / "plain.json"
    plain.write_text("[]")
    os.chmod(plain, 0o644)
    with pytest.raises(TokenStoreError):
        FileTokenStore(plain).load("alice")
    assert stat.S_IMODE(plain.stat().st_mode) == 0o644
