"""Per-request control against the mock over loopback: options, raw answers, any path,
hooks, spans, the request log and retries."""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest

import basecrm_like
from basecrm_like.errors import RequestError, ServerError
from basecrm_like.http.exchange import ApiResponse, RequestEvent
from tests.support.clients import client_kind, make_client

from .conftest import Flaky

__all__ = ["client_kind", "make_client"]  # fixtures: most tests here run on both clients


def sync_client_for(server: Any, **options: Any) -> basecrm_like.Client:
    options.setdefault("backoff_factor", 0.01)
    return basecrm_like.Client(access_token=server.token, base_url=server.url, **options)


ClientFor = Callable[..., basecrm_like.Client]


@pytest.fixture
def client_for(make_client: Callable[..., basecrm_like.Client]) -> ClientFor:
    """``client_for(server, **options)``: the blocking or the async client for the mock."""
    def build(server: Any, **options: Any) -> basecrm_like.Client:
        options.setdefault("backoff_factor", 0.01)
        return make_client(access_token=server.token, base_url=server.url, **options)

    return build


def test_with_options_derives_a_client_and_leaves_the_original(server: Any, flaky: Flaky) -> None:
    client = sync_client_for(server, max_retries=2)
    quick = client.with_options(timeout=4, max_retries=0, headers={"X-Team": "sales"})
    assert (client.config.timeout, client.config.max_retries) == (30, 2)
    assert (quick.config.timeout, quick.config.max_retries) == (4, 0)
    assert client.config.headers is None
    # one pool: the derived client's adapter uses the original's pool manager
    ours = client.http_client.session.get_adapter(server.url)
    theirs = quick.http_client.session.get_adapter(server.url)
    assert theirs is not ours and theirs.poolmanager is ours.poolmanager
    flaky.arm(1)
    with pytest.raises(ServerError):
        quick.request("GET", "/v3/flaky")
    flaky.arm(1)
    assert client.request("GET", "/v3/flaky") == {"version": 3}
    assert quick.contacts.create(last_name="Lovelace").last_name == "Lovelace"
    assert quick.cache is client.cache


def test_with_options_sends_its_headers(server: Any) -> None:
    seen: list[Any] = []
    client = sync_client_for(server, session=None)
    tagged = client.with_options(headers={"X-Team": "sales"})
    tagged.http_client.session.hooks["response"].append(lambda r, **_: seen.append(r))
    tagged.users.self()
    assert seen and seen[0].request.headers["X-Team"] == "sales"


def test_with_options_rate_limit_gets_its_own_bucket(server: Any, client_for: ClientFor) -> None:
    client = client_for(server, rate_limit=50)
    slow = client.with_options(rate_limit=5)
    unlimited = client.with_options(rate_limit=None)
    assert client.http_client.limiter is not None and client.http_client.limiter.rate == 50
    assert slow.http_client.limiter is not None and slow.http_client.limiter.rate == 5
    assert unlimited.http_client.limiter is None
    assert client.with_options(timeout=3).http_client.limiter is client.http_client.limiter


def test_raw_responses_of_service_actions(server: Any, client_for: ClientFor) -> None:
    client = client_for(server)
    created = client.contacts.with_raw_response.create(last_name="Hopper")
    assert isinstance(created, ApiResponse) and created.status == 200
    assert created.request_id and created.request_id == created.headers["X-Request-Id"]
    assert created.attempts == 1 and created.elapsed > 0
    assert created.data.last_name == "Hopper" and created.meta["type"] == "contact"
    fetched = client.contacts.with_raw_response.retrieve(created.data.id)
    assert fetched.data == client.contacts.retrieve(created.data.id)
    page = client.contacts.with_raw_response.list(per_page=1)
    assert page.meta["type"] == "collection" and "links" in page.meta
    assert isinstance(page.data, list) and len(page.data) == 1
    deal = client.deals.create(name="Raw", contact_id=created.data.id)
    nested = client.associated_contacts.with_raw_response.list(deal_id=deal.id)
    assert nested.status == 200 and nested.meta["type"] == "collection"
    gone = client.contacts.with_raw_response.destroy(created.data.id)
    assert gone.status == 204 and gone.data is True
    with pytest.raises(AttributeError, match="sends its requests later"):
        client.contacts.with_raw_response.iterate  # noqa: B018


def test_an_error_carries_the_request_id(server: Any, client_for: ClientFor) -> None:
    with pytest.raises(RequestError) as info:
        client_for(server).contacts.with_raw_response.retrieve(999_999)
    assert info.value.http_status == 404 and info.value.logref


