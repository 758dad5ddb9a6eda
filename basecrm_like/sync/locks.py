"""The writer lock of a file mirror: an OS file lock next to the database file.

One process at a time may write a mirror; a second one either waits or gets a
:class:`MirrorBusyError` saying which process holds the lock. The lock dies with
its process (the OS releases it), so a killed sync never leaves it behind.
"""
from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator

from .base import MirrorBusyError


@contextlib.contextmanager
def file_lock(path: str, what: str, wait: bool | float = False) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created 0600); ``wait`` True, or seconds.

    ``what`` names the locked thing in the error message.
    """
    import fcntl  # POSIX only; imported here so the module imports on Windows

    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = None if wait is True else time.monotonic() + float(wait or 0)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if deadline is not None and time.monotonic() >= deadline:
                    holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip()
                    by = f" (process {holder})" if holder.isdigit() else ""
                    raise MirrorBusyError(
                        f"another sync is running into {what}{by}; wait for it to finish, "
                        "or pass --wait to queue behind it") from None
                time.sleep(0.05)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode("ascii"), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
