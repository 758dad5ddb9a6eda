"""A small web app that connects Sell accounts through OAuth 2 (run against the mock server).

    basecrm-like mock --port 8765 &
    BASECRM_MOCK_URL=http://127.0.0.1:8765 python examples/oauth_flask_app.py
    # open http://127.0.0.1:5000/

The flow: "/" shows a login link -> "/login" sends the browser to the
authorization server with a fresh ``state`` -> the server redirects back to
"/callback" with a code -> the app checks the state, exchanges the code for a
token, asks the API who the user is and stores the token under that user's id
in a FileTokenStore -> "/me" builds a client from the store (which refreshes
the token when it expires) and shows ``/v2/users/self``.

Settings (environment variables):

- ``BASECRM_MOCK_URL``: the API and authorization server (default http://127.0.0.1:8765;
  https://api.getbase.com for Sell itself);
- ``BASECRM_OAUTH_CLIENT_ID`` / ``BASECRM_OAUTH_CLIENT_SECRET``: your OAuth app
  (default: the mock's development client);
- ``BASECRM_OAUTH_REDIRECT_URI``: where the server sends the browser back
  (default http://127.0.0.1:5000/callback; it must be registered for the app);
- ``BASECRM_TOKEN_FILE``: the token file (default oauth-tokens.json, created 0600);
- ``FLASK_SECRET_KEY``: signs the session cookie (random per run by default);
- ``PORT``: where this app listens (default 5000).
"""
from __future__ import annotations

import os
import secrets
from html import escape
from typing import Any

from flask import Flask, redirect, request, session, url_for

import basecrm_like
from basecrm_like.oauth import FileTokenStore, MemoryTokenStore, OAuth2, OAuthError

# The mock server's documented development client (basecrm_like.mock.DEV_OAUTH_CLIENT),
# spelled out so the app runs without the mock's dependencies installed.
DEV_CLIENT_ID = "basecrm-like-dev-client"
DEV_CLIENT_SECRET = "basecrm-like-dev-client-secret"
SCOPES = ["read", "write", "profile"]

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>Sell OAuth demo</title></head>
<body><h1>Sell OAuth demo</h1>{body}</body></html>"""


def create_app(base_url: str | None = None, token_file: str | None = None,
               client_id: str | None = None, client_secret: str | None = None,
               redirect_uri: str | None = None) -> Flask:
    """The app; arguments override the environment variables (tests use them)."""
    env = os.environ
    base_url = base_url or env.get("BASECRM_MOCK_URL", "http://127.0.0.1:8765")
    oauth = OAuth2(
        client_id or env.get("BASECRM_OAUTH_CLIENT_ID", DEV_CLIENT_ID),
        client_secret or env.get("BASECRM_OAUTH_CLIENT_SECRET", DEV_CLIENT_SECRET),
        redirect_uri or env.get("BASECRM_OAUTH_REDIRECT_URI", "http://127.0.0.1:5000/callback"),
        base_url=base_url,
    )
    store = FileTokenStore(token_file or env.get("BASECRM_TOKEN_FILE", "oauth-tokens.json"))

    app = Flask(__name__)
    app.secret_key = env.get("FLASK_SECRET_KEY") or secrets.token_hex(32)

    def page(body: str, status: int = 200) -> tuple[str, int]:
        return PAGE.format(body=body), status

    def client_for(user: str) -> basecrm_like.Client:
        return basecrm_like.Client(oauth=oauth, token_store=store, user=user, base_url=base_url)

    @app.get("/")
    def index() -> Any:
        user = session.get("user")
        if user and store.load(user) is not None:
            return page(f'<p>Connected as Sell user {escape(user)}.</p>'
                        f'<p><a href="{url_for("me")}">Show my profile</a> | '
                        f'<a href="{url_for("logout")}">Disconnect</a></p>')
        return page(f'<p><a href="{url_for("login")}">Connect your Sell account</a></p>')

    @app.get("/login")
    def login() -> Any:
        url, state = oauth.authorization_url(scope=SCOPES)
        session["oauth_state"] = state  # checked on the way back: a forged callback fails
        return redirect(url)

    @app.get("/callback")
    def callback() -> Any:
        code = oauth.code_from_callback(request.args, session.pop("oauth_state", None))
        token = oauth.exchange_code(code)
        # who granted access? ask the API with the new token, then file it under that user
        me = basecrm_like.Client(oauth=oauth, token_store=MemoryTokenStore({"new": token}),
                                 user="new", base_url=base_url).users.self()
        user = str(me.id)
        store.save(user, token)
        session["user"] = user
        return redirect(url_for("me"))

    @app.get("/me")
    def me() -> Any:
        user = session.get("user")
        if not user:
            return redirect(url_for("index"))
        try:
            profile = client_for(user).users.self()
        except basecrm_like.ConfigurationError:  # no token stored: connect first
            session.pop("user", None)
            return redirect(url_for("index"))
        rows = "".join(f"<tr><th>{escape(str(k))}</th><td>{escape(str(v))}</td></tr>"
                       for k, v in sorted(profile.items()) if not isinstance(v, (dict, list)))
        return page(f"<h2>{escape(str(profile.get('name')))}</h2><table>{rows}</table>"
                    f'<p><a href="{url_for("index")}">Back</a></p>')

    @app.get("/logout")
    def logout() -> Any:
        user = session.pop("user", None)
        if user:
            store.delete(user)
        return redirect(url_for("index"))

    @app.errorhandler(OAuthError)
    def oauth_failed(exc: OAuthError) -> Any:
        # the message names the OAuth error and what to do; it never holds a token
        return page(f"<p>Authorization failed: {escape(str(exc))}</p>"
                    f'<p><a href="{url_for("login")}">Try again</a></p>', 400)

    return app


if __name__ == "__main__":  # pragma: no cover - manual run
    create_app().run(host="127.0.0.1", port=int(os.environ.get("PORT", "5000")))
