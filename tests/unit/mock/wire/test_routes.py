"""Routes built from the catalog, and matching a request to one."""
from __future__ import annotations

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from basecrm_like.mock.backend.errors import ApiError
from basecrm_like.mock.wire.routes import Router, api_routes
from basecrm_like.resources import RESOURCES


def request(method: str, path: str) -> Request:
    return Request(EnvironBuilder(method=method, path=path).get_environ())


def test_every_catalog_action_has_a_route() -> None:
    names = {route.name for route in api_routes()}
    for res in RESOURCES:
        assert {f"{res.name}.{action}" for action in res.actions} <= names
    assert {"sync.start", "sync.fetch", "sync.ack"} <= names


def test_matching_and_the_api_errors() -> None:
    router = Router(api_routes())
    route, values = router.match(request("GET", "/v2/deals/12"))
    assert route.name == "deals.retrieve" and values == {"id": 12} and not route.writes
    with pytest.raises(ApiError) as info:
        router.match(request("PATCH", "/v2/deals/12"))
    assert info.value.status == 405 and "PUT" in info.value.headers["Allow"]
    with pytest.raises(ApiError) as info:
        router.match(request("GET", "/v2/nothing"))
    assert (info.value.status, info.value.items[0].code) == (404, "incorrect_path")
