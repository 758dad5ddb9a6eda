"""The HTTP layer against `responses`: envelopes, encoding, errors, retries, logging."""
from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import pytest
import requests
import responses
from munch import Munch

import basecrm_like
from basecrm_like import (
    BaseError,
    Client,
    RateLimitError,
    RequestError,
    ResourceError,
    ServerError,
)
from basecrm_like.http.config import Configuration
from basecrm_like.http.encoding import encode_params
from basecrm_like.http.ratelimit import TokenBucket
from basecrm_like.http.transport import HttpClient

TOKEN = "k" * 64
BASE = "https://api.example.test"
URL = f"{BASE}/v2/contacts"


def make_client(**options: Any) -> Client:
    options.setdefault("max_retries", 0)
    return Client(access_token=TOKEN, base_url=BASE, **options)


def envelope(data: Any, type_: str = "contact") -> dict:
    return {"data": data, "meta": {"type": type_}}


def error_body(status: str, code: str, field: str | None = None, logref: str = "ref-1") -> dict:
    err: dict = {"code": code, "message": f"{code} message", "details": f"{code} details"}
    if field:
        err.update(resource="contact", field=field)
    return {"errors": [{"error": err, "meta": {"type": "error"}}],
            "meta": {"type": "errors", "http_status": status, "logref": logref}}


@responses.activate
def test_request_headers_and_envelope() -> None:
    responses.post(URL, json=envelope({"id": 1, "last_name": "Lovelace"}))
    status, headers, body = make_client().http_client.post("/contacts", body={"last_name": "Lovelace"})
    sent = responses.calls[0].request
    assert status == 200
    assert isinstance(body, Munch) and body.id == 1 and body.last_name == "Lovelace"
    assert json.loads(sent.body) == {"data": {"last_name": "Lovelace"}}
    assert sent.headers["Authorization"] == f"Bearer {TOKEN}"
    assert sent.headers["Accept"] == "application/json"
    assert sent.headers["Content-Type"] == "application/json"
    assert sent.headers["User-Agent"].startswith("basecrm_like/")


@responses.activate
def test_collection_is_unwrapped_to_list_of_munch() -> None:
    responses.get(URL, json={"items": [envelope({"id": 1}), envelope({"id": 2})],
                             "meta": {"type": "collection", "count": 2}})
    _, _, body = make_client().http_client.get("/contacts")
    assert [c.id for c in body] == [1, 2]
    assert all(isinstance(c, Munch) for c in body)


@responses.activate
def test_raw_skips_both_envelopes() -> None:
    responses.post(f"{BASE}/v2/sync/ack", status=202)
    responses.get(URL, json={"items": [], "meta": {"count": 0}})
    _, _, body = make_client().http_client.get("/contacts", raw=True)
    assert body == {"items": [], "meta": {"count": 0}}
    make_client().http_client.post("/sync/ack", body={"ack_keys": ["a"]}, raw=True)
    assert json.loads(responses.calls[1].request.body) == {"ack_keys": ["a"]}


@responses.activate
def test_non_json_body_is_returned_as_bytes() -> None:
    responses.get(f"{BASE}/v2/documents/1/download", body=b"%PDF-1.4", content_type="application/pdf")
    _, _, body = make_client().http_client.get("/documents/1/download")
    assert body == b"%PDF-1.4"


@responses.activate
def test_decimal_stays_exact_in_json() -> None:
    responses.post(f"{BASE}/v2/deals", json=envelope({"id": 1}, "deal"))
    make_client().http_client.post("/deals", body={"value": Decimal("1000.99"),
                                                   "big": Decimal("12345678901234567890.01")})
    raw = responses.calls[0].request.body.decode()
    assert '"value":"1000.99"' in raw
    assert '"big":"12345678901234567890.01"' in raw


