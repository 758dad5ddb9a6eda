"""The mock's Sync API: sessions, pages, acks, redelivery, deletes and volume."""
from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
import requests

from basecrm_like.mock import serve


class SyncApi:
    def __init__(self, url: str, token: str, device: str | None = None) -> None:
        self.url = url
        self.device = device or str(uuid.uuid4())
        self.session = requests.Session()
        self.session.headers.update({"Authorization": f"Bearer {token}", "User-Agent": "t",
                                     "X-Basecrm-Device-UUID": self.device})

    def start(self) -> requests.Response:
        return self.session.post(self.url + "/v2/sync/start", timeout=30)

    def fetch(self, session_id: str) -> requests.Response:
        return self.session.get(f"{self.url}/v2/sync/{session_id}/queues/main", timeout=30)

    def ack(self, keys: list[str]) -> requests.Response:
        return self.session.post(self.url + "/v2/sync/ack", json={"data": {"ack_keys": keys}},
                                 timeout=30)

    def drain(self, ack: bool = True) -> list[dict[str, Any]]:
        """One full session; every item, acknowledged page by page when ``ack``."""
        resp = self.start()
        if resp.status_code == 204:
            return []
        assert resp.status_code == 201, resp.text
        session_id = resp.json()["data"]["id"]
        items: list[dict[str, Any]] = []
        for _ in range(10_000):
            page = self.fetch(session_id)
            if page.status_code == 204:
                return items
            assert page.status_code == 200
            batch = page.json()["items"]
            items.extend(batch)
            if ack:
                assert self.ack([i["meta"]["sync"]["ack_key"] for i in batch]).status_code == 202
        raise AssertionError("the queue never drained")


@pytest.fixture
def sync(basecrm_mock: Any) -> SyncApi:
    return SyncApi(basecrm_mock.url, basecrm_mock.token)


def _create_contact(sync: SyncApi, **attrs: Any) -> dict[str, Any]:
    resp = sync.session.post(sync.url + "/v2/contacts", json={"data": attrs}, timeout=10)
    assert resp.status_code == 200
    return dict(resp.json()["data"])


def test_device_header_required(sync: SyncApi) -> None:
    del sync.session.headers["X-Basecrm-Device-UUID"]
    resp = sync.start()
    assert resp.status_code == 400
    assert resp.json()["errors"][0]["error"]["code"] == "invalid_header"


def test_first_sync_delivers_seed_data_then_nothing(sync: SyncApi) -> None:
    resp = sync.start()
    assert resp.status_code == 201
    body = resp.json()
    assert body["meta"]["type"] == "sync_session"
    queue = body["data"]["queues"][0]
    assert queue["meta"]["type"] == "sync_queue" and queue["data"]["name"] == "main"
    total = queue["data"]["total_count"]
    items = sync.drain()
    assert len(items) == total
    types = {i["meta"]["type"] for i in items}
    assert {"user", "stage", "pipeline", "deal_source", "loss_reason"} <= types
    assert "account" not in types and "custom_field" not in types  # synced=False
    assert all(i["meta"]["sync"]["event_type"] == "created" for i in items)
    assert sync.start().status_code == 204


def test_item_shape_and_updates(sync: SyncApi) -> None:
    sync.drain()
    contact = _create_contact(sync, last_name="Lovelace")
    items = sync.drain()
    assert len(items) == 1
    meta = items[0]["meta"]
    assert meta["type"] == "contact"
    assert meta["sync"] == {"event_type": "created", "ack_key": f"Contact-{contact['id']}-1",
                            "revision": 1}
    assert items[0]["data"] == contact
    sync.session.put(f"{sync.url}/v2/contacts/{contact['id']}",
                     json={"data": {"title": "Countess"}}, timeout=10)
    sync.session.put(f"{sync.url}/v2/contacts/{contact['id']}",
                     json={"data": {"title": "Mathematician"}}, timeout=10)
    items = sync.drain()
    assert len(items) == 1  # only the latest state
    assert items[0]["meta"]["sync"]["event_type"] == "updated"
    assert items[0]["meta"]["sync"]["revision"] == 3
    assert items[0]["data"]["title"] == "Mathematician"


def test_unacknowledged_items_come_again(sync: SyncApi) -> None:
    sync.drain()
    ids = [_create_contact(sync, last_name=f"C{i}")["id"] for i in range(3)]
    first = sync.drain(ack=False)
    assert sorted(i["data"]["id"] for i in first) == ids
    # acknowledge one of them; the other two must come back
    sync.ack([first[0]["meta"]["sync"]["ack_key"]])
    again = sync.drain()
    assert sorted(i["data"]["id"] for i in again) == sorted(
        i["data"]["id"] for i in first[1:])
    assert all(i["meta"]["sync"]["event_type"] == "created" for i in again)
    assert sync.start().status_code == 204


def test_deletes_carry_only_the_id(sync: SyncApi) -> None:
    contact = _create_contact(sync, last_name="Gone")
    sync.drain()
    sync.session.delete(f"{sync.url}/v2/contacts/{contact['id']}", timeout=10)
    items = sync.drain()
    assert [(i["data"], i["meta"]["sync"]["event_type"]) for i in items] == [
        ({"id": contact["id"]}, "deleted")]


def test_created_and_deleted_before_first_sync_is_not_sent(sync: SyncApi) -> None:
    sync.drain()
    contact = _create_contact(sync, last_name="Blink")
    sync.session.delete(f"{sync.url}/v2/contacts/{contact['id']}", timeout=10)
    assert sync.start().status_code == 204


def test_devices_are_independent(sync: SyncApi, basecrm_mock: Any) -> None:
    other = SyncApi(basecrm_mock.url, basecrm_mock.token)
    sync.drain()
    _create_contact(sync, last_name="Shared")
    assert len(sync.drain()) == 1
    assert len(other.drain()) > 1  # the second device still gets everything


def test_fetch_of_unknown_session(sync: SyncApi) -> None:
    assert sync.fetch(str(uuid.uuid4())).status_code == 404


def test_bad_ack_keys(sync: SyncApi) -> None:
    assert sync.ack(["nonsense"]).status_code == 422
    assert sync.ack(["Contact-99999999999999999999999-1"]).status_code == 422
    resp = sync.session.post(sync.url + "/v2/sync/ack", json={"data": {"ack_keys": "x"}},
                             timeout=10)
    assert resp.status_code == 422


def test_a_big_first_sync_is_fast() -> None:
    """7,000 each of contacts, leads and deals (21,000+ items), acknowledged page by page."""
    started = time.perf_counter()
    with serve(seed=7000) as server:
        seeded = time.perf_counter() - started
        sync = SyncApi(server.url, server.token)
        started = time.perf_counter()
        items = sync.drain()
        took = time.perf_counter() - started
        assert len(items) > 21_000
        assert len({i["meta"]["sync"]["ack_key"] for i in items}) == len(items)
        assert sync.start().status_code == 204
    print(f"\nseeded 21,000 records in {seeded:.2f} s; first sync of {len(items)} items "
          f"in {took:.2f} s")
