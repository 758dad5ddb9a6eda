"""OAuth 2: the authorization flow, tokens, their refresh, and where they are kept.

Three pieces, usable on their own:

- :class:`OAuth2` talks to the authorization server: it builds the URL a user
  is sent to, and trades a code, a refresh token or a username and password
  for a :class:`Token` at ``{base_url}/oauth2/token``.
- Token stores keep one token per user between runs: :class:`FileTokenStore`
  (a JSON file, written atomically, mode 0600), :class:`SqliteTokenStore` and
  :class:`MemoryTokenStore`. Any object with ``load``, ``save`` and ``delete``
  (the :class:`TokenStore` protocol) works as well.
- :class:`TokenManager` is what a :class:`~basecrm_like.Client` built with
  ``oauth=...`` uses: it loads the token from the store, refreshes it shortly
  before it expires or once when a request is answered 401, saves the new
  token before using it, and makes many threads sharing a client cause one
  refresh rather than one each.

No token value ever reaches a log line, a repr or an error message.
"""
from __future__ import annotations

import contextlib
import datetime as _dt
import json
import logging
import os
import secrets
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable
from urllib.parse import parse_qsl, urlencode, urlsplit

import requests

from . import errors
from .configuration import PRODUCTION_URL, default_user_agent

__all__ = [
    "DEFAULT_LEEWAY",
    "FileTokenStore",
    "MemoryTokenStore",
    "OAuth2",
    "OAuthError",
    "SqliteTokenStore",
    "Token",
    "TokenManager",
    "TokenStore",
    "TokenStoreError",
]

logger = logging.getLogger("basecrm_like.oauth")

#: seconds before ``expires_at`` at which a token counts as expired and is refreshed
DEFAULT_LEEWAY = 60.0
DEFAULT_USER = "default"
SCOPES = ("read", "write", "profile", "sync")


# -- errors ---------------------------------------------------------------------------
_OAUTH_HINTS = {
    "invalid_grant": "the authorization code or refresh token is invalid, expired, already "
    "used or revoked; send the user through the authorization flow again "
    "(OAuth2.authorization_url, then exchange_code) and save the new token",
    "invalid_client": "the authorization server does not know this client_id and "
    "client_secret pair; check both against the OAuth app registered in Sell",
    "invalid_request": "the token request was missing a parameter or malformed; check "
    "redirect_uri (it must match the one registered for the app) and the code",
    "unauthorized_client": "this client may not use this grant type; enable it for the "
    "OAuth app or use the authorization code flow",
    "unsupported_grant_type": "the authorization server does not accept this grant type; "
    "use authorization_code or refresh_token",
    "invalid_scope": "ask only for the scopes read, write, profile and sync",
    "access_denied": "the user declined the authorization; ask again or stop",
    "state_mismatch": "the state in the callback is not the one this flow sent; start "
    "the authorization flow again (a stale or forged callback)",
    "invalid_response": "the token endpoint did not answer with a token; check base_url "
    "points at the API host (https://api.getbase.com)",
}


class OAuthError(errors.RequestError):
    """The authorization server refused a request (RFC 6749 section 5.2).

    ``error`` is the server's code (``invalid_grant``, ``invalid_client``,
    ``invalid_request``, ``unsupported_grant_type``, ...), ``description`` its
    text. Also a :class:`~basecrm_like.RequestError`, so ``code`` works too.
    """

    def __init__(self, error: str, description: str | None = None, http_status: int = 400,
                 headers: Mapping[str, str] | None = None) -> None:
        self.error = error
        self.description = description
        super().__init__(http_status, None, [{"code": error, "message": description}], headers)

    def _message(self) -> str:
        text = f"OAuth2 error {self.error} (HTTP {self.http_status})"
        if self.description:
            text += f": {self.description.rstrip('.')}"
        hint = _OAUTH_HINTS.get(self.error, "see the error above and the OAuth app's settings")
        return f"{text}. What to do: {hint}."


class TokenStoreError(errors.ConfigurationError):
    """A token store could not be read or written (corrupt file, permissions).

    Raised rather than treating the user as logged out, so a damaged store is
    noticed and repaired instead of silently sending people to log in again.
    """


