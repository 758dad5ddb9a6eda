"""The mock's OAuth 2 authorization server: ``/oauth2/authorize`` and ``/oauth2/token``.

- ``GET /oauth2/authorize`` checks ``client_id`` and ``redirect_uri`` and, with
  no login page, redirects (302) to the redirect URI with ``code`` and
  ``state`` (``response_type=token`` puts a token in the fragment instead).
  An unknown client or redirect URI gets a 400 JSON error and no redirect.
- ``POST /oauth2/token`` (form-encoded; client credentials by HTTP Basic or
  ``client_id``/``client_secret`` form fields) serves the ``authorization_code``,
  ``refresh_token`` and ``password`` grants and answers ``{access_token,
  token_type: "bearer", expires_in, refresh_token, scope}`` or an RFC 6749
  error ``{error, error_description}`` with 400 (401 for ``invalid_client``).
- Codes are single use and live 10 minutes. Refresh tokens rotate: each use
  returns a new one, and the old one then gets ``invalid_grant``.
- ``POST /oauth2/revoke`` revokes an access or refresh token (RFC 7009).
- ``GET /_mock/oauth`` reports the registered client ids, the lifetime and how
  many tokens each grant issued, for tests that count refreshes.

Access tokens are registered with the server's :class:`~.tokens.Tokens` with
an expiry, so ``/v2`` accepts them until they expire and then answers the
API's 401.
"""
from __future__ import annotations

import base64
import binascii
import json
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from werkzeug.wrappers import Request, Response

from .context import Call
from .routes import Route
from .tokens import Tokens

__all__ = [
    "DEFAULT_TOKEN_TTL",
    "DEV_OAUTH_CLIENT",
    "DEV_PASSWORD",
    "OAuthClient",
    "OAuthServer",
    "oauth_routes",
    "parse_oauth_client",
]

#: seconds an access token lives unless ``--token-ttl`` says otherwise (as the API)
DEFAULT_TOKEN_TTL = 3600
CODE_TTL = 600
SCOPES = ("read", "write", "profile", "sync")
DEFAULT_SCOPE = "read write profile"
#: the password the password grant accepts for the seeded users (documented, not a secret)
DEV_PASSWORD = "basecrm-like-dev-password"


@dataclass(frozen=True)
class OAuthClient:
    """A registered OAuth app. No ``redirect_uris`` means any http(s) URI is allowed."""

    client_id: str
    client_secret: str = field(repr=False)
    redirect_uris: tuple[str, ...] = ()

    def __iter__(self) -> Any:
        # unpacks as an (id, secret) pair: ``client_id, client_secret = DEV_OAUTH_CLIENT``
        return iter((self.client_id, self.client_secret))


#: accepted when the server is started without ``--oauth-client`` (documented, not a secret)
DEV_OAUTH_CLIENT = OAuthClient("basecrm-like-dev-client", "basecrm-like-dev-client-secret")


def parse_oauth_client(spec: str | tuple[str, ...] | OAuthClient) -> OAuthClient:
    """``ID:SECRET`` or ``ID:SECRET:REDIRECT_URI`` (or an (id, secret[, uri]) tuple).

    The secret may contain colons; a third part starts with ``http://`` or ``https://``.
    """
    if isinstance(spec, OAuthClient):
        return spec
    if isinstance(spec, str):
        # the secret may hold colons; a redirect URI is recognised by its scheme
        client_id, _, rest = spec.partition(":")
        cut = min((i for i in (rest.find(":http://"), rest.find(":https://")) if i >= 0),
                  default=-1)
        parts = [client_id, rest] if cut < 0 else [client_id, rest[:cut], rest[cut + 1:]]
    else:
        parts = [str(p) for p in spec]
    if len(parts) not in (2, 3) or not parts[0] or not parts[1]:
        raise ValueError(f"an OAuth client is ID:SECRET or ID:SECRET:REDIRECT_URI, got {spec!r}")
    uris: tuple[str, ...] = ()
    if len(parts) == 3:
        if not _valid_redirect(parts[2]):
            raise ValueError(f"the redirect URI of OAuth client {parts[0]!r} must be an "
                             f"absolute http(s) URL without a fragment, got {parts[2]!r}")
        uris = (parts[2],)
    return OAuthClient(parts[0], parts[1], uris)


def _valid_redirect(uri: str) -> bool:
    parts = urlsplit(uri)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and not parts.fragment


