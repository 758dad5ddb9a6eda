"""Durable file writes: the directory fsync and the write-then-rename behind them.

A file written and fsynced can still vanish after a power cut if the directory
entry naming it was not made durable too; every writer of state that must
survive (token files, the Sync device file, the bulk journal) goes through here
so that rule lives in one place.
"""
from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable
from pathlib import Path

__all__ = ["atomic_write", "fsync_directory"]


def fsync_directory(path: str | os.PathLike[str]) -> None:
    """Make the entries of directory ``path`` durable (POSIX).

    A no-op where directories cannot be opened (Windows), since there the
    rename is as durable as the platform allows anyway.
    """
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(path: str | os.PathLike[str], data: bytes, mode: int = 0o600, *,
                 replace: bool = True,
                 before_replace: Callable[[Path], None] | None = None) -> bool:
    """Write ``data`` to ``path`` so a reader sees the old file or the new one, never half.

    The bytes go to a temporary file in the same directory, created with
    ``mode`` (so a secret is never readable by others, not even briefly), which
    is fsynced and then renamed over ``path``; the directory is fsynced last.

    With ``replace=False`` an existing ``path`` wins: the new file is linked in
    only if none exists, so processes racing to create it agree on the first
    one. Returns whether ``data`` is now the content of ``path``.

    ``before_replace`` is called with the temporary path once it is durable and
    before the rename: the moment a crash is the most instructive to test.
    """
    target = Path(path)
    tmp = target.parent / f".{target.name}.{secrets.token_hex(6)}.tmp"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    fd = os.open(tmp, flags, mode)
    written = True
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if before_replace is not None:
            before_replace(tmp)
        if replace:
            os.replace(tmp, target)
        else:
            try:
                os.link(tmp, target)  # fails if another writer got there first
            except FileExistsError:
                written = False
            except OSError:  # no hard links on this file system
                os.replace(tmp, target)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
    fsync_directory(target.parent)
    return written
