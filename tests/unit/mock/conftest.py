"""Fixtures shared by the mock's unit tests: a clock tests move by hand, and
backend stores (empty or seeded) in memory, used without any HTTP."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from basecrm_like.mock.backend import records
from basecrm_like.mock.backend.seed import SEED_TIME, seed
from basecrm_like.mock.backend.store import Store
from basecrm_like.resources import CATALOG


class Clock:
    """A time source that stands still until a test moves it."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store() -> Iterator[Store]:
    """An empty store (no seed), inside one write transaction."""
    empty = Store()
    with empty.write():
        yield empty
    empty.close()


@pytest.fixture
def seeded(store: Store) -> Store:
    """A store holding what a fresh account has (users, stages, sources...)."""
    seed(store)
    return store


def create(store: Store, resource: str, **values: Any) -> dict[str, Any]:
    """A record made the way the API's create makes it, by user 1."""
    return records.create(store, CATALOG[resource], values, user_id=1, now=SEED_TIME)
