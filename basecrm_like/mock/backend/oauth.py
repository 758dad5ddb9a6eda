"""The state and rules of the mock's OAuth 2 authorization server.

- Authorization codes are single use and live 10 minutes.
- Refresh tokens rotate: each use returns a new one, and the old one then gets
  ``invalid_grant``; a revoked one too.
- Access tokens are registered with the server's :class:`~.tokens.Tokens` with an
  expiry, so ``/v2`` accepts them until they expire and then answers the API's 401.
- The password grant logs in the seeded users (their email and :data:`DEV_PASSWORD`).

Every refusal is an :class:`OAuthProblem` (RFC 6749's ``error`` and
``error_description``); the wire layer decides how it travels (JSON body or
redirect parameters).
"""
from __future__ import annotations

import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .oauth_clients import (
    DEV_OAUTH_CLIENT,
    OAuthClient,
    OAuthClientSpec,
    parse_oauth_client,
    valid_redirect,
)
from .seed import USERS
from .tokens import SCOPES, Tokens

__all__ = ["DEFAULT_TOKEN_TTL", "DEV_PASSWORD", "Authorization", "OAuthProblem", "OAuthServer"]

#: seconds an access token lives unless ``--token-ttl`` says otherwise (as the API)
DEFAULT_TOKEN_TTL = 3600
CODE_TTL = 600
DEFAULT_SCOPE = "read write profile"
#: the password the password grant accepts for the seeded users (documented, not a secret)
DEV_PASSWORD = "basecrm-like-dev-password"


class OAuthProblem(Exception):
    """An RFC 6749 error. ``challenge``: the client authenticated (or should have)
    with HTTP Basic, so the answer asks for it again."""

    def __init__(self, error: str, description: str, status: int = 400,
                 challenge: bool = False) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status
        self.challenge = challenge


@dataclass(frozen=True)
class Authorization:
    """Where an authorization request sends the user agent back, and with what;
    ``fragment`` puts the parameters after ``#`` (the implicit grant)."""

    target: str
    params: dict[str, Any]
    fragment: bool = False


@dataclass
class _Code:
    client_id: str
    redirect_uri: str | None
    scope: str
    user_id: int
    expires_at: float


@dataclass
class _Refresh:
    client_id: str
    scope: str
    user_id: int
    #: "live", "rotated" (used once already) or "revoked"
    state: str = "live"
    access_token: str | None = None


def seeded_user(username: str, password: str) -> int | None:
    """The seeded users log in with their email and :data:`DEV_PASSWORD`."""
    if not secrets.compare_digest(password.encode(), DEV_PASSWORD.encode()):
        return None
    emails = [str(user.get("email", "")).lower() for user in USERS]
    name = username.strip().lower()
    return emails.index(name) + 1 if name in emails else None