def test_query_encoding() -> None:
    params = encode_params({
        "ids": [1, 2, 3], "hot": True, "organization": False, "skip": None,
        "custom_fields": {"industry": "Retail", "tier": ["a", "b"]},
        "address": {"city": "Kraków"}, "value": Decimal("10.50"),
    })
    assert params == [
        ("ids", "1,2,3"), ("hot", "true"), ("organization", "false"),
        ("custom_fields[industry]", "Retail"), ("custom_fields[tier]", "a,b"),
        ("address[city]", "Kraków"), ("value", "10.50"),
    ]


@responses.activate
def test_query_on_the_wire() -> None:
    responses.get(URL, json={"items": []})
    make_client().contacts.list(ids=[1, 2], is_organization=True, custom_fields={"industry": "Retail"})
    url = responses.calls[0].request.url
    assert "ids=1%2C2" in url and "is_organization=true" in url
    assert "custom_fields%5Bindustry%5D=Retail" in url


@pytest.mark.parametrize(
    ("status", "reason", "code", "cls"),
    [
        (400, "400 Bad Request", "invalid_param", RequestError),
        (401, "401 Unauthorized", "unauthorized", RequestError),
        (403, "403 Forbidden", "insufficient_scope", RequestError),
        (404, "404 Not Found", "not_found", RequestError),
        (409, "409 Conflict", "conflict", RequestError),
        (422, "422 Unprocessable Entity", "blank", ResourceError),
        (429, "429 Too Many Requests", "rate_limit_exceeded", RateLimitError),
        (500, "500 Internal Server Error", "server_error", ServerError),
        (503, "503 Service Unavailable", "temporarily_unavailable", ServerError),
    ],
)
@responses.activate
def test_error_branches(status: int, reason: str, code: str, cls: type[BaseError]) -> None:
    responses.get(URL, json=error_body(reason, code, field="/data/last_name"), status=status,
                  headers={"X-Request-Id": "ref-1"})
    with pytest.raises(cls) as info:
        make_client().contacts.list()
    err = info.value
    assert type(err) is cls and isinstance(err, BaseError)
    assert err.http_status == status
    assert err.logref == "ref-1"
    assert err.code == code
    assert err.errors[0].field == "/data/last_name"
    assert err.errors[0].message == f"{code} message"
    assert "What to do:" in str(err) and code in str(err)


@responses.activate
def test_html_error_body_gives_typed_error_with_excerpt() -> None:
    html = "<html><head><title>502 Bad Gateway</title></head><body>" + "x" * 500 + "</body></html>"
    responses.get(URL, body=html, status=502, content_type="text/html")
    with pytest.raises(ServerError) as info:
        make_client().contacts.list()
    assert info.value.http_status == 502
    assert info.value.errors == []
    assert "502 Bad Gateway" in str(info.value)
    assert info.value.body_excerpt == html[:200]


@responses.activate
def test_truncated_json_error_body() -> None:
    responses.get(URL, body='{"errors": [{"error": {"code": "bl', status=422,
                  content_type="application/json")
    with pytest.raises(ResourceError) as info:
        make_client().contacts.list()
    assert '{"errors"' in str(info.value)


@responses.activate
def test_rate_limit_error_carries_retry_after() -> None:
    responses.get(URL, json=error_body("429 Too Many Requests", "rate_limit_exceeded"),
                  status=429, headers={"Retry-After": "7"})
    with pytest.raises(RateLimitError) as info:
        make_client().contacts.list()
    assert info.value.retry_after == 7.0
    assert "Retry after 7 seconds" in str(info.value)


class SleepRecorder:
    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> SleepRecorder:
    recorder = SleepRecorder()
    monkeypatch.setattr("urllib3.util.retry.time.sleep", recorder)
    return recorder


@responses.activate
def test_get_retries_503_then_succeeds(sleeps: SleepRecorder) -> None:
    responses.get(URL, status=503, body="busy")
    responses.get(URL, status=502, body="bad gateway")
    responses.get(URL, json={"items": [envelope({"id": 1})]})
    assert [c.id for c in make_client(max_retries=3).contacts.list()] == [1]
    assert len(responses.calls) == 3


