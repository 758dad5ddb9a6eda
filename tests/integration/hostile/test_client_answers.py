"""The client against servers that answer wrongly: each answer ends in a typed
error with a clear message, never in bytes handed over as records."""
from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from basecrm_like import Client
from basecrm_like.errors import (
    ConnectionError,
    RateLimitError,
    RedirectError,
    TimeoutError,
    UnexpectedResponseError,
)
from basecrm_like.mock import serve
from tests.support.clients import client_kind, make_client
from tests.support.hostile import answering, trickling, truncating_proxy

__all__ = ["client_kind", "make_client"]  # fixtures: these tests run on both clients

TOKEN = "h" * 64


ClientFor = Callable[..., Client]


@pytest.fixture
def client_for(make_client: Callable[..., Client]) -> ClientFor:
    """``client_for(url, **options)``: the blocking or the async client, without retries."""
    def build(url: str, **options: object) -> Client:
        options.setdefault("max_retries", 0)
        return make_client(access_token=TOKEN, base_url=url, **options)

    return build


def test_html_page_with_200_is_an_unexpected_response(client_for: ClientFor) -> None:
    with answering(200, b"<html>hello</html>", {"Content-Type": "text/html"}) as server:
        client = client_for(server.url)
        with pytest.raises(UnexpectedResponseError, match="text/html, not the API's JSON") as info:
            client.contacts.list()
        with pytest.raises(UnexpectedResponseError):
            client.contacts.create(last_name="Ada")
    assert info.value.http_status == 200
    assert "<html>hello" in str(info.value)


def test_invalid_json_labelled_json_is_an_unexpected_response(client_for: ClientFor) -> None:
    with answering(200, b'{"items": [', {"Content-Type": "application/json"}) as server:
        with pytest.raises(UnexpectedResponseError, match="not valid JSON"):
            client_for(server.url).contacts.list()


def test_plain_text_is_not_read_as_json(client_for: ClientFor) -> None:
    body = json.dumps({"items": [{"data": {"id": 1}}]}).encode()
    with answering(200, body, {"Content-Type": "text/plain"}) as server:
        with pytest.raises(UnexpectedResponseError, match="text/plain"):
            client_for(server.url).contacts.list()


def test_plain_text_error_body_is_quoted_not_parsed(client_for: ClientFor) -> None:
    body = json.dumps({"errors": [{"error": {"code": "forged", "message": "from text"}}]}).encode()
    with answering(400, body, {"Content-Type": "text/plain"}) as server:
        with pytest.raises(Exception) as info:
            client_for(server.url).contacts.list()
    assert getattr(info.value, "code", None) is None
    assert "unexpected response body" in str(info.value)


def test_deeply_nested_json_is_a_typed_error(client_for: ClientFor) -> None:
    body = b"[" * 100_000 + b"]" * 100_000
    with answering(200, body, {"Content-Type": "application/json"}) as server:
        with pytest.raises(UnexpectedResponseError, match="nests too deeply"):
            client_for(server.url).contacts.list()


def test_redirect_is_a_typed_error_naming_the_location(client_for: ClientFor) -> None:
    with answering(302, b"", {"Location": "http://user:hunter2@elsewhere.example/v2/contacts"}
                   ) as server:
        with pytest.raises(RedirectError, match="redirect to") as info:
            client_for(server.url).contacts.list()
    assert info.value.http_status == 302
    assert "elsewhere.example" in str(info.value)
    assert "hunter2" not in str(info.value)


def test_trickling_server_cannot_hold_a_call_past_the_timeout(client_for: ClientFor) -> None:
    body = json.dumps({"items": [], "meta": {}}).encode() + b" " * 400
    with trickling(body, interval=0.05) as server:
        with pytest.raises(TimeoutError, match="timed out after 0.5 s: no whole answer in time"):
            # each byte comes well within the read timeout; the whole answer does not
            client_for(server.url, timeout=0.5).contacts.list()
        assert server.finished.wait(30)
        assert len(server.hits) == 1
        assert server.hung_up.is_set()
    # the client hung up long before the end: the server could not send it all
    assert server.sent < len(body) // 2


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_trickling_status_line_and_headers_cannot_hold_a_call(method: str,
                                                           client_for: ClientFor) -> None:
    body = json.dumps({"data": {"id": 1}}).encode()
    # about 130 bytes at 0.05 s each: the trickle alone would take over 6 s
    with trickling(body, interval=0.05, head=True) as server:
        client = client_for(server.url, timeout=0.5)
        with pytest.raises(TimeoutError, match="status line, headers and body") as info:
            if method == "GET":
                client.contacts.retrieve(1)
            else:
                client.contacts.create(last_name="Ada")
        assert "check whether it was applied" in str(info.value)
        # the client closed the connection: the server's next write failed
        assert server.hung_up.wait(10)
        assert server.finished.is_set()
        assert [m for m, _ in server.hits] == [method]
    # cut off while the head was still arriving, long before the end of the answer
    assert 0 < server.sent < server.total // 2


def test_each_retried_attempt_gets_its_own_deadline(client_for: ClientFor) -> None:
    body = json.dumps({"data": {"id": 1}}).encode()
    with trickling(body, interval=0.05, head=True) as server:
        client = client_for(server.url, max_retries=1, timeout=0.4)
        with pytest.raises(TimeoutError, match="no whole answer"):
            client.contacts.retrieve(1)
        # a GET cut off is retried once, on a new connection, and cut off again
        assert len(server.hits) == 2
        assert server.hung_up.wait(10)


def test_truncated_answer_is_the_typed_connection_error_after_sending(
        make_client: Callable[..., Client]) -> None:
    with serve() as mock, truncating_proxy(mock.url) as proxy:
        client = make_client(access_token=mock.token, base_url=proxy.url, max_retries=0)
        with pytest.raises(ConnectionError, match="lost while the answer was arriving") as info:
            client.contacts.create(last_name="Ada")
        assert info.value.request_sent is True
        direct = Client(access_token=mock.token, base_url=mock.url)
        # the server applied it: the message's advice to check first is right
        assert [c.last_name for c in direct.contacts.list(last_name="Ada")] == ["Ada"]


def test_huge_retry_after_is_capped_and_the_message_says_so(client_for: ClientFor) -> None:
    with answering(429, b"", {"Retry-After": "1e23"}) as server:
        with pytest.raises(RateLimitError) as info:
            client_for(server.url).contacts.list()
    assert info.value.retry_after == 120
    assert "asked for Retry-After: 1e23" in str(info.value)
    assert "caps the wait at 120 seconds" in str(info.value)


def test_password_in_base_url_never_reaches_an_error(client_for: ClientFor) -> None:
    client = client_for("http://user:PASSWORD@127.0.0.1:9", timeout=2)
    with pytest.raises(ConnectionError) as info:
        client.contacts.list()
    assert "PASSWORD" not in str(info.value)
    assert "PASSWORD" not in repr(client.config)
