"""The client side of OAuth2: keep one user's access token fresh, once for many threads."""
from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable

from ..http import errors
from .errors import OAuthError
from .flow import OAuth2
from .locking import refresh_lock
from .stores import TokenStore
from .token import DEFAULT_LEEWAY, Token

__all__ = ["DEFAULT_USER", "TokenManager"]

logger = logging.getLogger("basecrm_like.oauth")

DEFAULT_USER = "default"


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
        usable = self.usable_token()
        if usable is not None:
            return usable
        with self._lock:
            if self._unsaved is not None:
                self._install(self._unsaved)
            if self._expiring(self._token):
                self._refresh_locked("expiring")
            return self._token.access_token

    def usable_token(self) -> str | None:
        """The access token when it can be used as it is (no refresh, nothing to save),
        else None: what :meth:`access_token` decides without waiting for anything."""
        token = self._token
        if self._unsaved is None and not self._expiring(token):
            return token.access_token
        return None

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
        with refresh_lock(self.store, self.user):
            self._refresh_held(reason)

    def _refresh_held(self, reason: str) -> None:
        """Under both locks: adopt what another process saved, else refresh."""
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
            if exc.error == "invalid_grant" and self._adopt_saved(current):
                return
            self._refused = (current.refresh_token, exc)
            raise
        self.refresh_count += 1
        self._remember(new)
        self._install(new)
        logger.info("refreshed the OAuth2 access token of user %r (%s); expires in %s s",
                    self.user, reason,
                    f"{new.expires_in:g}" if new.expires_in is not None else "never")

    def _adopt_saved(self, refused: Token) -> bool:
        """After ``invalid_grant``: another process (one without the shared lock, or
        with a store that has none) may have rotated the refresh token and saved
        the result. Adopt that token if it is usable."""
        stored = self.store.load(self.user)
        if stored is None or (stored.access_token == refused.access_token
                              and stored.refresh_token == refused.refresh_token):
            return False
        self._remember(stored)
        self._token = stored
        if self._expiring(stored):
            if not stored.refresh_token:
                return False
            self._install(self.oauth.refresh(stored.refresh_token))
            self.refresh_count += 1
        logger.info("refresh token of user %r was already used; adopted the token another "
                    "process saved", self.user)
        return True

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