@responses.activate
def test_post_is_not_retried_on_503(sleeps: SleepRecorder) -> None:
    responses.post(URL, status=503, body="busy")
    with pytest.raises(ServerError):
        make_client(max_retries=3).contacts.create(last_name="X")
    assert len(responses.calls) == 1


@responses.activate
def test_post_is_retried_on_429_honouring_retry_after(sleeps: SleepRecorder) -> None:
    responses.post(URL, status=429, headers={"Retry-After": "2"},
                   json=error_body("429 Too Many Requests", "rate_limit_exceeded"))
    responses.post(URL, json=envelope({"id": 5}))
    created = make_client(max_retries=3).contacts.create(last_name="X")
    assert created.id == 5
    assert len(responses.calls) == 2


def test_backoff_is_exponential_with_jitter() -> None:
    from urllib3.util.retry import RequestHistory

    from basecrm_like.http_client import build_retry

    retry = build_retry(5, 1.0)
    delays = []
    for attempt in range(1, 5):
        retry.history = tuple(RequestHistory("GET", "/", None, 429, None) for _ in range(attempt))
        delays.append(retry.get_backoff_time())
    for n, delay in enumerate(delays):
        assert 2 ** n / 2 <= delay <= 2 ** n
    jittered = set()
    for _ in range(20):
        retry.history = (RequestHistory("GET", "/", None, 429, None),)
        jittered.add(retry.get_backoff_time())
    assert len(jittered) > 1


@responses.activate
def test_retries_exhausted_gives_typed_error(sleeps: SleepRecorder) -> None:
    for _ in range(3):
        responses.get(URL, status=503, body="<html>busy</html>", content_type="text/html")
    with pytest.raises(ServerError) as info:
        make_client(max_retries=2).contacts.list()
    assert info.value.http_status == 503
    assert len(responses.calls) == 3


@responses.activate
def test_max_retries_zero_turns_retries_off(sleeps: SleepRecorder) -> None:
    responses.get(URL, status=503, body="busy")
    responses.get(URL, json={"items": []})
    with pytest.raises(ServerError):
        make_client(max_retries=0).contacts.list()
    assert len(responses.calls) == 1


@responses.activate
def test_500_is_retried_for_a_read(sleeps: SleepRecorder) -> None:
    responses.get(URL, status=500, json=error_body("500 Internal Server Error", "server_error"))
    with pytest.raises(ServerError):
        make_client(max_retries=3).contacts.list()
    assert len(responses.calls) == 4


@responses.activate
def test_500_is_not_retried_for_a_create(sleeps: SleepRecorder) -> None:
    responses.post(URL, status=500, json=error_body("500 Internal Server Error", "server_error"))
    with pytest.raises(ServerError):
        make_client(max_retries=3).contacts.create(last_name="Lovelace")
    assert len(responses.calls) == 1


@responses.activate
def test_retry_statuses_replace_the_default(sleeps: SleepRecorder) -> None:
    responses.get(URL, status=500, json=error_body("500 Internal Server Error", "server_error"))
    with pytest.raises(ServerError):
        make_client(max_retries=3, retry_statuses=[503]).contacts.list()
    assert len(responses.calls) == 1


@responses.activate
def test_verbose_logs_requests_and_redacts_token(caplog: pytest.LogCaptureFixture) -> None:
    responses.post(URL, json=envelope({"id": 1, "note": f"echo {TOKEN}"}))
    responses.get(f"{URL}/2", status=404, json=error_body("404 Not Found", "not_found"))
    caplog.set_level(logging.DEBUG, logger="basecrm_like")
    client = make_client(verbose=True)
    client.contacts.create(last_name="Lovelace")
    with pytest.raises(RequestError) as info:
        client.contacts.retrieve(2)
    text = caplog.text
    assert "-> POST https://api.example.test/v2/contacts" in text
    assert "<- 200 POST /v2/contacts" in text
    assert "<- 404 GET /v2/contacts/2" in text
    assert "Lovelace" in text
    assert TOKEN not in text
    assert TOKEN not in str(info.value) and TOKEN not in repr(info.value)
    assert all(r.name.startswith("basecrm_like") for r in caplog.records)