# -- tokens ---------------------------------------------------------------------------
@dataclass
class Token:
    """An OAuth2 access token with its refresh token.

    ``expires_at`` is a Unix timestamp (float seconds, UTC) or None when the
    token does not expire. The repr shows neither token value.
    """

    access_token: str = field(repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    expires_at: float | None = None
    scope: str | None = None
    token_type: str = "bearer"
    #: the lifetime granted, in seconds (``expires_in`` of the answer), if known
    expires_in: float | None = None

    @classmethod
    def from_response(cls, payload: Mapping[str, Any], now: float | None = None) -> Token:
        """Build a token from the token endpoint's JSON answer."""
        access = payload.get("access_token")
        if not isinstance(access, str) or not access:
            raise OAuthError("invalid_response", "the answer has no access_token", 200)
        token_type = str(payload.get("token_type") or "bearer")
        if token_type.lower() != "bearer":
            raise OAuthError("invalid_response", f"unsupported token_type {token_type!r}", 200)
        expires_in = payload.get("expires_in")
        lifetime: float | None
        try:
            lifetime = float(expires_in) if expires_in is not None else None
        except (TypeError, ValueError):
            lifetime = None
        issued = time.time() if now is None else now
        refresh = payload.get("refresh_token")
        return cls(
            access_token=access,
            refresh_token=refresh if isinstance(refresh, str) and refresh else None,
            expires_at=issued + lifetime if lifetime is not None else None,
            scope=payload.get("scope") if isinstance(payload.get("scope"), str) else None,
            token_type="bearer",
            expires_in=lifetime,
        )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Token:
        """The inverse of :meth:`to_dict`; raises ValueError on a malformed entry."""
        if not isinstance(data, Mapping):
            raise ValueError("a token entry must be a JSON object")
        access = data.get("access_token")
        if not isinstance(access, str) or not access:
            raise ValueError("a token entry has no access_token")
        expires_at = data.get("expires_at")
        if expires_at is not None and not isinstance(expires_at, (int, float)):
            raise ValueError("expires_at must be a Unix timestamp or null")
        expires_in = data.get("expires_in")
        return cls(
            access_token=access,
            refresh_token=data.get("refresh_token") or None,
            expires_at=float(expires_at) if expires_at is not None else None,
            scope=data.get("scope"),
            token_type=str(data.get("token_type") or "bearer"),
            expires_in=float(expires_in) if isinstance(expires_in, (int, float)) else None,
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict holding the token values: store it where only you can read it."""
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "expires_at": self.expires_at,
            "scope": self.scope,
            "token_type": self.token_type,
            "expires_in": self.expires_in,
        }

    def expired(self, leeway: float = 0.0, now: float | None = None) -> bool:
        """True when the token expires within ``leeway`` seconds (or already has)."""
        if self.expires_at is None:
            return False
        current = time.time() if now is None else now
        return current >= self.expires_at - leeway

    @property
    def expires_at_datetime(self) -> _dt.datetime | None:
        """``expires_at`` as an aware UTC datetime."""
        if self.expires_at is None:
            return None
        return _dt.datetime.fromtimestamp(self.expires_at, tz=_dt.timezone.utc)

    def __repr__(self) -> str:
        when = self.expires_at_datetime
        expiry = when.isoformat(timespec="seconds") if when else "never"
        refresh = "set" if self.refresh_token else "none"
        return (f"<Token type={self.token_type} scope={self.scope!r} expires_at={expiry} "
                f"access_token=<redacted> refresh_token=<{refresh}>>")

    __str__ = __repr__


# -- the authorization server ---------------------------------------------------------
class OAuth2:
    """A registered OAuth app talking to the authorization server.

    >>> oauth = OAuth2("my-client-id", "my-secret", "https://app.example/callback")
    >>> url, state = oauth.authorization_url()   # send the user there, keep state
    >>> token = oauth.exchange_code(code)        # doctest: +SKIP  (code from the callback)

    ``leeway`` is how many seconds before expiry a :class:`TokenManager` refreshes
    (at most half the token's lifetime). Token requests are not retried: a
    refresh that reached the server may have rotated the refresh token already.
    """

    def __init__(self, client_id: str, client_secret: str, redirect_uri: str | None = None,
                 base_url: str = PRODUCTION_URL, *, leeway: float = DEFAULT_LEEWAY,
                 timeout: float | tuple[float, float] = 30,
                 session: requests.Session | None = None, user_agent: str | None = None,
                 verify_ssl: bool | str = True) -> None:
        if not client_id or not isinstance(client_id, str):
            raise errors.ConfigurationError("OAuth2 needs the client_id of your OAuth app")
        if not client_secret or not isinstance(client_secret, str):
            raise errors.ConfigurationError("OAuth2 needs the client_secret of your OAuth app")
        parts = urlsplit(base_url) if isinstance(base_url, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
            raise errors.ConfigurationError(
                f"OAuth2 base_url must be an http(s) URL such as {PRODUCTION_URL!r}, got {base_url!r}")
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uri = redirect_uri
        self.base_url = base_url.rstrip("/")
        self.leeway = float(leeway)
        self.timeout = timeout
        self.session = session or requests.Session()
        self.user_agent = user_agent or default_user_agent()
        self.verify_ssl = verify_ssl

    def __repr__(self) -> str:
        return (f"<OAuth2 client_id={self.client_id!r} redirect_uri={self.redirect_uri!r} "
                f"base_url={self.base_url!r} client_secret=<redacted>>")

    @property
    def token_url(self) -> str:
        return f"{self.base_url}/oauth2/token"

    @property
    def authorize_url(self) -> str:
        return f"{self.base_url}/oauth2/authorize"

    # -- step 1: send the user to the authorization server --------------------------
    def authorization_url(self, state: str | None = None,
                          scope: str | Iterable[str] | None = None) -> tuple[str, str]:
        """The URL to send the user to, and the ``state`` to check on the callback.

        ``state`` is generated (``secrets.token_urlsafe``) when not given; keep it
        (in the user's session) and pass it to :meth:`code_from_callback`.
        ``scope`` is a space-separated string or a list (``["read", "write"]``);
        None asks for the app's default scopes.
        """
        state = state or secrets.token_urlsafe(24)
        query = {"response_type": "code", "client_id": self.client_id}
        if self.redirect_uri:
            query["redirect_uri"] = self.redirect_uri
        if scope is not None:
            query["scope"] = scope if isinstance(scope, str) else " ".join(scope)
        query["state"] = state
        return f"{self.authorize_url}?{urlencode(query)}", state

    @staticmethod
    def code_from_callback(params: str | Mapping[str, str], expected_state: str | None) -> str:
        """The ``code`` of the callback request, after checking its ``state``.

        ``params`` is the callback's query (a mapping such as Flask's
        ``request.args``, a query string or the full callback URL).
        Raises :class:`OAuthError` for ``error=access_denied`` and the like, and
        for a state that does not match.
        """
        if isinstance(params, str):
            query = urlsplit(params).query if "?" in params or "://" in params else params
            values: Mapping[str, str] = dict(parse_qsl(query))
        else:
            values = params
        if values.get("error"):
            raise OAuthError(str(values["error"]), values.get("error_description"), 400)
        if expected_state is None or not secrets.compare_digest(
                str(values.get("state", "")), expected_state):
            raise OAuthError("state_mismatch", "the callback's state does not match", 400)
        code = values.get("code")
        if not code:
            raise OAuthError("invalid_request", "the callback has no code", 400)
        return str(code)

    # -- step 2: trade something for a token ----------------------------------------
    def exchange_code(self, code: str, redirect_uri: str | None = None) -> Token:
        """Trade the authorization code of the callback for a token."""
        form = {"grant_type": "authorization_code", "code": code}
        uri = redirect_uri or self.redirect_uri
        if uri:
            form["redirect_uri"] = uri
        return self._token_request(form, secret_values=(code,))

    def refresh(self, refresh_token: str) -> Token:
        """A new access token for a refresh token.

        The server may rotate the refresh token: save the returned token and
        forget the old one. When the answer carries no refresh token the old
        one stays valid and is kept in the returned token.
        """
        if not refresh_token:
            raise OAuthError("invalid_grant", "there is no refresh token to use", 400)
        token = self._token_request({"grant_type": "refresh_token", "refresh_token": refresh_token},
                                    secret_values=(refresh_token,))
        if token.refresh_token is None:
            token.refresh_token = refresh_token
        return token

    def password(self, username: str, password: str, scope: str | Iterable[str] | None = None) -> Token:
        """The resource owner password grant, for trusted first-party scripts."""
        form = {"grant_type": "password", "username": username, "password": password}
        if scope is not None:
            form["scope"] = scope if isinstance(scope, str) else " ".join(scope)
        return self._token_request(form, secret_values=(password,))

    def _token_request(self, form: dict[str, str], secret_values: Iterable[str] = ()) -> Token:
        grant = form["grant_type"]
        started = time.perf_counter()
        try:
            resp = self.session.post(
                self.token_url, data=form, auth=(self.client_id, self.client_secret),
                headers={"Accept": "application/json", "User-Agent": self.user_agent},
                timeout=self.timeout, verify=self.verify_ssl, allow_redirects=False,
            )
        except requests.exceptions.Timeout as exc:
            # no request= here: its body holds the code, refresh token or password
            raise errors.TimeoutError(
                f"POST /oauth2/token ({grant}) timed out after {self.timeout!r} s "
                f"({type(exc).__name__}); retry later or raise the timeout") from None
        except requests.exceptions.ConnectionError as exc:
            raise errors.ConnectionError(
                f"POST /oauth2/token ({grant}): cannot reach {self.base_url} "
                f"({type(exc).__name__}); check base_url and the network, then retry") from None
        logger.debug("POST %s grant_type=%s -> %s in %.1f ms", urlsplit(self.token_url).path,
                     grant, resp.status_code, (time.perf_counter() - started) * 1000)
        hidden = [v for v in secret_values if v] + [self.client_secret]
        payload: Any
        try:
            payload = resp.json()
        except ValueError:
            payload = None
        if 200 <= resp.status_code < 300:
            if not isinstance(payload, dict):
                raise OAuthError("invalid_response", "the token endpoint did not answer JSON",
                                 resp.status_code, resp.headers)
            return Token.from_response(payload)
        if isinstance(payload, dict) and isinstance(payload.get("error"), str):
            description = payload.get("error_description")
            raise OAuthError(
                _hide(payload["error"], hidden),
                _hide(str(description), hidden) if description else None,
                resp.status_code, resp.headers)
        if resp.status_code >= 500:
            raise errors.ServerError(resp.status_code, resp.headers.get("X-Request-Id"), [],
                                     resp.headers, _hide(resp.text[:200], hidden))
        raise OAuthError("invalid_response",
                         f"unexpected HTTP {resp.status_code} answer without an OAuth2 error",
                         resp.status_code, resp.headers)


def _hide(text: str, values: Iterable[str]) -> str:
    for value in values:
        if value:
            text = text.replace(value, "<redacted>")
    return text


# -- token stores ---------------------------------------------------------------------
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
      to create, 0700); a file found with wider permissions is tightened.
    - A corrupt file raises :class:`TokenStoreError` naming the file instead of
      reading as "no token".
    - Safe across threads (a lock) and, on POSIX, across processes (``flock`` on
      ``<path>.lock``) for the read-modify-write of a save.
    """

    #: called with the temporary path after it is written and fsynced, before
    #: the replace; tests use it to crash a writer at the worst moment
    _before_replace: Callable[[Path], None] | None = None

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path).expanduser()
        self._lock = threading.RLock()

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
        if mode & 0o077 and os.name == "posix":
            logger.warning("token file %s was readable by others (mode %03o); setting it to 0600",
                           self.path, mode)
            with contextlib.suppress(OSError):
                os.chmod(self.path, 0o600)
        try:
            data = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError:
            raise self._corrupt("it is not UTF-8 text") from None
        except json.JSONDecodeError as exc:
            raise self._corrupt(f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
        if not isinstance(data, dict) or not isinstance(data.get("tokens"), dict):
            raise self._corrupt('it is not a {"version": 1, "tokens": {...}} object')
        return dict(data["tokens"])

    def _corrupt(self, why: str) -> TokenStoreError:
        return TokenStoreError(
            f"token file {self.path} is corrupt ({why}); restore it from a backup, or delete it "
            f"and run the OAuth2 authorization flow again for its users")

    def _write(self, tokens: Mapping[str, Any]) -> None:
        payload = json.dumps({"version": FILE_FORMAT_VERSION, "tokens": tokens},
                             indent=2, sort_keys=True).encode("utf-8")
        directory = self.path.parent
        if not directory.exists():
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = directory / f".{self.path.name}.{secrets.token_hex(6)}.tmp"
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
        try:
            fd = os.open(tmp, flags, 0o600)
        except OSError as exc:
            raise TokenStoreError(
                f"cannot write token file {self.path} ({exc.strerror}); check the directory "
                f"{directory} exists and is writable") from None
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(payload)
                fh.flush()
                os.fsync(fh.fileno())
            hook = type(self)._before_replace
            if hook is not None:
                hook(tmp)
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        _fsync_directory(directory)

    @contextlib.contextmanager
    def _process_lock(self) -> Iterator[None]:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: threads only
            yield
            return
        lock_path = self.path.with_name(self.path.name + ".lock")
        if not self.path.parent.exists():
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself durable (POSIX); a no-op where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


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


# -- the client side: keep a fresh token ------------------------------------------------
class TokenManager:
    """Keeps one user's access token fresh for a :class:`~basecrm_like.Client`.

    - The token is loaded from the store when the manager is made; without one
      a :class:`ConfigurationError` says to run the authorization flow first.
    - :meth:`access_token` refreshes when the token expires within the leeway.
    - :meth:`renew` is called after a 401; it refreshes once unless another
      thread already replaced the rejected token.
    - Refreshes happen under a lock with a re-check, so threads sharing the
      manager cause one refresh; the store is re-read first, so a token another
      process refreshed (and rotated) is adopted rather than refreshed again.
    - A new token is saved to the store before it is used. If a refresh fails,
      nothing changes: the store keeps the old token.
    """

    def __init__(self, oauth: OAuth2, store: TokenStore, user: str | None = None,
                 leeway: float | None = None, clock: Callable[[], float] = time.time) -> None:
        self.oauth = oauth
        self.store = store
        self.user = user or DEFAULT_USER
        self.leeway = float(leeway if leeway is not None else getattr(oauth, "leeway", DEFAULT_LEEWAY))
        self.clock = clock
        self._lock = threading.Lock()
        self._unsaved: Token | None = None
        self._refused: tuple[str, OAuthError] | None = None
        self._seen: deque[str] = deque(maxlen=16)
        self._seen_lock = threading.Lock()
        self.refresh_count = 0
        token = store.load(self.user)
        if token is None:
            raise errors.ConfigurationError(
                f"no OAuth2 token stored for user {self.user!r} in {store!r}; run the "
                "authorization flow first (OAuth2.authorization_url, then exchange_code) and "
                "save the token with token_store.save(user, token)")
        self._token: Token = token
        self._remember(token)

    def __repr__(self) -> str:
        return f"<TokenManager user={self.user!r} token={self._token!r}>"

    @property
    def token(self) -> Token:
        """The token in use (its repr hides the values)."""
        return self._token

    def access_token(self) -> str:
        """A usable access token, refreshing first if it is about to expire."""
        token = self._token
        if self._unsaved is None and not self._expiring(token):
            return token.access_token
        with self._lock:
            if self._unsaved is not None:
                self._install(self._unsaved)
            if self._expiring(self._token):
                self._refresh_locked("expiring")
            return self._token.access_token

    def renew(self, rejected: str) -> bool:
        """After a 401 for ``rejected``: get a token to repeat the request with.

        True when there is a different token to try (fresh from another thread,
        another process via the store, or a refresh); raises
        :class:`OAuthError` when the refresh is refused.
        """
        with self._lock:
            if self._token.access_token != rejected:
                return True
            self._refresh_locked("rejected with 401")
            return self._token.access_token != rejected

    def secrets(self) -> list[str]:
        """Every token value this manager has held: never to be logged."""
        with self._seen_lock:
            return list(self._seen)

    # -- internals ----------------------------------------------------------------------
    def _expiring(self, token: Token) -> bool:
        leeway = self.leeway
        if token.expires_in is not None:
            leeway = min(leeway, token.expires_in / 2)
        return token.expired(leeway, now=self.clock())

    def _refresh_locked(self, reason: str) -> None:
        current = self._token
        stored = self.store.load(self.user)
        if stored is not None and stored.access_token != current.access_token:
            # another process refreshed (and maybe rotated the refresh token): adopt its token
            self._remember(stored)
            self._token = current = stored
            if not self._expiring(stored):
                logger.info("using the OAuth2 token saved by another process for user %r", self.user)
                return
        if not current.refresh_token:
            raise errors.ConfigurationError(
                f"the OAuth2 token of user {self.user!r} has expired and has no refresh token; "
                "run the authorization flow again")
        if self._refused is not None and self._refused[0] == current.refresh_token:
            # the server already refused this refresh token: don't ask again per thread
            refused = self._refused[1]
            raise OAuthError(refused.error, refused.description, refused.http_status)
        try:
            new = self.oauth.refresh(current.refresh_token)
        except OAuthError as exc:
            self._refused = (current.refresh_token, exc)
            raise
        self.refresh_count += 1
        self._remember(new)
        self._install(new)
        logger.info("refreshed the OAuth2 access token of user %r (%s); expires in %s s",
                    self.user, reason,
                    f"{new.expires_in:g}" if new.expires_in is not None else "never")

    def _install(self, token: Token) -> None:
        """Save, then use: a crash between the two loses nothing."""
        self._unsaved = token
        self.store.save(self.user, token)
        self._unsaved = None
        self._token = token

    def _remember(self, token: Token) -> None:
        with self._seen_lock:
            for value in (token.access_token, token.refresh_token):
                if value and value not in self._seen:
                    self._seen.append(value)
