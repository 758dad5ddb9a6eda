"""No token anywhere: every log record (root at DEBUG, urllib3 and requests too), every
hook event and every span over a run with a retry, a 401 and an OAuth refresh."""
from __future__ import annotations

import dataclasses
import logging
from typing import Any

import pytest

import basecrm_like
from basecrm_like.errors import RequestError
from basecrm_like.http.exchange import RequestEvent

from .conftest import Flaky

pytest.importorskip("waitress")


class Everything(logging.Handler):
    """Keeps every record that reaches the root logger, formatted with its arguments."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.name} {self.format(record)}")


@pytest.fixture
def root_at_debug() -> Any:
    handler = Everything()
    names = ["", "urllib3", "requests", "basecrm_like", "basecrm_like.http"]
    levels = {name: logging.getLogger(name).level for name in names}
    for name in names:
        logging.getLogger(name).setLevel(logging.DEBUG)
    logging.getLogger().addHandler(handler)
    try:
        yield handler
    finally:
        logging.getLogger().removeHandler(handler)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def test_no_secret_in_logs_hooks_or_spans(server: Any, flaky: Flaky, spans: Any,
                                          root_at_debug: Everything,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from basecrm_like.mock import DEV_OAUTH_CLIENT
    from basecrm_like.mock.backend.oauth import DEV_PASSWORD
    from basecrm_like.oauth import MemoryTokenStore, OAuth2

    monkeypatch.setenv("BASECRM_LOG", "debug")
    events: list[RequestEvent] = []
    hooks = {"request": [events.append], "retry": [events.append], "response": [events.append]}

    # a personal token: a retry, then a 401 with a token the server does not know
    client = basecrm_like.Client(access_token=server.token, base_url=server.url,
                                 backoff_factor=0.01, hooks=hooks)
    flaky.arm(1)
    assert client.request("GET", "/v3/flaky") == {"version": 3}
    client.contacts.create(last_name="Redacted", email="r@example.com")
    wrong = "w" * 64
    with pytest.raises(RequestError) as info:
        basecrm_like.Client(access_token=wrong, base_url=server.url, hooks=hooks).users.self()
    assert info.value.http_status == 401

    # OAuth: the stored access token is rejected (401), refreshed, and the call repeated
    client_id, client_secret = DEV_OAUTH_CLIENT.split(":", 1) if isinstance(
        DEV_OAUTH_CLIENT, str) else DEV_OAUTH_CLIENT
    oauth = OAuth2(client_id, client_secret, "http://localhost/callback", base_url=server.url)
    granted = oauth.password("admin@mock.example", DEV_PASSWORD)
    stale = dataclasses.replace(granted, access_token="stale-" + "s" * 40)
    store = MemoryTokenStore({"alice": stale})
    oauth_client = basecrm_like.Client(oauth=oauth, token_store=store, user="alice",
                                       base_url=server.url, hooks=hooks)
    assert oauth_client.users.self().id == 1
    refreshed = store.load("alice")
    assert refreshed is not None and refreshed.access_token != stale.access_token

    secrets = {server.token, wrong, stale.access_token, granted.access_token,
               refreshed.access_token, client_secret, DEV_PASSWORD}
    secrets |= {t for t in (granted.refresh_token, refreshed.refresh_token) if t}
    kinds = [e.kind for e in events]
    assert "retry" in kinds and any(e.status == 401 for e in events)
    span_text = [repr((s.name, dict(s.attributes or {}), [ev.attributes for ev in s.events]))
                 for s in spans.get_finished_spans()]
    assert any("http.request.resend_count" in text for text in span_text)
    assert any("'http.response.status_code': 401" in text for text in span_text)
    assert any(line.startswith("urllib3") for line in root_at_debug.lines)
    assert any(line.startswith("basecrm_like.http") for line in root_at_debug.lines)
    evidence = {"log": root_at_debug.lines, "hooks": [repr(e) for e in events],
                "spans": span_text}
    for where, texts in evidence.items():
        assert texts, where
        for text in texts:
            for secret in secrets:
                assert secret not in text, f"a secret in {where}: {text[:200]}"
