"""The OAuth 2 endpoints over :class:`~..backend.oauth.OAuthServer`.

- ``GET /oauth2/authorize`` checks ``client_id`` and ``redirect_uri`` and, with
  no login page, redirects (302) to the redirect URI with ``code`` and
  ``state`` (``response_type=token`` puts a token in the fragment instead).
  An unknown client or redirect URI gets a 400 JSON error and no redirect.
- ``POST /oauth2/token`` (form-encoded; client credentials by HTTP Basic or
  ``client_id``/``client_secret`` form fields) serves the ``authorization_code``,
  ``refresh_token`` and ``password`` grants and answers ``{access_token,
  token_type: "bearer", expires_in, refresh_token, scope}`` or an RFC 6749
  error ``{error, error_description}`` with 400 (401 for ``invalid_client``).
- ``POST /oauth2/revoke`` revokes an access or refresh token (RFC 7009).
- ``GET /_mock/oauth`` reports the registered client ids, the lifetime and how
  many tokens each grant issued, for tests that count refreshes.
"""
from __future__ import annotations

import base64
import binascii
import json
from functools import partial
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from werkzeug.wrappers import Request, Response

from ..backend.oauth import Authorization, OAuthProblem, OAuthServer
from ..backend.oauth_clients import OAuthClient
from .replies import JSON_TYPE
from .request import Call
from .routes import Route

CHALLENGE = {"WWW-Authenticate": 'Basic realm="oauth2"'}


def _json(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    resp = Response(json.dumps(body), status=status, content_type=JSON_TYPE)
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["Pragma"] = "no-cache"
    resp.headers.update(headers or {})
    return resp


def _problem(problem: OAuthProblem) -> Response:
    return _json(problem.status, {"error": problem.error, "error_description": problem.description},
                 CHALLENGE if problem.challenge else None)


def _redirect(authorization: Authorization) -> Response:
    parts = urlsplit(authorization.target)
    extra = [(k, str(v)) for k, v in authorization.params.items() if v is not None]
    if authorization.fragment:
        location = urlunsplit((*parts[:4], urlencode(extra)))
    else:
        query = parse_qsl(parts.query, keep_blank_values=True) + extra
        location = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))
    resp = Response(b"", status=302)
    resp.headers["Location"] = location
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _client(server: OAuthServer, request: Request) -> OAuthClient:
    """The client named by HTTP Basic credentials or by the form's fields."""
    header = request.headers.get("Authorization", "")
    if header[:6].lower() != "basic ":
        return server.authenticate_client(request.form.get("client_id", ""),
                                          request.form.get("client_secret", ""), basic=False)
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        decoded = ""
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise OAuthProblem("invalid_client", "Malformed HTTP Basic credentials.", 401,
                           challenge=True)
    return server.authenticate_client(unquote(client_id), unquote(secret), basic=True)


def authorize(server: OAuthServer, call: Call) -> Response:
    try:
        return _redirect(server.authorize(call.request.args))
    except OAuthProblem as problem:
        return _problem(problem)


def token(server: OAuthServer, call: Call) -> Response:
    try:
        client = _client(server, call.request)
        return _json(200, server.token(client, call.request.form))
    except OAuthProblem as problem:
        return _problem(problem)


def revoke(server: OAuthServer, call: Call) -> Response:
    try:
        client = _client(server, call.request)
    except OAuthProblem as problem:
        return _problem(problem)
    server.revoke(client, call.request.form.get("token", ""))
    return _json(200, {})


def status(server: OAuthServer, call: Call) -> Response:
    return _json(200, server.status())


def oauth_routes(server: OAuthServer) -> list[Route]:
    """The endpoints of ``server`` (they authenticate clients themselves)."""
    return [
        Route("/oauth2/authorize", ("GET",), partial(authorize, server), public=True,
              write=False, name="oauth.authorize"),
        Route("/oauth2/token", ("POST",), partial(token, server), public=True, write=False,
              name="oauth.token"),
        Route("/oauth2/revoke", ("POST",), partial(revoke, server), public=True, write=False,
              name="oauth.revoke"),
        Route("/_mock/oauth", ("GET",), partial(status, server), public=True, internal=True,
              write=False, name="oauth.status"),
    ]
