"""Where tokens live between runs: in memory, in a private JSON file, or in SQLite.

Any object with ``load``, ``save`` and ``delete`` (the :class:`TokenStore`
protocol) works as well.
"""
from __future__ import annotations

import contextlib
import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from ..http import errors
from ..support.files import atomic_write
from .errors import TokenStoreError
from .locking import file_lock
from .token import Token

__all__ = ["FileTokenStore", "MemoryTokenStore", "SqliteTokenStore", "TokenStore"]

logger = logging.getLogger("basecrm_like.oauth")


@runtime_checkable
class TokenStore(Protocol):
    """Where tokens live between runs, one per user name.

    Any class with these three methods is a store; it must be safe to call
    from several threads. ``load`` returns None when nothing is stored and
    raises (rather than returning None) when the store is unreadable.
    """

    def load(self, user: str) -> Token | None: ...

    def save(self, user: str, token: Token) -> None: ...

    def delete(self, user: str) -> None: ...


class MemoryTokenStore:
    """Keeps tokens in this process only: for tests and short scripts."""

    def __init__(self, tokens: Mapping[str, Token] | None = None) -> None:
        self._lock = threading.Lock()
        self._tokens: dict[str, dict[str, Any]] = {u: t.to_dict() for u, t in (tokens or {}).items()}

    def __repr__(self) -> str:
        return f"<MemoryTokenStore users={sorted(self._tokens)!r}>"

    def load(self, user: str) -> Token | None:
        with self._lock:
            data = self._tokens.get(user)
        return Token.from_dict(data) if data is not None else None

    def save(self, user: str, token: Token) -> None:
        with self._lock:
            self._tokens[user] = token.to_dict()

    def delete(self, user: str) -> None:
        with self._lock:
            self._tokens.pop(user, None)


FILE_FORMAT_VERSION = 1


