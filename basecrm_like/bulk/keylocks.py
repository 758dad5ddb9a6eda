"""Rows with the same key value run one after another, so the second sees the first."""
from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["KeyLocks"]


class KeyLocks:
    """One lock per key value in use (compared as trimmed lower-case text), dropped when free."""

    def __init__(self) -> None:
        self._locks: dict[str, list[Any]] = {}
        self._guard = threading.Lock()

    @contextmanager
    def hold(self, value: Any) -> Iterator[None]:
        """Wait for, then hold, the lock of ``value`` while the block runs."""
        text = str(value).strip().lower()
        with self._guard:
            entry = self._locks.setdefault(text, [threading.Lock(), 0])
            entry[1] += 1
        entry[0].acquire()
        try:
            yield
        finally:
            with self._guard:
                entry[0].release()
                entry[1] -= 1
                if not entry[1]:
                    del self._locks[text]
