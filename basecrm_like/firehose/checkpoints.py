"""Where a consumer keeps its stream positions between runs.

A position is saved only after every event before it was handled, so a
restart resumes where the last run had finished its work (at-least-once: the
events of the page in progress when it stopped come again). Any object with
``load`` and ``save`` is a store, like the OAuth token stores; keys are
``<consumer name>:<resource>``.
"""
from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from ..support.files import atomic_write
from .errors import CheckpointStoreError

__all__ = ["CheckpointStore", "FileCheckpointStore", "MemoryCheckpointStore",
           "SqliteCheckpointStore", "open_store"]


@runtime_checkable
class CheckpointStore(Protocol):
    """Any class with these two methods is a store; ``save`` must be durable when it
    returns (the consumer treats a saved position as never to be read again)."""

    def load(self, key: str) -> str | None: ...

    def save(self, key: str, position: str) -> None: ...


class MemoryCheckpointStore:
    """Positions in a dict: for tests, and for one process that need not resume."""

    def __init__(self, positions: Mapping[str, str] | None = None) -> None:
        self.positions: dict[str, str] = dict(positions or {})
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<MemoryCheckpointStore {len(self.positions)} positions>"

    def load(self, key: str) -> str | None:
        with self._lock:
            return self.positions.get(key)

    def save(self, key: str, position: str) -> None:
        with self._lock:
            self.positions[key] = position


class FileCheckpointStore:
    """Positions in one JSON file, ``{"version": 1, "positions": {key: position}}``,
    replaced atomically on every save (a crash leaves the old file or the new one)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path).expanduser()
        self._lock = threading.Lock()
        self._cache: dict[str, str] | None = None

    def __repr__(self) -> str:
        return f"<FileCheckpointStore path={str(self.path)!r}>"

    def load(self, key: str) -> str | None:
        with self._lock:
            return self._positions().get(key)

    def save(self, key: str, position: str) -> None:
        with self._lock:
            positions = dict(self._positions())
            positions[key] = position
            body = json.dumps({"version": 1, "positions": positions}, indent=1, sort_keys=True)
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                atomic_write(self.path, body.encode("utf-8") + b"\n")
            except OSError as exc:
                raise CheckpointStoreError(
                    f"cannot write the checkpoint file {self.path} ({exc})") from None
            self._cache = positions

    def positions(self) -> dict[str, str]:
        """Every saved position by key."""
        with self._lock:
            return dict(self._positions())

    def _positions(self) -> dict[str, str]:
        if self._cache is not None:
            return self._cache
        try:
            raw: Any = json.loads(self.path.read_text("utf-8"))
        except FileNotFoundError:
            raw = {"version": 1, "positions": {}}
        except (OSError, ValueError) as exc:
            raise CheckpointStoreError(
                f"checkpoint file {self.path} is unreadable ({exc}); restore it, or delete it "
                "to read the stream again from the start") from None
        positions = raw.get("positions") if isinstance(raw, dict) else None
        if not isinstance(positions, dict) or not all(
                isinstance(v, str) for v in positions.values()):
            raise CheckpointStoreError(
                f"checkpoint file {self.path} is not a checkpoint file (no 'positions' object "
                "of strings); restore it, or delete it to read the stream again from the start")
        self._cache = {str(k): v for k, v in positions.items()}
        return self._cache


class SqliteCheckpointStore:
    """Positions in a SQLite table ``firehose_positions(key, position, updated_at)``,
    one connection per call (safe across threads and processes)."""

    def __init__(self, path: str | os.PathLike[str], table: str = "firehose_positions") -> None:
        if not table.isidentifier():
            raise CheckpointStoreError(f"table must be a plain SQL identifier, got {table!r}")
        self.path = Path(path).expanduser()
        self.table = table

    def __repr__(self) -> str:
        return f"<SqliteCheckpointStore path={str(self.path)!r} table={self.table!r}>"

    def load(self, key: str) -> str | None:
        with self._connect() as conn:
            row = conn.execute(f"SELECT position FROM {self.table} WHERE key = ?",
                               (key,)).fetchone()
        return None if row is None else str(row[0])

    def save(self, key: str, position: str) -> None:
        with self._connect() as conn:
            conn.execute(
                f"INSERT INTO {self.table} (key, position, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT(key) DO UPDATE SET position = excluded.position, "
                "updated_at = excluded.updated_at", (key, position, time.time()))

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(self.path), timeout=30)
        except (OSError, sqlite3.Error) as exc:
            raise CheckpointStoreError(f"cannot open checkpoint database {self.path} ({exc})") \
                from None
        try:
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute(f"CREATE TABLE IF NOT EXISTS {self.table} (key TEXT PRIMARY KEY, "
                         "position TEXT NOT NULL, updated_at REAL NOT NULL)")
            with conn:
                yield conn
        except sqlite3.DatabaseError as exc:
            raise CheckpointStoreError(
                f"checkpoint database {self.path} is unusable ({exc}); restore it, or delete "
                "it to read the stream again from the start") from None
        finally:
            conn.close()


def open_store(path: str | os.PathLike[str]) -> CheckpointStore:
    """A SQLite store for ``*.db``/``*.sqlite``/``*.sqlite3`` files, else a JSON file store."""
    if Path(path).suffix.lower() in (".db", ".sqlite", ".sqlite3"):
        return SqliteCheckpointStore(path)
    return FileCheckpointStore(path)
