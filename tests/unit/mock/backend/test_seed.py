"""The fresh account's data, and deterministic bulk volume."""
from __future__ import annotations

from basecrm_like.mock.backend.seed import STAGES, USERS, seed
from basecrm_like.mock.backend.store import Store
from basecrm_like.resources import CATALOG


def count(store: Store, resource: str) -> int:
    return int(store.execute(f'SELECT count(*) FROM "{resource}"').fetchone()[0])


def test_a_fresh_account(seeded: Store) -> None:
    assert count(seeded, "users") == len(USERS) and count(seeded, "stages") == len(STAGES)
    assert count(seeded, "contacts") == 0 and seeded.meta("seeded") == "0"


def test_bulk_volume_is_deterministic() -> None:
    texts = []
    for _ in range(2):
        store = Store()
        with store.write():
            seed(store, 10)
            assert count(store, "contacts") == count(store, "leads") == count(store, "deals") == 10
            texts.append(store.select(CATALOG["deals"], [], [], "id", 100))
        store.close()
    assert texts[0] == texts[1]
