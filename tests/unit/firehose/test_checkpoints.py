"""Checkpoint stores: what one saves the next one reads, atomically, and damage is named."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from basecrm_like.firehose import (
    CheckpointStore,
    CheckpointStoreError,
    FileCheckpointStore,
    MemoryCheckpointStore,
    SqliteCheckpointStore,
    open_store,
)

from ...support.firehose import DictStore


@pytest.mark.parametrize("name", ["state.json", "state.db"])
def test_a_new_store_on_the_same_file_reads_what_was_saved(tmp_path: Path, name: str) -> None:
    path = tmp_path / "sub" / name
    first = open_store(path)
    assert first.load("default:deals") is None
    first.save("default:deals", "p1")
    first.save("default:leads", "q1")
    first.save("default:deals", "p2")
    second = open_store(path)
    assert type(second) is type(first)
    assert (second.load("default:deals"), second.load("default:leads")) == ("p2", "q1")


def test_the_file_is_replaced_whole_never_written_in_place(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    store = FileCheckpointStore(path)
    store.save("a", "1")
    inode = os.stat(path).st_ino
    store.save("a", "2")
    assert os.stat(path).st_ino != inode
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]  # no temporary file left
    assert FileCheckpointStore(path).positions() == {"a": "2"}


@pytest.mark.parametrize("content", ["{not json", '{"positions": [1]}', '{"positions": {"a": 1}}'])
def test_a_damaged_file_is_an_error_not_a_fresh_start(tmp_path: Path, content: str) -> None:
    path = tmp_path / "state.json"
    path.write_text(content)
    with pytest.raises(CheckpointStoreError, match="state.json"):
        FileCheckpointStore(path).load("a")


def test_a_damaged_database_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(CheckpointStoreError, match="state.db"):
        SqliteCheckpointStore(path).load("a")
    with pytest.raises(CheckpointStoreError):
        SqliteCheckpointStore(tmp_path / "x.db", table="bad name")


def test_any_object_with_load_and_save_is_a_store() -> None:
    assert isinstance(DictStore(), CheckpointStore)
    assert isinstance(MemoryCheckpointStore(), CheckpointStore)
    assert not isinstance(object(), CheckpointStore)
