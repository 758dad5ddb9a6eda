"""The device file: where a mirror keeps the UUID the Sync API knows it by.

Losing the UUID is expensive (a new one makes the server send the whole
account again) and two processes may start at once, so the file is created
atomically and the first writer wins.
"""
from __future__ import annotations

import os
import re
import uuid
from pathlib import Path

from ..http.errors import Error
from ..support.files import atomic_write

_UUID_RE = re.compile(r"^[0-9a-fA-F-]{32,36}$")


class DeviceFileError(Error, ValueError):
    """The device file exists but does not hold a device UUID.

    Also a ``ValueError``, as it was before it had a class of its own.
    """


def device_uuid_from(path: str | os.PathLike[str]) -> str:
    """The device UUID kept in ``path``, created (uuid4) on first use."""
    target = Path(path)
    existing = read_device_file(target)
    if existing is not None:
        return existing
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(target, f"{uuid.uuid4()}\n".encode("ascii"), replace=False)
    found = read_device_file(target)
    if found is None:  # pragma: no cover - only if the file vanished in between
        raise DeviceFileError(f"could not keep the device UUID in {target}; check that its "
                              "directory is writable and that nothing else deletes it")
    return found


def read_device_file(path: Path) -> str | None:
    """The UUID in ``path``; None when there is no file yet."""
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return None
    except UnicodeDecodeError:
        text = "?"
    if not _UUID_RE.match(text):
        raise DeviceFileError(
            f"{path} does not hold a device UUID; fix or delete it (a new UUID makes the "
            "server send the whole account again)")
    return text
