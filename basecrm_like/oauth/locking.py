"""One refresh at a time per token, across processes.

Two processes sharing a store and refreshing the same token at once both send
the same refresh token; with rotation the server honours the first and answers
``invalid_grant`` to the second. A store that can lock across processes has
``refresh_lock(user)``, a context manager held around "re-read the store,
refresh if still needed, save": the second process then finds the first one's
token in the store and adopts it instead of refreshing.
"""
from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """An exclusive ``flock`` on ``path`` (created 0600), released on exit; a
    no-op where ``fcntl`` does not exist (threads are still serialised by the caller)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def refresh_lock(store: Any, user: str) -> contextlib.AbstractContextManager[Any]:
    """The store's cross-process refresh lock for ``user``, or a no-op for stores
    that live in one process (memory) or do not offer one."""
    lock = getattr(store, "refresh_lock", None)
    if callable(lock):
        return lock(user)
    return contextlib.nullcontext()
