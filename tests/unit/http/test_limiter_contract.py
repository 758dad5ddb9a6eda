"""The HTTP layer's collaborators are given at construction: limiter, token source, session."""
from __future__ import annotations

import json
import logging
from collections.abc import Mapping

import pytest
import requests
import responses

import basecrm_like
from basecrm_like.configuration import Configuration
from basecrm_like.http_client import HttpClient
from basecrm_like.ratelimit import TokenBucket

TOKEN = "k" * 64
BASE = "https://api.example.test"
URL = f"{BASE}/v2/contacts"


class CountingLimiter:
    def __init__(self) -> None:
        self.events: list[object] = []

    def acquire(self) -> float:
        self.events.append("acquire")
        return 0.0

    def observe(self, status: int, headers: Mapping[str, str]) -> None:
        self.events.append(status)


def config(**options: object) -> Configuration:
    return Configuration(access_token=TOKEN, base_url=BASE, **options)  # type: ignore[arg-type]


@pytest.fixture
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("urllib3.util.retry.time.sleep", lambda seconds: None)


@responses.activate
def test_limiter_is_asked_before_each_attempt_and_told_each_answer(no_sleep: None) -> None:
    responses.get(URL, status=503, body="busy")
    responses.get(URL, status=429, headers={"Retry-After": "0"}, json={"errors": []})
    responses.get(URL, json={"items": []})
    limiter = CountingLimiter()
    http = HttpClient(config(max_retries=3), limiter=limiter)
    http.get("/contacts")
    assert len(responses.calls) == 3
    assert limiter.events == ["acquire", 503, "acquire", 429, "acquire", 200]


@responses.activate
def test_with_limiter_shares_the_session_and_leaves_the_original_alone() -> None:
    responses.get(URL, json={"items": []})
    original = HttpClient(config(max_retries=0))
    bucket = TokenBucket(0)
    paced = original.with_limiter(bucket)
    assert paced is not original and paced.session is original.session
    assert paced.limiter is bucket and original.limiter is None
    paced.get("/contacts")
    original.get("/contacts")
    assert bucket.acquired == 1


def test_with_limiter_keeps_the_token_source() -> None:
    class Source:
        def access_token(self) -> str:
            return "oauth-token"

        def renew(self, rejected: str) -> bool:
            return False

        def secrets(self) -> list[str]:
            return ["oauth-token"]

    source = Source()
    http = HttpClient(config(), token_source=source).with_limiter(None)
    assert http.token_source is source
    assert http.authorization() == "Bearer oauth-token"


def test_limiter_is_read_only() -> None:
    http = HttpClient(config())
    with pytest.raises(AttributeError):
        http.limiter = TokenBucket(1)  # type: ignore[misc]


def test_client_rate_limit_option_builds_one_bucket() -> None:
    client = basecrm_like.Client(access_token=TOKEN, base_url=BASE, rate_limit=5)
    assert isinstance(client.http_client.limiter, TokenBucket)
    assert client.http_client.limiter.rate == 5
    assert basecrm_like.Client(access_token=TOKEN).http_client.limiter is None
    with pytest.raises(basecrm_like.ConfigurationError, match="rate_limit"):
        basecrm_like.Client(access_token=TOKEN, rate_limit=-1)


@responses.activate
def test_post_form_returns_error_answers_and_redacts_secrets(
        caplog: pytest.LogCaptureFixture) -> None:
    token_url = "https://auth.example.test/oauth2/token"
    responses.post(token_url, status=400, json={"error": "invalid_grant"})
    http = HttpClient(config(max_retries=0))
    with caplog.at_level(logging.DEBUG, logger="basecrm_like.http"):
        status, headers, body = http.post_form(
            token_url, {"grant_type": "refresh_token", "refresh_token": "r/secret+1"},
            auth=("client-id", "client-secret"), secrets=["r/secret+1", "client-secret"])
    assert status == 400 and body == {"error": "invalid_grant"}
    sent = responses.calls[0].request
    assert sent.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert sent.headers["Authorization"].startswith("Basic ")
    assert "refresh_token=r%2Fsecret%2B1" in sent.body.decode()
    assert "secret+1" not in caplog.text and "r%2Fsecret%2B1" not in caplog.text
    assert "Bearer" not in json.dumps(dict(sent.headers))


def test_post_form_maps_connection_failures() -> None:
    http = HttpClient(config(max_retries=0))
    with pytest.raises(basecrm_like.ConnectionError) as info:
        http.post_form("http://127.0.0.1:9/oauth2/token", {"grant_type": "x"})
    assert "127.0.0.1:9" in str(info.value)
    assert isinstance(info.value, requests.exceptions.ConnectionError)