class OAuthProblem(Exception):
    """An RFC 6749 error answer."""

    def __init__(self, error: str, description: str, status: int = 400,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status
        self.headers = headers or {}

    def response(self) -> Response:
        resp = _json(self.status, {"error": self.error, "error_description": self.description})
        resp.headers.update(self.headers)
        return resp


def _json(status: int, body: dict[str, Any]) -> Response:
    resp = Response(json.dumps(body), status=status, content_type="application/json; charset=utf-8")
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["Pragma"] = "no-cache"
    return resp


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


class OAuthServer:
    """The authorization server's state and its endpoints.

    ``find_user(username, password)`` returns the user id the password grant
    logs in, or None; by default the seeded users' emails (``admin@mock.example``
    is user 1) with :data:`DEV_PASSWORD`.
    """

    def __init__(self, tokens: Tokens, clients: Iterable[str | tuple[str, ...] | OAuthClient] = (),
                 token_ttl: float = DEFAULT_TOKEN_TTL,
                 find_user: Callable[[str, str], int | None] | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        if not token_ttl or token_ttl <= 0:
            raise ValueError(f"token_ttl must be a positive number of seconds, got {token_ttl!r}")
        parsed = [parse_oauth_client(c) for c in clients] or [DEV_OAUTH_CLIENT]
        self.clients: dict[str, OAuthClient] = {c.client_id: c for c in parsed}
        self.tokens = tokens
        self.token_ttl = float(token_ttl)
        self.find_user = find_user or _default_find_user
        self.clock = clock
        self._lock = threading.Lock()
        self._codes: dict[str, _Code] = {}
        self._refresh: dict[str, _Refresh] = {}
        self.grants: Counter[str] = Counter()

    # -- routes --------------------------------------------------------------------------
    #: (method, path, handler name) for the app to register
    ROUTES = (
        ("GET", "/oauth2/authorize", "authorize"),
        ("POST", "/oauth2/token", "token"),
        ("POST", "/oauth2/revoke", "revoke"),
        ("GET", "/_mock/oauth", "status"),
    )

    def dispatch(self, request: Request) -> Response | None:
        """The answer for an OAuth path, or None for any other path."""
        for method, path, name in self.ROUTES:
            if request.path.rstrip("/") == path:
                if request.method != method and not (method == "GET" and request.method == "HEAD"):
                    return OAuthProblem("invalid_request", f"{path} takes {method}", 405,
                                        {"Allow": method}).response()
                handler: Callable[[Request], Response] = getattr(self, name)
                return handler(request)
        return None

    def status(self, request: Request) -> Response:
        with self._lock:
            body = {"clients": sorted(self.clients), "token_ttl": self.token_ttl,
                    "grants": dict(self.grants),
                    "refresh_tokens": {"live": sum(r.state == "live" for r in self._refresh.values()),
                                       "rotated": sum(r.state == "rotated" for r in self._refresh.values())}}
        return _json(200, body)

    # -- authorize -----------------------------------------------------------------------
    def authorize(self, request: Request) -> Response:
        args = request.args
        client = self.clients.get(args.get("client_id", ""))
        if client is None:
            # never redirect for an unknown client: the redirect URI is not trusted
            return OAuthProblem("invalid_client", "Unknown client_id; register the app with "
                                "--oauth-client ID:SECRET.", 400).response()
        redirect_uri = args.get("redirect_uri")
        if redirect_uri is None:
            if len(client.redirect_uris) != 1:
                return OAuthProblem("invalid_request", "redirect_uri is required.").response()
            target = client.redirect_uris[0]
        elif not _valid_redirect(redirect_uri) or (
                client.redirect_uris and redirect_uri not in client.redirect_uris):
            return OAuthProblem("invalid_request", "redirect_uri does not match the one "
                                "registered for this client.").response()
        else:
            target = redirect_uri
        state = args.get("state")
        response_type = args.get("response_type", "code")
        try:
            scope = self._scope(args.get("scope"))
            if response_type not in ("code", "token"):
                raise OAuthProblem("unsupported_response_type",
                                   "response_type must be code or token.")
        except OAuthProblem as problem:
            return _redirect(target, {"error": problem.error,
                                      "error_description": problem.description, "state": state})
        user_id = 1
        if response_type == "token":
            with self._lock:
                self.grants["implicit"] += 1
            issued = self._issue(client.client_id, scope, user_id, with_refresh=False)
            return _redirect(target, {**issued, "state": state}, fragment=True)
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = _Code(client.client_id, redirect_uri, scope, user_id,
                                      self.clock() + CODE_TTL)
        return _redirect(target, {"code": code, "state": state})

    # -- token ---------------------------------------------------------------------------
    def token(self, request: Request) -> Response:
        try:
            form = request.form
            client = self._client(request)
            grant = form.get("grant_type")
            if not grant:
                raise OAuthProblem("invalid_request", "grant_type is required.")
            if grant == "authorization_code":
                body = self._code_grant(client, form.get("code"), form.get("redirect_uri"))
            elif grant == "refresh_token":
                body = self._refresh_grant(client, form.get("refresh_token"), form.get("scope"))
            elif grant == "password":
                body = self._password_grant(client, form.get("username"), form.get("password"),
                                            form.get("scope"))
            else:
                raise OAuthProblem("unsupported_grant_type",
                                   f"grant_type {grant!r} is not supported; use "
                                   "authorization_code, refresh_token or password.")
        except OAuthProblem as problem:
            return problem.response()
        return _json(200, body)

    def _client(self, request: Request) -> OAuthClient:
        header = request.headers.get("Authorization", "")
        basic = header[:6].lower() == "basic "
        if basic:
            try:
                decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                decoded = ""
            client_id, sep, secret = decoded.partition(":")
            if not sep:
                raise OAuthProblem("invalid_client", "Malformed HTTP Basic credentials.", 401,
                                   {"WWW-Authenticate": 'Basic realm="oauth2"'})
            client_id, secret = unquote(client_id), unquote(secret)
        else:
            client_id = request.form.get("client_id", "")
            secret = request.form.get("client_secret", "")
            if not client_id:
                raise OAuthProblem("invalid_client", "Client authentication is required (HTTP "
                                   "Basic or client_id and client_secret).", 401,
                                   {"WWW-Authenticate": 'Basic realm="oauth2"'})
        client = self.clients.get(client_id)
        if client is None or not secrets.compare_digest(client.client_secret.encode(), secret.encode()):
            raise OAuthProblem("invalid_client", "Unknown client or wrong client secret.", 401,
                               {"WWW-Authenticate": 'Basic realm="oauth2"'} if basic else None)
        return client

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
                asked = self._scope(scope)
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
        granted = self._scope(scope)
        with self._lock:
            self.grants["password"] += 1
        return self._issue(client.client_id, granted, user_id)

    # -- revoke --------------------------------------------------------------------------
    def revoke(self, request: Request) -> Response:
        try:
            client = self._client(request)
        except OAuthProblem as problem:
            return problem.response()
        token = request.form.get("token", "")
        with self._lock:
            entry = self._refresh.get(token)
            if entry is not None and entry.client_id == client.client_id:
                entry.state = "revoked"
                if entry.access_token:
                    self.tokens.remove(entry.access_token)
        if entry is None:
            self.tokens.remove(token)  # RFC 7009: unknown tokens are not an error
        return _json(200, {})

    # -- helpers -------------------------------------------------------------------------
    def _scope(self, scope: str | None) -> str:
        if scope is None or not scope.strip():
            return DEFAULT_SCOPE
        names = scope.replace(",", " ").split()
        unknown = [n for n in names if n not in SCOPES]
        if unknown:
            raise OAuthProblem("invalid_scope", f"Unknown scope {unknown[0]!r}; the scopes are "
                               f"{', '.join(SCOPES)}.")
        return " ".join(dict.fromkeys(names))

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


def _default_find_user(username: str, password: str) -> int | None:
    """The seeded users log in with their email and :data:`DEV_PASSWORD`."""
    from .seed import USERS

    if not secrets.compare_digest(password.encode(), DEV_PASSWORD.encode()):
        return None
    emails = [str(user.get("email", "")).lower() for user in USERS]
    name = username.strip().lower()
    return emails.index(name) + 1 if name in emails else None


def oauth_routes(server: OAuthServer) -> list[Route]:
    """The endpoints of ``server`` as mock routes (they authenticate clients themselves)."""
    def bound(name: str) -> Callable[[Call], Response]:
        handler: Callable[[Request], Response] = getattr(server, name)
        return lambda call: handler(call.request)

    return [Route(path, (method,), bound(name), public=True, write=False,
                  internal=path.startswith("/_mock/"), name=f"oauth.{name}")
            for method, path, name in OAuthServer.ROUTES]


def _redirect(target: str, params: dict[str, Any], fragment: bool = False) -> Response:
    parts = urlsplit(target)
    extra = [(k, str(v)) for k, v in params.items() if v is not None]
    if fragment:
        location = urlunsplit((*parts[:4], urlencode(extra)))
    else:
        query = parse_qsl(parts.query, keep_blank_values=True) + extra
        location = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))
    resp = Response(b"", status=302)
    resp.headers["Location"] = location
    resp.headers["Cache-Control"] = "no-store"
    return resp