class FileTokenStore:
    """Tokens in one JSON file, ``{"version": 1, "tokens": {user: token}}``.

    - Written atomically: a temporary file in the same directory, created with
      mode 0600, is written and fsynced, then ``os.replace``\\ d over the old one,
      so a crash leaves either the old or the new file, never half of one.
    - Never readable by others: files are created 0600 (and a directory it has
      to create, 0700); a token file of this store found with wider permissions
      is tightened (through the open file, never through a symbolic link, and
      only once its content proved to be a token file: the mode of a file this
      store did not write is never changed).
    - ``path`` may be a symbolic link: it is read through, and a save writes
      through to the link's target, atomically, with the temporary file in the
      target's own directory. The link stays a link, so whoever else reads the
      target sees the rotated refresh token.
    - A corrupt file raises :class:`TokenStoreError` naming the file instead of
      reading as "no token".
    - Safe across threads (a lock) and, on POSIX, across processes (``flock`` on
      ``<path>.lock``) for the read-modify-write of a save.
    """

    def __init__(self, path: str | os.PathLike[str], *,
                 before_replace: Callable[[Path], None] | None = None) -> None:
        """``before_replace`` is called with the temporary file once it is written and
        fsynced, before it replaces the old one: where a crash is the most telling."""
        self.path = Path(path).expanduser()
        self._lock = threading.RLock()
        self._before_replace = before_replace

    def __repr__(self) -> str:
        return f"<FileTokenStore path={str(self.path)!r}>"

    def load(self, user: str) -> Token | None:
        with self._lock:
            entry = self._read().get(user)
        if entry is None:
            return None
        try:
            return Token.from_dict(entry)
        except (ValueError, TypeError) as exc:
            raise TokenStoreError(
                f"token file {self.path} holds a malformed entry for user {user!r} ({exc}); "
                f"delete that entry or the file, then run the OAuth2 authorization flow again"
            ) from None

    def save(self, user: str, token: Token) -> None:
        with self._lock, self._process_lock():
            tokens = self._read()
            tokens[user] = token.to_dict()
            self._write(tokens)

    def delete(self, user: str) -> None:
        with self._lock, self._process_lock():
            tokens = self._read()
            if user in tokens:
                del tokens[user]
                self._write(tokens)

    def refresh_lock(self, user: str) -> contextlib.AbstractContextManager[None]:
        """Held around a refresh so that processes sharing this file refresh one at
        a time (``<file>.refresh.lock``; the user does not matter: one file, one lock)."""
        target = self._target()
        return file_lock(target.with_name(target.name + ".refresh.lock"))

    def users(self) -> list[str]:
        """The user names that have a token."""
        with self._lock:
            return sorted(self._read())

    # -- internals ----------------------------------------------------------------------
    def _read(self) -> dict[str, Any]:
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise TokenStoreError(
                f"cannot read token file {self.path} ({exc.strerror}); check its permissions") from None
        with os.fdopen(fd, "rb") as fh:
            mode = os.fstat(fh.fileno()).st_mode & 0o777
            raw = fh.read()
            try:
                data = json.loads(raw.decode("utf-8"))
            except UnicodeDecodeError:
                raise self._corrupt("it is not UTF-8 text") from None
            except json.JSONDecodeError as exc:
                raise self._corrupt(
                    f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
            if not isinstance(data, dict) or not isinstance(data.get("tokens"), dict):
                raise self._corrupt('it is not a {"version": 1, "tokens": {...}} object')
            if mode & 0o077 and os.name == "posix":
                self._tighten(fh.fileno(), mode)
        return dict(data["tokens"])

    def _tighten(self, fd: int, mode: int) -> None:
        if self.path.is_symlink():
            logger.warning("token file %s (a link to %s) is readable by others (mode %03o); "
                           "the store leaves the mode of a linked file to you: chmod 600 it",
                           self.path, os.path.realpath(self.path), mode)
            return
        logger.warning("token file %s was readable by others (mode %03o); setting it to 0600",
                       self.path, mode)
        with contextlib.suppress(OSError):
            os.fchmod(fd, 0o600)

    def _target(self) -> Path:
        """Where the bytes go: the link's target when ``path`` is a symbolic link."""
        return Path(os.path.realpath(self.path)) if self.path.is_symlink() else self.path

    def _corrupt(self, why: str) -> TokenStoreError:
        return TokenStoreError(
            f"token file {self.path} is corrupt ({why}); restore it from a backup, or delete it "
            f"and run the OAuth2 authorization flow again for its users")

    def _write(self, tokens: Mapping[str, Any]) -> None:
        payload = json.dumps({"version": FILE_FORMAT_VERSION, "tokens": tokens},
                             indent=2, sort_keys=True).encode("utf-8")
        target = self._target()
        directory = target.parent
        if not directory.exists():
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            atomic_write(target, payload, 0o600, before_replace=self._before_replace)
        except OSError as exc:
            raise TokenStoreError(
                f"cannot write token file {self.path} ({exc.strerror}); check the directory "
                f"{directory} exists and is writable") from None

    def _process_lock(self) -> contextlib.AbstractContextManager[None]:
        target = self._target()  # one lock per file, whichever link leads to it
        return file_lock(target.with_name(target.name + ".lock"))


class SqliteTokenStore:
    """Tokens in a SQLite table ``oauth_tokens(user, token, updated_at)``.

    The database file is created with mode 0600. One connection per call, so
    the store is safe across threads and processes (SQLite's own locking).
    """

    def __init__(self, path: str | os.PathLike[str], table: str = "oauth_tokens") -> None:
        if not table.isidentifier():
            raise errors.ConfigurationError(f"table must be a plain SQL identifier, got {table!r}")
        self.path = Path(path).expanduser()
        self.table = table
        self._lock = threading.Lock()
        self._ready = False

    def __repr__(self) -> str:
        return f"<SqliteTokenStore path={str(self.path)!r} table={self.table!r}>"

    def load(self, user: str) -> Token | None:
        with self._connect() as conn:
            row = conn.execute(f"SELECT token FROM {self.table} WHERE user = ?", (user,)).fetchone()
        if row is None:
            return None
        try:
            return Token.from_dict(json.loads(row[0]))
        except (ValueError, TypeError) as exc:
            raise TokenStoreError(
                f"token database {self.path} holds a malformed entry for user {user!r} ({exc}); "
                f"delete it and run the OAuth2 authorization flow again") from None

    def save(self, user: str, token: Token) -> None:
        with self._connect() as conn:
            conn.execute(
                f"INSERT INTO {self.table} (user, token, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT(user) DO UPDATE SET token = excluded.token, updated_at = excluded.updated_at",
                (user, json.dumps(token.to_dict()), time.time()))

    def delete(self, user: str) -> None:
        with self._connect() as conn:
            conn.execute(f"DELETE FROM {self.table} WHERE user = ?", (user,))

    def refresh_lock(self, user: str) -> contextlib.AbstractContextManager[None]:
        """Held around a refresh so that processes sharing this database refresh one
        at a time (``<database>.refresh.lock``)."""
        return file_lock(self.path.with_name(self.path.name + ".refresh.lock"))

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        if not self.path.exists():
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            with contextlib.suppress(FileExistsError):
                os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        try:
            conn = sqlite3.connect(str(self.path), timeout=30)
        except sqlite3.Error as exc:
            raise TokenStoreError(f"cannot open token database {self.path} ({exc})") from None
        try:
            with self._lock:
                if not self._ready:
                    conn.execute(f"CREATE TABLE IF NOT EXISTS {self.table} ("
                                 "user TEXT PRIMARY KEY, token TEXT NOT NULL, updated_at REAL NOT NULL)")
                    self._ready = True
            with conn:
                yield conn
        except sqlite3.DatabaseError as exc:
            raise TokenStoreError(
                f"token database {self.path} is unusable ({exc}); restore it from a backup, or "
                f"delete it and run the OAuth2 authorization flow again") from None
        finally:
            conn.close()