class OAuthServer:
    """Registered clients, outstanding codes and refresh tokens, and grant counts.

    ``find_user(username, password)`` returns the user id the password grant
    logs in, or None (default: :func:`seeded_user`).
    """

    def __init__(self, tokens: Tokens, clients: Iterable[OAuthClientSpec] = (),
                 token_ttl: float = DEFAULT_TOKEN_TTL,
                 find_user: Callable[[str, str], int | None] = seeded_user,
                 clock: Callable[[], float] = time.time) -> None:
        if not token_ttl or token_ttl <= 0:
            raise ValueError(f"token_ttl must be a positive number of seconds, got {token_ttl!r}")
        parsed = [parse_oauth_client(c) for c in clients] or [DEV_OAUTH_CLIENT]
        self.clients: dict[str, OAuthClient] = {c.client_id: c for c in parsed}
        self.tokens = tokens
        self.token_ttl = float(token_ttl)
        self.find_user = find_user
        self.clock = clock
        self._lock = threading.Lock()
        self._codes: dict[str, _Code] = {}
        self._refresh: dict[str, _Refresh] = {}
        self.grants: Counter[str] = Counter()

    def status(self) -> dict[str, Any]:
        """Registered ids, token lifetime and tokens issued per grant, for tests."""
        with self._lock:
            states = Counter(r.state for r in self._refresh.values())
            return {"clients": sorted(self.clients), "token_ttl": self.token_ttl,
                    "grants": dict(self.grants),
                    "refresh_tokens": {"live": states["live"], "rotated": states["rotated"]}}

    # -- authorization endpoint ----------------------------------------------------------
    def authorize(self, args: Mapping[str, str]) -> Authorization:
        """Where to send the user agent. Raises :class:`OAuthProblem` only when the
        client or redirect URI cannot be trusted (no redirect then); other errors
        travel in the redirect."""
        client = self.clients.get(args.get("client_id", ""))
        if client is None:
            raise OAuthProblem("invalid_client", "Unknown client_id; register the app with "
                               "--oauth-client ID:SECRET.")
        redirect_uri = args.get("redirect_uri")
        if redirect_uri is None:
            if len(client.redirect_uris) != 1:
                raise OAuthProblem("invalid_request", "redirect_uri is required.")
            target = client.redirect_uris[0]
        elif not valid_redirect(redirect_uri) or (
                client.redirect_uris and redirect_uri not in client.redirect_uris):
            raise OAuthProblem("invalid_request", "redirect_uri does not match the one "
                               "registered for this client.")
        else:
            target = redirect_uri
        state = args.get("state")
        response_type = args.get("response_type", "code")
        try:
            scope = _scope(args.get("scope"))
            if response_type not in ("code", "token"):
                raise OAuthProblem("unsupported_response_type",
                                   "response_type must be code or token.")
        except OAuthProblem as problem:
            return Authorization(target, {"error": problem.error,
                                          "error_description": problem.description,
                                          "state": state})
        user_id = 1
        if response_type == "token":
            with self._lock:
                self.grants["implicit"] += 1
            issued = self._issue(client.client_id, scope, user_id, with_refresh=False)
            return Authorization(target, {**issued, "state": state}, fragment=True)
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = _Code(client.client_id, redirect_uri, scope, user_id,
                                      self.clock() + CODE_TTL)
        return Authorization(target, {"code": code, "state": state})

    # -- token endpoint ------------------------------------------------------------------
    def authenticate_client(self, client_id: str, secret: str, *, basic: bool) -> OAuthClient:
        """The registered client these credentials name, or ``invalid_client``."""
        if not client_id:
            raise OAuthProblem("invalid_client", "Client authentication is required (HTTP "
                               "Basic or client_id and client_secret).", 401, challenge=True)
        client = self.clients.get(client_id)
        if client is None or not secrets.compare_digest(client.client_secret.encode(),
                                                        secret.encode()):
            raise OAuthProblem("invalid_client", "Unknown client or wrong client secret.", 401,
                               challenge=basic)
        return client

    def token(self, client: OAuthClient, form: Mapping[str, str]) -> dict[str, Any]:
        """The token answer for one grant request."""
        grant = form.get("grant_type")
        if not grant:
            raise OAuthProblem("invalid_request", "grant_type is required.")
        if grant == "authorization_code":
            return self._code_grant(client, form.get("code"), form.get("redirect_uri"))
        if grant == "refresh_token":
            return self._refresh_grant(client, form.get("refresh_token"), form.get("scope"))
        if grant == "password":
            return self._password_grant(client, form.get("username"), form.get("password"),
                                        form.get("scope"))
        raise OAuthProblem("unsupported_grant_type",
                           f"grant_type {grant!r} is not supported; use "
                           "authorization_code, refresh_token or password.")

    def _code_grant(self, client: OAuthClient, code: str | None,
                    redirect_uri: str | None) -> dict[str, Any]:
        if not code:
            raise OAuthProblem("invalid_request", "code is required.")
        with self._lock:
            entry = self._codes.pop(code, None)  # single use, whatever happens next
        if entry is None or entry.client_id != client.client_id:
            raise OAuthProblem("invalid_grant", "The authorization code is invalid, expired or "
                               "already used.")
        if entry.expires_at <= self.clock():
            raise OAuthProblem("invalid_grant", "The authorization code expired.")
        if entry.redirect_uri is not None and redirect_uri != entry.redirect_uri:
            raise OAuthProblem("invalid_grant", "redirect_uri does not match the authorization "
                               "request's.")
        with self._lock:
            self.grants["authorization_code"] += 1
        return self._issue(client.client_id, entry.scope, entry.user_id)

    def _refresh_grant(self, client: OAuthClient, refresh_token: str | None,
                       scope: str | None) -> dict[str, Any]:
        if not refresh_token:
            raise OAuthProblem("invalid_request", "refresh_token is required.")
        with self._lock:
            entry = self._refresh.get(refresh_token)
            if entry is None or entry.client_id != client.client_id:
                raise OAuthProblem("invalid_grant", "The refresh token is invalid.")
            if entry.state == "rotated":
                raise OAuthProblem("invalid_grant", "The refresh token was already used; refresh "
                                   "tokens rotate, use the newest one.")
            if entry.state == "revoked":
                raise OAuthProblem("invalid_grant", "The refresh token was revoked.")
            granted = entry.scope
            if scope is not None:
                asked = _scope(scope)
                if not set(asked.split()) <= set(granted.split()):
                    raise OAuthProblem("invalid_scope", "A refresh cannot widen the scope.")
                granted = asked
            entry.state = "rotated"
            self.grants["refresh_token"] += 1
        return self._issue(client.client_id, granted, entry.user_id)

    def _password_grant(self, client: OAuthClient, username: str | None, password: str | None,
                        scope: str | None) -> dict[str, Any]:
        if not username or password is None:
            raise OAuthProblem("invalid_request", "username and password are required.")
        user_id = self.find_user(username, password)
        if user_id is None:
            raise OAuthProblem("invalid_grant", "Wrong username or password.")
        granted = _scope(scope)
        with self._lock:
            self.grants["password"] += 1
        return self._issue(client.client_id, granted, user_id)

    # -- revocation endpoint -------------------------------------------------------------
    def revoke(self, client: OAuthClient, token: str) -> None:
        """Revoke a refresh token (and its access token) or an access token (RFC 7009:
        unknown tokens are not an error)."""
        with self._lock:
            entry = self._refresh.get(token)
            if entry is not None and entry.client_id == client.client_id:
                entry.state = "revoked"
                if entry.access_token:
                    self.tokens.remove(entry.access_token)
        if entry is None:
            self.tokens.remove(token)

    def _issue(self, client_id: str, scope: str, user_id: int,
               with_refresh: bool = True) -> dict[str, Any]:
        access = "mock-at-" + secrets.token_urlsafe(32)
        self.tokens.add(access, user_id=user_id, expires_at=self.clock() + self.token_ttl,
                        scopes=tuple(scope.split()))
        ttl = int(self.token_ttl) if float(self.token_ttl).is_integer() else self.token_ttl
        body: dict[str, Any] = {"access_token": access, "token_type": "bearer",
                                "expires_in": ttl, "scope": scope}
        if with_refresh:
            refresh = "mock-rt-" + secrets.token_urlsafe(32)
            with self._lock:
                self._refresh[refresh] = _Refresh(client_id, scope, user_id, access_token=access)
            body["refresh_token"] = refresh
        return body


def _scope(scope: str | None) -> str:
    if scope is None or not scope.strip():
        return DEFAULT_SCOPE
    names = scope.replace(",", " ").split()
    unknown = [n for n in names if n not in SCOPES]
    if unknown:
        raise OAuthProblem("invalid_scope", f"Unknown scope {unknown[0]!r}; the scopes are "
                           f"{', '.join(SCOPES)}.")
    return " ".join(dict.fromkeys(names))
