"""The authorization server: the URL a user is sent to, and trading grants for tokens."""
from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import requests

from ..http import errors
from ..http.config import PRODUCTION_URL, Configuration
from ..http.redaction import redact_secrets
from ..http.transport import HttpClient
from .errors import OAuthError
from .token import DEFAULT_LEEWAY, Token

__all__ = ["OAuth2"]

logger = logging.getLogger("basecrm_like.oauth")


class OAuth2:
    """A registered OAuth app talking to the authorization server.

    >>> oauth = OAuth2("my-client-id", "my-secret", "https://app.example/callback")
    >>> url, state = oauth.authorization_url()   # send the user there, keep state
    >>> token = oauth.exchange_code(code)        # doctest: +SKIP  (code from the callback)

    ``leeway`` is how many seconds before expiry a :class:`TokenManager` refreshes
    (at most half the token's lifetime). Token requests are retried only when
    they never reached the server: one that did may have rotated the refresh
    token already. ``timeout``, ``session``, ``user_agent`` and ``verify_ssl``
    configure the HTTP client built for them, unless ``http_client`` is given.
    """

    def __init__(self, client_id: str, client_secret: str, redirect_uri: str | None = None,
                 base_url: str = PRODUCTION_URL, *, leeway: float = DEFAULT_LEEWAY,
                 timeout: float | tuple[float, float] = 30,
                 session: requests.Session | None = None, user_agent: str | None = None,
                 verify_ssl: bool | str = True, http_client: HttpClient | None = None) -> None:
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
        #: the HTTP core the token requests go through: its session, retries (connection
        #: failures before sending only, for a POST), timeouts, redaction and errors
        self.http_client = http_client or HttpClient(Configuration(
            base_url=self.base_url, timeout=timeout, session=session, user_agent=user_agent,
            verify_ssl=verify_ssl))

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
        hidden = [v for v in secret_values if v] + [self.client_secret]
        started = time.perf_counter()
        status, headers, body = self.http_client.post_form(
            self.token_url, form, auth=(self.client_id, self.client_secret), secrets=hidden)
        logger.debug("POST %s grant_type=%s -> %s in %.1f ms", urlsplit(self.token_url).path,
                     grant, status, (time.perf_counter() - started) * 1000)
        payload = _json_of(body)
        if 200 <= status < 300:
            if not isinstance(payload, dict):
                raise OAuthError("invalid_response", "the token endpoint did not answer JSON",
                                 status, headers)
            return Token.from_response(payload)
        if isinstance(payload, dict) and isinstance(payload.get("error"), str):
            description = payload.get("error_description")
            raise OAuthError(
                redact_secrets(payload["error"], hidden),
                redact_secrets(str(description), hidden) if description else None,
                status, headers)
        if status >= 500:
            text = body.decode("utf-8", "replace") if isinstance(body, bytes) else json.dumps(body)
            raise errors.ServerError(status, headers.get("X-Request-Id"), [], headers,
                                     redact_secrets(text[:200], hidden))
        raise OAuthError("invalid_response",
                         f"unexpected HTTP {status} answer without an OAuth2 error",
                         status, headers)


def _json_of(body: Any) -> Any:
    """The token endpoint's JSON, even when it was sent without a JSON content type."""
    if not isinstance(body, bytes):
        return body
    try:
        return json.loads(body)
    except ValueError:
        return None
