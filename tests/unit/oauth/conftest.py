"""Shared by the OAuth2 tests: an app, a faked token endpoint's answers, and how to read a form."""
from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

import pytest

from basecrm_like.oauth import (
    OAuth2,
)

BASE = "https://api.example.test"


TOKEN_URL = f"{BASE}/oauth2/token"


SELF_URL = f"{BASE}/v2/users/self"


CLIENT_ID, CLIENT_SECRET = "app-id", "app-secret-value"


REDIRECT = "https://app.example/callback"


@pytest.fixture
def oauth() -> OAuth2:
    return OAuth2(CLIENT_ID, CLIENT_SECRET, REDIRECT, base_url=BASE)


def token_answer(access: str, refresh: str | None = "refresh-1", expires_in: int = 3600,
                 **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"access_token": access, "token_type": "bearer", "expires_in": expires_in}
    if refresh:
        body["refresh_token"] = refresh
    body.update(extra)
    return body


def user_body() -> dict[str, Any]:
    return {"data": {"id": 1, "name": "Ada"}, "meta": {"type": "user"}}


def form_of(request: Any) -> dict[str, str]:
    body = request.body.decode() if isinstance(request.body, bytes) else request.body
    return {k: v[0] for k, v in parse_qs(body).items()}

