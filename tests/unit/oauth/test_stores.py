"""Token stores: round trips, permissions, atomic writes, corruption, threads, custom stores."""
from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from basecrm_like.errors import ConfigurationError
from basecrm_like.oauth import (
    FileTokenStore,
    MemoryTokenStore,
    SqliteTokenStore,
    Token,
    TokenManager,
    TokenStore,
    TokenStoreError,
)

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX permissions and signals")


def token(n: int = 1, ttl: float = 3600) -> Token:
    return Token(f"access-{n}", f"refresh-{n}", expires_at=time.time() + ttl, scope="read write",
                 expires_in=3600)


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(params=["memory", "file", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> TokenStore:
    if request.param == "file":
        return FileTokenStore(tmp_path / "tokens.json")
    if request.param == "sqlite":
        return SqliteTokenStore(tmp_path / "tokens.db")
    return MemoryTokenStore()


def test_round_trip(store: TokenStore) -> None:
    assert isinstance(store, TokenStore)
    assert store.load("alice") is None
    third = token(3)
    store.save("alice", token(1))
    store.save("bob", token(2))
    store.save("alice", third)
    assert store.load("alice") == third
    loaded = store.load("bob")
    assert loaded is not None and loaded.access_token == "access-2" and loaded.scope == "read write"
    store.delete("alice")
    store.delete("nobody")
    assert store.load("alice") is None and store.load("bob") is not None
    assert "access-" not in repr(store)


def test_threads_do_not_lose_updates(store: TokenStore) -> None:
    def work(i: int) -> None:
        for j in range(5):
            store.save(f"user{i}", token(i * 100 + j))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    for i in range(8):
        loaded = store.load(f"user{i}")
        assert loaded is not None and loaded.access_token == f"access-{i * 100 + 4}"


@posix_only
def test_file_store_is_private_from_creation(tmp_path: Path) -> None:
    old = os.umask(0)  # the most permissive umask: the store must not rely on it
    try:
        path = tmp_path / "new-dir" / "tokens.json"
        store = FileTokenStore(path)
        store.save("alice", token())
    finally:
        os.umask(old)
    assert mode_of(path) == 0o600
    assert mode_of(path.parent) == 0o700
    assert json.loads(path.read_text())["tokens"]["alice"]["access_token"] == "access-1"
    assert [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")] == []


@posix_only
def test_file_store_tightens_a_readable_file(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    FileTokenStore(path).save("alice", token())
    os.chmod(path, 0o644)
    assert FileTokenStore(path).load("alice") is not None
    assert mode_of(path) == 0o600


@pytest.mark.parametrize("content", ['{"version": 1, "tokens": {"alice": ', "[]", "\xff\xfe", ""])
def test_corrupt_file_is_an_error_naming_it(tmp_path: Path, content: str) -> None:
    path = tmp_path / "tokens.json"
    path.write_bytes(content.encode("latin-1"))
    store = FileTokenStore(path)
    with pytest.raises(TokenStoreError) as info:
        store.load("alice")
    assert str(path) in str(info.value) and "corrupt" in str(info.value)
    assert isinstance(info.value, ConfigurationError)
    with pytest.raises(TokenStoreError):  # a save must not paper over it either
        store.save("alice", token())
    assert path.read_bytes() == content.encode("latin-1")


def test_malformed_entry_is_an_error_naming_the_user(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    path.write_text(json.dumps({"version": 1, "tokens": {"alice": {"refresh_token": "x"}}}))
    with pytest.raises(TokenStoreError, match="alice"):
        FileTokenStore(path).load("alice")


def test_corrupt_sqlite_file_is_an_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "tokens.db"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(TokenStoreError) as info:
        SqliteTokenStore(path).load("alice")
    assert str(path) in str(info.value)


@posix_only
def test_sqlite_file_is_private(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        store = SqliteTokenStore(tmp_path / "tokens.db")
        store.save("alice", token())
    finally:
        os.umask(old)
    assert mode_of(tmp_path / "tokens.db") == 0o600


CRASH_BETWEEN_WRITE_AND_REPLACE = """
import os, signal, sys, time
from pathlib import Path
from basecrm_like.oauth import FileTokenStore, Token

def crash(tmp: Path) -> None:
    assert tmp.exists() and tmp.parent == Path(sys.argv[1]).parent
    os.kill(os.getpid(), signal.SIGKILL)

FileTokenStore(sys.argv[1], before_replace=crash).save("alice", Token("access-new", "refresh-new", time.time() + 60))
"""

SAVE_FOREVER = """
import sys, time
from basecrm_like.oauth import FileTokenStore, Token
store = FileTokenStore(sys.argv[1])
big = "x" * 2_000_000
i = 0
print("ready", flush=True)
while True:
    i += 1
    store.save("alice", Token(f"access-{i}", "refresh", time.time() + 60, scope=big))
"""


@posix_only
def test_a_writer_killed_before_the_replace_leaves_the_old_token(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    FileTokenStore(path).save("alice", token(1))
    proc = subprocess.run([sys.executable, "-c", CRASH_BETWEEN_WRITE_AND_REPLACE, str(path)],
                          timeout=60, capture_output=True)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    # the half-done write is there, complete, but was never swapped in
    assert len(list(tmp_path.glob(".tokens.json.*.tmp"))) == 1
    loaded = FileTokenStore(path).load("alice")
    assert loaded is not None and loaded.access_token == "access-1"
    assert mode_of(path) == 0o600


@posix_only
def test_a_writer_killed_at_any_moment_leaves_a_readable_file(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    FileTokenStore(path).save("alice", token(1))
    for delay in (0.05, 0.2, 0.35):
        proc = subprocess.Popen([sys.executable, "-c", SAVE_FOREVER, str(path)],
                                stdout=subprocess.PIPE)
        assert proc.stdout is not None and proc.stdout.readline().strip() == b"ready"
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        proc.stdout.close()
        loaded = FileTokenStore(path).load("alice")  # raises if the file were torn
        assert loaded is not None and loaded.access_token.startswith("access-")


class DictStore:
    """A custom store: any class with load, save and delete."""

    def __init__(self) -> None:
        self.data: dict[str, dict[str, object]] = {}

    def load(self, user: str) -> Token | None:
        raw = self.data.get(user)
        return Token.from_dict(raw) if raw else None

    def save(self, user: str, token: Token) -> None:
        self.data[user] = token.to_dict()

    def delete(self, user: str) -> None:
        self.data.pop(user, None)


def test_any_class_with_the_three_methods_is_a_store() -> None:
    from basecrm_like.oauth import OAuth2

    custom = DictStore()
    assert isinstance(custom, TokenStore)
    custom.save("alice", token(7))
    manager = TokenManager(OAuth2("id", "secret", base_url="https://api.example.test"), custom, "alice")
    assert manager.access_token() == "access-7"