def test_request_reaches_v3_and_raw_returns_the_body_unparsed(server: Any, flaky: Flaky,
        client_for: ClientFor) -> None:
    client = client_for(server)
    flaky.arm(1)
    answer = client.request("GET", "/v3/flaky", raw=True)
    assert isinstance(answer, ApiResponse) and answer.attempts == 2 and answer.retries == 1
    assert answer.data == answer.content and answer.content.startswith(b"{")
    assert answer.json()["data"] == {"version": 3} and answer.meta == {"type": "thing"}
    assert client.request("GET", "/v2/users/self").id == 1
    assert client.request("GET", "/users/self").id == 1
    whole = client.request_with_response("GET", "/contacts", params={"per_page": 2})
    assert whole.meta["type"] == "collection" and isinstance(whole.data, list)


def test_hooks_see_request_retry_and_response(server: Any, flaky: Flaky,
        client_for: ClientFor) -> None:
    events: list[RequestEvent] = []

    def broken(event: RequestEvent) -> None:
        raise RuntimeError("a broken hook")

    client = client_for(server, hooks={"request": [events.append],
                                       "retry": [events.append, broken],
                                       "response": [events.append]})
    flaky.arm(1)
    assert client.request("GET", "/v3/flaky") == {"version": 3}
    assert [e.kind for e in events] == ["request", "retry", "response"]
    request, retry, response = events
    assert request.url == f"{server.url}/v3/flaky" and request.attempt == 1
    assert retry.status == 503 and retry.attempt == 1
    assert response.status == 200 and response.attempt == 2 and response.request_id
    assert response.elapsed is not None and response.elapsed > 0
    extra: list[RequestEvent] = []
    client.with_options(hooks={"response": [extra.append]}).users.self()
    assert len(extra) == 1 and events[-1].url.endswith("/v2/users/self")


def test_spans_follow_the_http_conventions(server: Any, flaky: Flaky, spans: Any,
        client_for: ClientFor) -> None:
    client = client_for(server)
    client.contacts.create(last_name="Turing")
    flaky.arm(1)
    client.request("GET", "/v3/flaky")
    with pytest.raises(RequestError):
        client.contacts.retrieve(999_999)
    finished = spans.get_finished_spans()
    by_name = [s.name for s in finished]
    assert "basecrm contacts.create" in by_name and "basecrm contacts.retrieve" in by_name
    action = next(s for s in finished if s.name == "basecrm contacts.create")
    post = next(s for s in finished if s.name == "POST")
    assert post.parent is not None and post.parent.span_id == action.context.span_id
    assert post.attributes["http.request.method"] == "POST"
    assert post.attributes["http.response.status_code"] == 200
    assert post.attributes["url.full"] == f"{server.url}/v2/contacts"
    retried = [s for s in finished if s.attributes.get("url.full", "").endswith("/v3/flaky")]
    assert retried[-1].attributes["http.request.resend_count"] == 1
    missing = [s for s in finished if s.attributes.get("http.response.status_code") == 404]
    assert missing and missing[0].attributes["error.type"] == "404"


def test_tracing_off_makes_no_spans(server: Any, spans: Any, client_for: ClientFor) -> None:
    client_for(server, tracing=False).users.self()
    assert spans.get_finished_spans() == ()


def test_basecrm_log_turns_on_the_request_log(server: Any, monkeypatch: pytest.MonkeyPatch,
                                              caplog: pytest.LogCaptureFixture,
        client_for: ClientFor) -> None:
    monkeypatch.setenv("BASECRM_LOG", "debug")
    logger = logging.getLogger("basecrm_like.http")
    previous = logger.level
    try:
        with caplog.at_level(logging.DEBUG):
            client = client_for(server)
            assert client.config.verbose
            client.users.self()
    finally:
        logger.setLevel(previous)
    assert any("/v2/users/self" in r.getMessage() for r in caplog.records
               if r.name == "basecrm_like.http")
    assert server.token not in caplog.text
    monkeypatch.setenv("BASECRM_LOG", "")
    assert not client_for(server).config.verbose


def test_500_is_retried_for_reads_only_and_retry_statuses_apply(server: Any, flaky: Flaky,
        client_for: ClientFor) -> None:
    flaky.arm(1)
    assert client_for(server, retry_statuses=[503]).request("GET", "/v3/flaky") == {"version": 3}
    flaky.arm(1)
    with pytest.raises(ServerError):
        client_for(server, retry_statuses=[500]).request("GET", "/v3/flaky")
    flaky.arm(0)


@pytest.mark.parametrize("bad", [["500"], [200], "503"])
def test_retry_statuses_are_checked(bad: Any) -> None:
    with pytest.raises(basecrm_like.errors.ConfigurationError, match="retry_statuses"):
        basecrm_like.Client(access_token="t" * 64, retry_statuses=bad)
