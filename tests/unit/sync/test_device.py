"""The device file: one UUID per mirror, created once even by racing processes."""
from __future__ import annotations

import os
import threading
import uuid
from pathlib import Path

import pytest

from basecrm_like.sync import Sync


# -- device UUID -------------------------------------------------------------------------
def test_device_uuid_is_created_once_and_remembered(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "crm.sqlite.device"
    first = Sync.device_uuid_from(path)
    assert uuid.UUID(first).version == 4
    assert Sync.device_uuid_from(str(path)) == first
    assert path.read_text().strip() == first
    assert os.listdir(path.parent) == ["crm.sqlite.device"]  # no temporary file left


def test_device_uuid_file_with_garbage_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "device"
    path.write_text("not a uuid\n")
    with pytest.raises(ValueError, match="does not hold a device UUID"):
        Sync.device_uuid_from(path)


def test_concurrent_first_use_agrees_on_one_uuid(tmp_path: Path) -> None:
    path = tmp_path / "device"
    found: list[str] = []
    barrier = threading.Barrier(8)

    def worker() -> None:
        barrier.wait()
        found.append(Sync.device_uuid_from(path))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(found) == 8 and len(set(found)) == 1
    assert path.read_text().strip() == found[0]

