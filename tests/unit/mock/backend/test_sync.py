"""Sync state: sessions over the change log, pages of the latest state, acknowledgements."""
from __future__ import annotations

import pytest

from basecrm_like.mock.backend import sync
from basecrm_like.mock.backend.errors import ApiError
from basecrm_like.mock.backend.store import Store
from basecrm_like.resources import CATALOG

from ..conftest import create


def drain(store: Store, device: str) -> list[sync.Item]:
    session = sync.start(store, device)
    assert session is not None
    items: list[sync.Item] = []
    while True:
        page, _ = sync.next_page(store, device, session.id)
        if not page:
            return items
        items.extend(page)


def test_a_device_gets_what_it_did_not_acknowledge(store: Store) -> None:
    contact = create(store, "contacts", last_name="L")
    [item] = drain(store, "dev-1")
    assert (item.type, item.event, item.revision) == ("contact", "created", 1)
    sync.acknowledge(store, "dev-1", [item.ack_key])
    assert sync.start(store, "dev-1") is None  # nothing new
    assert len(drain(store, "dev-2")) == 1  # devices are independent

    store.delete(CATALOG["contacts"], contact["id"])
    [deleted] = drain(store, "dev-1")
    assert deleted.event == "deleted" and deleted.raw == f'{{"id":{contact["id"]}}}'


def test_pages_hold_at_most_a_page_and_count_what_is_left(store: Store) -> None:
    for index in range(sync.PAGE_SIZE + 5):
        create(store, "contacts", last_name=f"L{index}")
    session = sync.start(store, "dev")
    assert session is not None and session.pages == 2
    page, left = sync.next_page(store, "dev", session.id)
    assert (len(page), left) == (sync.PAGE_SIZE, 5)


def test_unknown_sessions_queues_and_keys_are_refused(store: Store) -> None:
    with pytest.raises(ApiError, match="404"):
        sync.next_page(store, "dev", "no-such-session")
    with pytest.raises(ApiError, match="404"):
        sync.next_page(store, "dev", "s", queue="other")
    for keys in ("Contact-1-1", ["Nothing-1-1"], ["Contact-x-1"]):
        with pytest.raises(ApiError) as info:
            sync.acknowledge(store, "dev", keys)
        assert info.value.status == 422
