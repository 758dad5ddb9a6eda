"""Requests and answers as values: URLs, bodies, public URLs, envelopes, ApiResponse."""
from __future__ import annotations

import dataclasses
import json

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from basecrm_like.http.config import Configuration
from basecrm_like.http.errors import UnexpectedResponseError
from basecrm_like.http.exchange import (
    ApiResponse,
    RequestEvent,
    prepare_request,
    public_url,
    resolve_url,
)
from basecrm_like.http.transport import HttpClient

BASE = "https://api.example.test"
JSON = {"Content-Type": "application/json", "X-Request-Id": "req-1"}


@pytest.mark.parametrize(("path", "url"), [
    ("/contacts", f"{BASE}/v2/contacts"),
    ("/v2/contacts/1", f"{BASE}/v2/contacts/1"),
    ("/v3/deals", f"{BASE}/v3/deals"),
    ("/v3x/odd", f"{BASE}/v2/v3x/odd"),
    ("https://other.test/token", "https://other.test/token"),
])
def test_paths_resolve_to_versions(path: str, url: str) -> None:
    assert resolve_url(BASE, path) == url


def test_a_body_is_wrapped_unless_asked_not_to() -> None:
    wrapped = prepare_request(f"{BASE}/v2/contacts", "post", authorization="Bearer x",
                              user_agent="ua", body={"name": "A"})
    bare = prepare_request(f"{BASE}/v2/contacts", "post", authorization="Bearer x",
                           user_agent="ua", body={"name": "A"}, envelope=False)
    assert wrapped.method == "POST"
    assert json.loads(wrapped.data or b"") == {"data": {"name": "A"}}
    assert json.loads(bare.data or b"") == {"name": "A"}
    assert wrapped.headers["Content-Type"] == "application/json"


def test_call_headers_win_over_client_headers_over_ours() -> None:
    prepared = prepare_request(f"{BASE}/v2/x", "GET", authorization="Bearer x", user_agent="ua",
                               params={"page": 2}, headers={"X-Tag": "call"},
                               default_headers={"X-Tag": "client", "User-Agent": "mine"})
    assert prepared.headers["X-Tag"] == "call" and prepared.headers["User-Agent"] == "mine"
    assert prepared.query == [("page", "2")]
    assert "Bearer" not in prepared.public_url and prepared.public_url.endswith("?page=2")


def test_public_url_drops_credentials() -> None:
    shown = public_url("https://user:pw@api.example.test/v2/x?access_token=SECRET&a=1",
                       [("refresh_token", "R"), ("page", "3")])
    assert "SECRET" not in shown and "pw" not in shown and "R&" not in shown
    assert shown.startswith("https://api.example.test/v2/x?") and "page=3" in shown


@given(st.text(min_size=8, alphabet=st.characters(min_codepoint=48, max_codepoint=122)))
def test_no_secret_query_value_survives(secret: str) -> None:
    shown = public_url(f"{BASE}/v2/x", [("access_token", secret), ("client_secret", secret)])
    assert secret not in shown


def _answer(content_type: str, content: bytes) -> requests.Response:
    resp = requests.Response()
    resp.status_code, resp._content = 200, content
    resp.headers["Content-Type"] = content_type
    return resp


def test_a_success_is_unwrapped_kept_as_a_file_or_refused() -> None:
    http = HttpClient(Configuration(access_token="t" * 64, base_url=BASE))
    content = b'{"data": {"id": 1}, "meta": {"type": "contact"}}'
    url = f"{BASE}/v2/x"
    assert http.decode_success(_answer("application/json", content), "GET", url, True) == {"id": 1}
    raw = http.decode_success(_answer("application/json", content), "GET", url, False)
    assert raw["meta"] == {"type": "contact"}
    assert http.decode_success(_answer("application/pdf", b"%PDF"), "GET", url, True) == b"%PDF"
    with pytest.raises(UnexpectedResponseError):
        http.decode_success(_answer("application/json", b"not json"), "GET", url, True)


def test_api_response_reads_request_id_meta_and_retries() -> None:
    content = b'{"items": [], "meta": {"type": "collection", "count": 0}}'
    answer = ApiResponse(200, JSON, [], content, attempts=3, method="GET",
                         request_url=f"{BASE}/v2/x", request_query=(("access_token", "S"),))
    assert answer.request_id == "req-1" and answer.retries == 2
    assert answer.meta == {"type": "collection", "count": 0}
    assert "req-1" in repr(answer) and "attempts=3" in repr(answer) and "S&" not in repr(answer)
    assert answer.url == f"{BASE}/v2/x?access_token=%3Credacted%3E"
    assert ApiResponse(204, {}, b"", b"").meta is None


def test_events_are_read_only() -> None:
    event = RequestEvent("request", "GET", f"{BASE}/v2/x")
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.status = 200  # type: ignore[misc]
