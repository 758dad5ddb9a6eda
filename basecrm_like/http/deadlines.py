"""A total deadline per attempt: connecting, the status line, headers and body.

urllib3's read timeout applies to each read of the socket, so a server sending
one byte at a time never trips it. Here every attempt made for an
:class:`AttemptGuard` gets a deadline; one shared watchdog thread shuts the
attempt's socket down when the deadline passes, which wakes the blocked read
with end-of-file and ends the attempt. No thread is started per request: arming
and disarming are a lock and a heap push.

The guard reaches the connection through a context variable, so only requests
sent by :meth:`HttpClient.send <basecrm_like.http.transport.HttpClient.send>`
are watched, whatever else shares the session.
"""
from __future__ import annotations

import contextlib
import heapq
import itertools
import os
import socket
import threading
import time
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3 import PoolManager
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from . import errors

#: the least time between two wake-ups of the watchdog (seconds): how late a
#: deadline may be enforced, and what keeps a stream of requests from waking it
#: once each
TICK = 0.05


class AttemptGuard:
    """The deadline of each attempt of one logical request, ``budget`` seconds from its start."""

    __slots__ = ("budget", "deadline", "fired", "_entry")

    def __init__(self, budget: float) -> None:
        self.budget = budget
        #: the ``time.monotonic()`` deadline of the latest attempt (None before the first)
        self.deadline: float | None = None
        #: set once the watchdog cut the latest attempt off
        self.fired = False
        self._entry: _Entry | None = None

    def arm(self, conn: HTTPConnection) -> None:
        """A new attempt on ``conn`` starts now; the previous one (if any) is over."""
        self.deadline = time.monotonic() + self.budget
        conn._basecrm_guard = self  # type: ignore[attr-defined]  # noqa: SLF001
        _WATCHDOG.schedule(self, conn)

    def disarm(self) -> None:
        """The request is over: nothing of it is cut off any more."""
        if self._entry is not None:
            _WATCHDOG.cancel(self)


#: the guard of the request being sent on this thread
current_guard: ContextVar[AttemptGuard | None] = ContextVar("basecrm_like_attempt_guard",
                                                             default=None)


class _Entry:
    __slots__ = ("deadline", "guard", "conn", "live")

    def __init__(self, deadline: float, guard: AttemptGuard, conn: HTTPConnection) -> None:
        self.deadline = deadline
        self.guard = guard
        self.conn = conn
        self.live = True


class _Watchdog:
    """One daemon thread cutting off the attempts whose deadline passed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._heap: list[tuple[float, int, _Entry]] = []
        self._order = itertools.count()
        self._cancelled = 0
        self._next_wake = float("inf")
        self._thread: threading.Thread | None = None

    def schedule(self, guard: AttemptGuard, conn: HTTPConnection) -> None:
        deadline = guard.deadline
        assert deadline is not None
        entry = _Entry(deadline, guard, conn)
        with self._lock:
            if guard._entry is not None:  # noqa: SLF001  (a retry: the earlier attempt is over)
                self._drop(guard._entry)  # noqa: SLF001
            guard.fired = False  # of this attempt: an earlier one cut off was retried
            guard._entry = entry  # noqa: SLF001
            heapq.heappush(self._heap, (deadline, next(self._order), entry))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="basecrm-like-deadlines",
                                                daemon=True)
                self._thread.start()
            elif deadline < self._next_wake:
                self._wake.notify()
            if self._cancelled > 1024 and self._cancelled * 2 > len(self._heap):
                self._heap = [item for item in self._heap if item[2].live]
                heapq.heapify(self._heap)
                self._cancelled = 0

    def cancel(self, guard: AttemptGuard) -> None:
        with self._lock:
            if guard._entry is not None:  # noqa: SLF001
                self._drop(guard._entry)  # noqa: SLF001
                guard._entry = None  # noqa: SLF001

    def _drop(self, entry: _Entry) -> None:
        if entry.live:
            entry.live = False
            self._cancelled += 1

    def _run(self) -> None:
        with self._lock:
            while True:
                now = time.monotonic()
                heap = self._heap
                while heap and heap[0][0] <= now:
                    entry = heapq.heappop(heap)[2]
                    if entry.live:
                        entry.live = False
                        _cut_off(entry)
                    else:
                        self._cancelled -= 1
                if not heap:
                    self._next_wake = float("inf")
                    self._wake.wait()
                else:
                    self._next_wake = max(heap[0][0], now + TICK)
                    self._wake.wait(self._next_wake - now)

    def _after_fork(self) -> None:
        # the thread did not survive the fork, and the lock may be held by it
        self.__init__()  # type: ignore[misc]


def _cut_off(entry: _Entry) -> None:
    """Shut the attempt's socket down, unless the connection already serves another request."""
    conn = entry.conn
    if getattr(conn, "_basecrm_guard", None) is not entry.guard:
        return
    entry.guard.fired = True
    if conn.sock is not None:  # None while connecting: cut off when the request starts
        _shut_down(conn.sock)


