"""The request pipeline: routes fixed at construction, the access log, injected
faults on the wire, and the request log."""
from __future__ import annotations

import logging

import pytest
from werkzeug.test import Client as WsgiClient

from basecrm_like.mock.wire.app import MockApp
from basecrm_like.mock.wire.faults import DropConnection
from basecrm_like.mock.wire.replies import json_reply
from basecrm_like.mock.wire.routes import Route

from .conftest import API_HEADERS


def test_routes_given_at_construction_are_served_and_authenticated() -> None:
    hello = Route("/v2/hello", ("GET",), lambda call: json_reply(200, {"user": call.user_id}))
    app = MockApp(routes=[hello])
    http = WsgiClient(app)
    assert http.get("/v2/hello", headers=API_HEADERS).get_json() == {"user": 1}
    assert http.get("/v2/hello", headers={"User-Agent": "t"}).status_code == 401
    assert not hasattr(app, "add_route")
    app.close()


def test_the_access_log_has_status_and_duration(caplog: pytest.LogCaptureFixture) -> None:
    app = MockApp(access_log=True)
    with caplog.at_level(logging.INFO, logger="basecrm_like.mock.access"):
        WsgiClient(app).get("/v2/contacts?per_page=1", headers=API_HEADERS)
        WsgiClient(app).get("/v2/nowhere", headers=API_HEADERS)
    app.close()
    lines = [record.getMessage() for record in caplog.records]
    assert lines[0].startswith("GET /v2/contacts?per_page=1 -> 200 in ") and lines[0].endswith(" ms")
    assert lines[1].startswith("GET /v2/nowhere -> 404 in ")


def test_no_access_log_unless_asked(http: WsgiClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="basecrm_like.mock.access"):
        http.get("/v2/contacts", headers=API_HEADERS)
    assert caplog.records == []


def test_injected_faults_on_the_wire(app: MockApp, http: WsgiClient) -> None:
    app.set_faults("drop=1")
    with pytest.raises(DropConnection):
        http.get("/v2/contacts", headers=API_HEADERS)
    assert http.get("/_mock/requests").get_json()["items"][-1]["fault"] == "drop"
    app.set_faults("error=1", seed=3)
    statuses = {http.get("/v2/users/self", headers=API_HEADERS).status_code for _ in range(30)}
    assert statuses == {500, 502, 503}
    app.reset()  # back to the faults it was built with: none
    assert http.get("/v2/users/self", headers=API_HEADERS).status_code == 200


def test_every_answer_is_stamped(http: WsgiClient) -> None:
    resp = http.get("/v2/nowhere", headers=API_HEADERS)
    assert resp.headers["Content-Language"] == "en"
    assert resp.get_json()["meta"]["logref"] == resp.headers["X-Request-Id"]
