"""The Firehose event log: one event per write, in order per record, with the right
``previous`` values, causes, positions, retention and reset."""
from __future__ import annotations

import json
from typing import Any

import pytest

from basecrm_like.mock.backend import events, records
from basecrm_like.mock.backend.store import Store
from basecrm_like.resources import CATALOG

from ..conftest import create


def read_all(store: Store, resource: str, position: str = "tail", limit: int = 100,
             window: int = events.SCAN_WINDOW) -> tuple[list[dict[str, Any]], str]:
    """Every event from ``position`` to top, page by page."""
    items: list[dict[str, Any]] = []
    while True:
        page = events.read(store.db, resource, position, limit, window)
        items.extend(json.loads(text) for text in page.items)
        position = page.position
        if page.top:
            return items, position


def update(store: Store, resource: str, id: int, **changes: Any) -> dict[str, Any]:
    res = CATALOG[resource]
    old = store.get(res, id)
    assert old is not None
    return records.update(store, res, old, changes, changes, user_id=1, now="2026-02-02T00:00:00Z")


def test_a_scripted_sequence_has_exactly_its_events_in_order_per_record(seeded: Store) -> None:
    _, top = read_all(seeded, "contacts")
    a = create(seeded, "contacts", last_name="A", email="a@x.test")
    b = create(seeded, "contacts", last_name="B")
    update(seeded, "contacts", a["id"], last_name="A2")
    update(seeded, "contacts", b["id"], email="b@x.test")
    update(seeded, "contacts", a["id"], last_name="A3", email="a3@x.test")
    records.destroy(seeded, CATALOG["contacts"], b["id"])
    got, _ = read_all(seeded, "contacts", top, limit=2)

    by_record: dict[int, list[tuple[str, int, dict[str, Any], Any]]] = {}
    for item in got:
        meta = item["meta"]
        by_record.setdefault(item["data"]["id"], []).append(
            (meta["event_type"], meta["sequence"], meta["previous"], item["data"].get("last_name")))
        assert meta["type"] == "contact" and meta["event_cause"] == "interaction"
        assert meta["event_time"].endswith("Z") and len(meta["event_id"]) == 36
    assert by_record[a["id"]] == [
        ("created", 1, {}, "A"),
        ("updated", 2, {"name": "A", "last_name": "A", "updated_at": a["updated_at"]}, "A2"),
        # the same timestamp as the update before: updated_at did not change
        ("updated", 3, {"name": "A2", "last_name": "A2", "email": "a@x.test"}, "A3"),
    ]
    assert by_record[b["id"]] == [
        ("created", 1, {}, "B"),
        ("updated", 2, {"email": None, "updated_at": b["updated_at"]}, "B"),
        ("deleted", 3, {}, "B"),
    ]
    assert len({item["meta"]["event_id"] for item in got}) == len(got) == 6


def test_an_update_that_changes_nothing_makes_no_event(seeded: Store) -> None:
    a = create(seeded, "contacts", last_name="A")
    _, top = read_all(seeded, "contacts")
    update(seeded, "contacts", a["id"], last_name="A")
    assert read_all(seeded, "contacts", top)[0] == []


def test_cascades_and_conversions_are_system_events(seeded: Store) -> None:
    deal = create(seeded, "deals", name="D", contact_id=create(seeded, "contacts", last_name="P")["id"])
    order = create(seeded, "orders", deal_id=deal["id"])
    records.create(seeded, CATALOG["line_items"], {"product_id": 1, "currency": "EUR", "quantity": 1},
                   parent=order["id"], user_id=1, now="t")
    _, line_top = read_all(seeded, "line_items")
    records.destroy(seeded, CATALOG["orders"], order["id"])
    deleted, _ = read_all(seeded, "line_items", line_top)
    assert [(i["meta"]["event_type"], i["meta"]["event_cause"]) for i in deleted] == [
        ("deleted", "system")]

    _, contacts_top = read_all(seeded, "contacts")
    lead = create(seeded, "leads", first_name="Ada", last_name="L", organization_name="Org")
    create(seeded, "lead_conversions", lead_id=lead["id"])
    made, _ = read_all(seeded, "contacts", contacts_top)
    assert [(i["meta"]["event_type"], i["meta"]["event_cause"], i["data"]["is_organization"])
            for i in made] == [("created", "system", True), ("created", "system", False)]
    conversions, _ = read_all(seeded, "lead_conversions")
    assert conversions[-1]["meta"]["event_cause"] == "interaction"


def test_the_seed_is_logged_as_system_creates(seeded: Store) -> None:
    items, _ = read_all(seeded, "stages")
    assert items and {i["meta"]["event_cause"] for i in items} == {"system"}


def test_pages_bound_by_limit_and_window_never_skip_an_event(store: Store) -> None:
    made = [create(store, "tags", name=f"t{i}", resource_type="contact")["id"] for i in range(7)]
    for i in range(30):
        create(store, "contacts", last_name=f"c{i}")
    made += [create(store, "tags", name=f"u{i}", resource_type="contact")["id"] for i in range(5)]
    pages = []
    position = "tail"
    while True:
        page = events.read(store.db, "tags", position, 3, scan_window=4)
        pages.append(page)
        position = page.position
        if page.top:
            break
    assert any(not page.items and not page.top for page in pages)  # empty yet not at top
    got = [json.loads(text)["data"]["id"] for page in pages for text in page.items]
    assert got == made


def test_top_starts_after_every_event(store: Store) -> None:
    create(store, "contacts", last_name="old")
    top = events.read(store.db, "contacts", "top", 10)
    assert top.items == [] and top.top
    new = create(store, "contacts", last_name="new")
    items, _ = read_all(store, "contacts", top.position)
    assert [i["data"]["id"] for i in items] == [new["id"]]


def test_positions_are_checked(store: Store) -> None:
    create(store, "contacts", last_name="x")
    contacts_top = events.read(store.db, "contacts", "top", 10).position
    for bad in ("garbage!", events.encode_position("deals", 1), contacts_top + "AA"):
        with pytest.raises(events.PositionError) as caught:
            events.read(store.db, "contacts", bad, 10)
        assert not caught.value.expired
    ahead = events.encode_position("contacts", events.last_seq(store.db) + 5)
    with pytest.raises(events.PositionError, match="ahead"):
        events.read(store.db, "contacts", ahead, 10)


def test_pruned_or_reset_events_expire_the_positions_before_them(store: Store) -> None:
    create(store, "contacts", last_name="a")
    start = events.encode_position("contacts", 0)
    second = create(store, "contacts", last_name="b")
    store.execute("UPDATE _events SET at = at - 100 WHERE seq = 1")
    assert events.prune(store.db, retention=50) == 1
    with pytest.raises(events.PositionError) as caught:
        events.read(store.db, "contacts", start, 10)
    assert caught.value.expired
    items, top = read_all(store, "contacts")  # tail is the oldest retained event
    assert [i["data"]["id"] for i in items] == [second["id"]]

    store.clear()
    with pytest.raises(events.PositionError) as caught:
        events.read(store.db, "contacts", top, 10)
    assert caught.value.expired
    again = create(store, "contacts", last_name="c")
    assert [i["meta"]["sequence"] for i in read_all(store, "contacts")[0]] == [1]
    assert again["id"] == 1
    after_first_reset = events.read(store.db, "contacts", "top", 10).position
    store.clear()
    with pytest.raises(events.PositionError) as caught:
        events.read(store.db, "contacts", after_first_reset, 10)
    assert caught.value.expired