def _shut_down(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        # the plain socket's shutdown, also for TLS: it wakes a blocked read at once
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


_WATCHDOG = _Watchdog()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_WATCHDOG._after_fork)  # noqa: SLF001


def _arm_once(conn: HTTPConnection) -> bool:
    """Arm the call's guard unless this attempt already did (a TLS connection
    connects before the request is sent; a plain one while sending it)."""
    guard = current_guard.get()
    if guard is None or getattr(conn, "_basecrm_pending", False):
        return False
    guard.arm(conn)
    conn._basecrm_pending = True  # type: ignore[attr-defined]  # noqa: SLF001
    return True


def _connect(conn: HTTPConnection, connect: Callable[[], None]) -> None:
    armed = _arm_once(conn)
    try:
        connect()
    except BaseException:
        if armed:
            conn._basecrm_pending = False  # type: ignore[attr-defined]  # noqa: SLF001
        raise


def _request(conn: HTTPConnection, send: Callable[[], None]) -> None:
    _arm_once(conn)
    try:
        guard = current_guard.get()
        if guard is not None and guard.fired and conn.sock is not None:
            _shut_down(conn.sock)  # the deadline passed while connecting
        send()
    finally:
        conn._basecrm_pending = False  # type: ignore[attr-defined]  # noqa: SLF001


class GuardedHTTPConnection(HTTPConnection):
    def connect(self) -> None:
        _connect(self, super().connect)

    def request(self, *args: Any, **kwargs: Any) -> None:
        _request(self, lambda: super(GuardedHTTPConnection, self).request(*args, **kwargs))


class GuardedHTTPSConnection(HTTPSConnection):
    def connect(self) -> None:
        _connect(self, super().connect)

    def request(self, *args: Any, **kwargs: Any) -> None:
        _request(self, lambda: super(GuardedHTTPSConnection, self).request(*args, **kwargs))


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = GuardedHTTPSConnection


def _guard_pools(manager: PoolManager) -> PoolManager:
    manager.pool_classes_by_scheme = {"http": _GuardedHTTPPool, "https": _GuardedHTTPSPool}
    return manager


class DeadlineAdapter(HTTPAdapter):
    """requests' adapter whose connections honour the :class:`AttemptGuard` of the call."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        _guard_pools(self.poolmanager)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> PoolManager:
        known = proxy in self.proxy_manager
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if not known and not proxy.lower().startswith("socks"):
            _guard_pools(manager)
        return manager


def deadline_error(method: str, path: str, timeout: Any) -> errors.TimeoutError:
    """The error of an attempt the watchdog cut off."""
    return errors.TimeoutError(
        f"{method} {path} timed out after {timeout!r} s: no whole answer in time (the timeout "
        "bounds each attempt as a whole: connecting, the status line, headers and body, not "
        "each read); "
        "the server is very slow or something between is trickling the answer; raise the "
        "timeout option or retry later, and for a write, check whether it was applied first")
