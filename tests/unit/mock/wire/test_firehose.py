"""``GET /v3/{resource}/stream`` over WSGI: the answer's shape, its checks, and the
pipeline (tokens, rate limits, faults) applying to it like to any endpoint."""
from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

from werkzeug.test import Client as WsgiClient

from basecrm_like.mock.wire.app import MockApp
from basecrm_like.resources import RESOURCES

from .conftest import API_HEADERS


def get(http: WsgiClient, path: str, **params: str):  # type: ignore[no-untyped-def]
    return http.get(path, query_string=params, headers=API_HEADERS)


def test_every_catalog_resource_has_a_stream(http: WsgiClient) -> None:
    for res in RESOURCES:
        answer = get(http, f"/v3/{res.name}/stream", position="top")
        assert answer.status_code == 200, res.name
        assert answer.json["meta"]["top"] is True


def test_a_write_appears_with_its_meta_and_next_link(http: WsgiClient) -> None:
    top = get(http, "/v3/tags/stream", position="top").json["meta"]["position"]
    http.post("/v2/tags", json={"data": {"name": "vip", "resource_type": "contact"}},
              headers=API_HEADERS)
    answer = get(http, "/v3/tags/stream", position=top, limit="1").json
    (item,) = answer["items"]
    assert item["data"]["name"] == "vip"
    assert {k: item["meta"][k] for k in ("type", "event_type", "event_cause", "sequence",
                                          "previous")} == {
        "type": "tag", "event_type": "created", "event_cause": "interaction", "sequence": 1,
        "previous": {}}
    meta = answer["meta"]
    assert meta["top"] is True and meta["position"] != top
    assert parse_qs(urlsplit(meta["links"]["next"]).query) == {
        "position": [meta["position"]], "limit": ["1"]}


def test_limits_and_positions_are_checked(http: WsgiClient) -> None:
    for limit in ("0", "101", "ten"):
        answer = get(http, "/v3/deals/stream", limit=limit)
        assert (answer.status_code, answer.json["errors"][0]["error"]["code"]) == (
            400, "invalid_param")
    assert get(http, "/v3/deals/stream", limit="100").status_code == 200
    answer = get(http, "/v3/deals/stream", position="nope")
    assert (answer.status_code, answer.json["errors"][0]["error"]["code"]) == (
        400, "invalid_position")
    assert get(http, "/v3/deals/stream", since="1").status_code == 400
    assert get(http, "/v3/nothing/stream").status_code == 404


def test_a_position_older_than_retention_is_gone() -> None:
    app = MockApp(firehose_retention=0.05)
    http = WsgiClient(app)
    try:
        start = get(http, "/v3/tags/stream", position="top").json["meta"]["position"]
        http.post("/v2/tags", json={"data": {"name": "a", "resource_type": "contact"}},
                  headers=API_HEADERS)
        time.sleep(0.1)
        answer = get(http, "/v3/tags/stream", position=start)
        assert answer.status_code == 410
        error = answer.json["errors"][0]["error"]
        assert error["code"] == "position_expired" and "full load" in error["details"]
    finally:
        app.close()


def test_tokens_rate_limits_and_faults_apply() -> None:
    app = MockApp(rate_limit=1, faults="error=1.0")
    http = WsgiClient(app)
    try:
        assert get(http, "/v3/deals/stream").status_code >= 500
        app.set_faults(None)
        assert http.get("/v3/deals/stream", headers={"User-Agent": "x"}).status_code == 401
        statuses = [get(http, "/v3/deals/stream").status_code for _ in range(3)]
        assert 429 in statuses
    finally:
        app.close()