def test_verbose_does_not_touch_root_logger_or_http_client() -> None:
    import http.client

    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    make_client(verbose=True)
    assert root.level == level and root.handlers == handlers
    assert http.client.HTTPConnection.debuglevel == 0


def test_verify_ssl_false_survives_requests_ca_bundle(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/nonexistent/ca.pem")
    seen: dict[str, Any] = {}

    def fake_send(self: requests.adapters.HTTPAdapter, request: Any, **kwargs: Any) -> requests.Response:
        seen.update(kwargs)
        resp = requests.Response()
        resp.status_code, resp._content = 200, b'{"data": {}}'
        resp.headers["Content-Type"] = "application/json"
        resp.request = request
        return resp

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", fake_send)
    make_client(verify_ssl=False).accounts.self()
    assert seen["verify"] is False
    make_client().accounts.self()
    assert seen["verify"] == "/nonexistent/ca.pem" or seen["verify"] is True


def test_own_session_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    session = requests.Session()
    client = make_client(session=session)
    assert client.http_client.session is session
    assert client.http_client.session.get_adapter(BASE + "/v2/x").max_retries.total == 0


@responses.activate
def test_one_client_many_threads() -> None:
    def answer(request: requests.PreparedRequest) -> tuple[int, dict, str]:
        ident = int(re.search(r"/contacts/(\d+)", request.url or "").group(1))  # type: ignore[union-attr]
        return 200, {"Content-Type": "application/json"}, json.dumps(envelope({"id": ident}))

    responses.add_callback(responses.GET, re.compile(rf"{URL}/\d+"), callback=answer)
    client = make_client()
    results: dict[int, int] = {}
    failures: list[BaseException] = []
    lock = threading.Lock()

    def work(offset: int) -> None:
        try:
            for i in range(offset, offset + 25):
                got = client.contacts.retrieve(i).id
                with lock:
                    results[i] = got
        except BaseException as exc:  # pragma: no cover - reported below
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(n * 25,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert results == {i: i for i in range(400)}


def test_public_names_of_the_official_client() -> None:
    official = [
        "Client", "Configuration", "HttpClient", "Sync", "SyncService", "BaseError", "ConfigurationError",
        "RateLimitError", "RequestError", "ResourceError", "ServerError", "VERSION",
        "AccountsService", "AssociatedContactsService", "ContactsService", "DealsService",
        "DealSourcesService", "DealUnqualifiedReasonsService", "LeadsService", "LeadSourcesService",
        "LeadUnqualifiedReasonsService", "LineItemsService", "LossReasonsService", "NotesService",
        "OrdersService", "PipelinesService", "ProductsService", "SourcesService", "StagesService",
        "TagsService", "TasksService", "TextMessagesService", "UsersService", "VisitsService",
        "VisitOutcomesService",
    ]
    missing = [name for name in official if not hasattr(basecrm_like, name)]
    assert missing == []
    from basecrm_like.coercion import Coercion

    assert Coercion.to_decimal("1.10") == Decimal("1.10")
    assert issubclass(basecrm_like.ConnectionError, requests.exceptions.ConnectionError)
    assert issubclass(basecrm_like.TimeoutError, requests.exceptions.Timeout)


@responses.activate
def test_token_echoed_in_an_error_body_is_redacted() -> None:
    responses.get(URL, status=401, json=error_body("401 Unauthorized", "unauthorized") | {
        "errors": [{"error": {"code": "unauthorized", "message": f"bad token {TOKEN}"}}]})
    responses.get(f"{URL}/1", status=502, body=f"<html>proxy saw {TOKEN}</html>", content_type="text/html")
    client = make_client()
    for call in (client.contacts.list, lambda: client.contacts.retrieve(1)):
        with pytest.raises(BaseError) as info:
            call()
        assert TOKEN not in str(info.value) and "<redacted>" in str(info.value)


# -- collaborators given at construction: limiter, token source, session ----------
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
