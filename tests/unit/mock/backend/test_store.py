"""SQLite storage: records, ids that are never reused, the change log, transactions."""
from __future__ import annotations

import pytest

from basecrm_like.mock.backend.store import Store
from basecrm_like.resources import CATALOG

CONTACTS = CATALOG["contacts"]


def revision(store: Store, id: int) -> tuple[int, int] | None:
    row = store.execute("SELECT revision, deleted FROM _changes WHERE resource=? AND id=?",
                        ("contacts", id)).fetchone()
    return None if row is None else (row[0], row[1])


def test_writes_bump_the_revision_sync_reads(store: Store) -> None:
    store.insert(CONTACTS, {"id": 1, "name": "A"})
    assert store.get(CONTACTS, 1) == {"id": 1, "name": "A"}
    store.replace(CONTACTS, {"id": 1, "name": "B"})
    assert store.get_raw(CONTACTS, 1) == '{"id":1,"name":"B"}'
    assert revision(store, 1) == (2, 0)
    assert store.delete(CONTACTS, 1) and not store.delete(CONTACTS, 1)
    assert revision(store, 1) == (3, 1) and store.get(CONTACTS, 1) is None


def test_ids_are_never_reused(store: Store) -> None:
    assert store.next_id(CONTACTS, 3) == 1
    store.reserve_id(CONTACTS, 10)
    assert store.next_id(CONTACTS) == 11
    store.reserve_id(CONTACTS, 5)  # never moves back
    assert store.next_id(CONTACTS) == 12


def test_a_failed_write_rolls_back() -> None:
    store = Store()
    with pytest.raises(RuntimeError), store.write():
        store.insert(CONTACTS, {"id": 1})
        raise RuntimeError("half done")
    with store.read():
        assert store.get(CONTACTS, 1) is None
    store.close()


def test_nested_records_are_found_by_id_and_parent(store: Store) -> None:
    line_items = CATALOG["line_items"]
    store.insert(line_items, {"id": 7}, parent=3)
    assert store.get(line_items, 7) is None and store.get(line_items, 7, parent=3) == {"id": 7}
    assert store.child_ids(line_items, 3) == [7]
    assert store.data_by_ids(line_items, [7, 8]) == {7: '{"id":7}'}


def test_clear_and_meta(store: Store) -> None:
    store.insert(CONTACTS, {"id": 1})
    store.set_meta("seeded", "0")
    store.clear()
    assert store.meta("seeded") is None and store.exists(CONTACTS, 1) is False
