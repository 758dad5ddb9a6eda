"""Which bearer tokens the mock accepts, for whom, and until when.

All token checking goes through :meth:`Tokens.authenticate`, so an OAuth layer
can issue short-lived tokens with :meth:`Tokens.add` (``expires_at``) and get
the API's 401 for expired ones without touching the request path.
"""
from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .errors import error
from .values import INT64

#: accepted when the server is started without any token (documented, not a secret)
DEV_TOKEN = "basecrm-like-mock-development-token-0000000000000000000000000000"
assert len(DEV_TOKEN) == 64

#: every scope the API knows; personal access tokens carry all of them
SCOPES = ("read", "write", "profile", "sync")
_DETAILS = "Required access token is missing, malformed, expired, or invalid."


@dataclass(frozen=True)
class TokenInfo:
    token: str
    user_id: int = 1
    #: seconds since the epoch; None never expires (personal access tokens)
    expires_at: float | None = None
    scopes: tuple[str, ...] = SCOPES


class Tokens:
    """A thread-safe registry of accepted tokens. Survives /_mock/reset on purpose:
    tokens are configuration of the server, not data of the account."""

    def __init__(self, tokens: Iterable[str] = (),
                 clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._tokens: dict[str, TokenInfo] = {}
        for token in tokens or (DEV_TOKEN,):
            self.add(token)
        self.default = next(iter(self._tokens))

    def add(self, token: str, user_id: int = 1, expires_at: float | None = None,
            scopes: tuple[str, ...] | None = None) -> TokenInfo:
        if not isinstance(token, str) or not token or any(c.isspace() for c in token):
            raise ValueError("a token must be a non-empty string without whitespace")
        if isinstance(user_id, bool) or not isinstance(user_id, int) or not 1 <= user_id <= INT64:
            raise ValueError(f"user_id must be an integer from 1 to {INT64}")
        if expires_at is not None and not math.isfinite(expires_at):
            raise ValueError("expires_at must be a finite time")
        info = TokenInfo(token, user_id, expires_at, scopes or TokenInfo.scopes)
        with self._lock:
            self._tokens[token] = info
        return info

    def remove(self, token: str) -> None:
        with self._lock:
            self._tokens.pop(token, None)

    def authenticate(self, authorization: str | None, now: float | None = None) -> TokenInfo:
        """The token's info from an ``Authorization`` header, or the API's 401."""
        if not authorization:
            raise error(401, "unauthorized", "Unauthorized",
                        f"{_DETAILS} No Authorization header was sent; send "
                        "'Authorization: Bearer <access token>'.")
        scheme, _, token = authorization.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise error(401, "unauthorized", "Unauthorized",
                        f"{_DETAILS} The Authorization header must be 'Bearer <access token>'.")
        with self._lock:
            info = self._tokens.get(token)
        if info is None:
            raise error(401, "unauthorized", "Unauthorized",
                        f"{_DETAILS} This token is not known to the server.")
        if info.expires_at is not None and (self._clock() if now is None else now) >= info.expires_at:
            raise error(401, "unauthorized", "Unauthorized",
                        f"{_DETAILS} The access token expired at "
                        f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(info.expires_at))}; "
                        "refresh it or request a new one.")
        return info
