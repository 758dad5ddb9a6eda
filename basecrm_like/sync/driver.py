"""The Sync driver: start a session, drain the queue, acknowledge what was kept.

The protocol in one paragraph: ``start`` opens a session for a device UUID,
``fetch`` is called until the queue is drained, and every item whose ack key
is acknowledged is never sent to that device again. Anything not acknowledged
comes back in a later session, so a consumer that acknowledges a page only
after it durably stored it can crash at any point without losing anything.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..http.errors import Error
from ..http.plans import Call, Plan, run_plan
from . import device
from .wire import SyncService

logger = logging.getLogger("basecrm_like.sync")


class SinkError(Error, ValueError):
    """A sink broke its contract (one verdict per item).

    Also a ``ValueError``, as it was before it had a class of its own.
    """


class SyncClient(Protocol):
    """What the driver needs from a client: its Sync API calls.

    A :class:`~basecrm_like.Client` is one; so is anything with a ``sync``
    attribute offering ``start``, ``fetch`` and ``ack``.
    """

    @property
    def sync(self) -> SyncService: ...


@dataclass
class SyncSummary:
    """What one :meth:`Sync.fetch` or :meth:`Sync.run` did.

    ``by_type`` counts the items seen per ``meta.type``; ``estimated_total`` is
    the server's estimate from ``start`` (None when it gave none); ``stopped``
    is True when :meth:`Sync.request_stop` ended the run before the queue was drained.
    """

    session_id: str | None = None
    estimated_total: int | None = None
    pages: int = 0
    seen: int = 0
    acked: int = 0
    nacked: int = 0
    by_type: Counter[str] = field(default_factory=Counter)
    stopped: bool = False
    elapsed: float = 0.0

    @property
    def drained(self) -> bool:
        """True when the queue was read to its end (or there was nothing to read)."""
        return not self.stopped

    def describe(self) -> str:
        """One line for logs: ``120 items (acked 118, nacked 2) in 3 pages: contact 100, deal 20``."""
        types = ", ".join(f"{t} {n}" for t, n in sorted(self.by_type.items()))
        text = (f"{self.seen} items (acked {self.acked}, nacked {self.nacked}) "
                f"in {self.pages} pages")
        return f"{text}: {types}" if types else text


#: what a page's items came to: the ack keys to send, and the exception that stopped it
Handler = Callable[[list[Any]], tuple[list[str], BaseException | None]]


class Sink(Protocol):
    """Where :meth:`Sync.run` puts items.

    ``apply(items)`` stores a page durably and returns one ACK (True) or NACK
    (False) per item, in order. Items are only acknowledged after it returned,
    so what it committed must survive a crash right after it returns.
    """

    def apply(self, items: Sequence[Mapping[str, Any]]) -> list[bool]: ...


class SyncCore:
    """What both Sync drivers share: the device, stopping, and the ACK/NACK rules of a run
    written once, as a plan (:mod:`basecrm_like.http.plans`) over the client's Sync API
    calls that :class:`Sync` runs and :class:`~basecrm_like.sync.async_driver.AsyncSync` awaits.
    """

    ACK = True
    NACK = False

    def __init__(self, client: SyncClient, device_uuid: str) -> None:
        self.__client = client
        self.__device_uuid = device_uuid
        self._stop = threading.Event()
        #: the summary of the current or last run, readable after an exception
        self.summary = SyncSummary()

    @property
    def client(self) -> SyncClient:
        return self.__client

    @property
    def device_uuid(self) -> str:
        return self.__device_uuid

    def __repr__(self) -> str:
        return f"<basecrm_like.{type(self).__name__} device_uuid={self.device_uuid!r}>"

    # -- control --------------------------------------------------------------
    def request_stop(self) -> None:
        """End the current run after the page in hand (callback, commit, ack).

        Safe to call from a signal handler or another thread; called between
        runs, it ends the next one before its first page. What is not fetched
        yet stays on the server for the next run.
        """
        self._stop.set()

    @staticmethod
    def device_uuid_from(path: str | os.PathLike[str]) -> str:
        """The device UUID kept in ``path``, created (uuid4) on first use.

        The file is written atomically, and when two processes create it at the
        same moment both end up with the one that landed first. Keep the file:
        a new UUID makes the server send the whole account again.
        """
        return device.device_uuid_from(path)

    # -- what a page's items come to -------------------------------------------
    def _callback_handler(self, callback: Callable[[Any, Any], Any]) -> Handler:
        """A page through ``callback(meta, data)``: the keys it ACKed, and its exception."""
        def handle(items: list[Any]) -> tuple[list[str], BaseException | None]:
            keys: list[str] = []
            for item in items:
                try:
                    verdict = callback(item["meta"], item["data"])
                except BaseException as exc:  # KeyboardInterrupt too: keep what was done
                    return keys, exc
                self._count(item, bool(verdict), keys)
            return keys, None

        return handle

    def _sink_handler(self, sink: Sink) -> Handler:
        """A page through ``sink.apply``: one verdict per item, or :class:`SinkError`."""
        def handle(items: list[Any]) -> tuple[list[str], BaseException | None]:
            verdicts = sink.apply(items)
            if len(verdicts) != len(items):
                raise SinkError(f"{type(sink).__name__}.apply returned {len(verdicts)} "
                                 f"verdicts for {len(items)} items")
            keys: list[str] = []
            for item, verdict in zip(items, verdicts, strict=True):
                self._count(item, verdict, keys)
            return keys, None

        return handle

    # -- the loop shared by both ---------------------------------------------
    def _drain_plan(self, handle: Handler,
                    progress: Callable[[SyncSummary], None] | None = None) -> Plan[SyncSummary]:
        """A whole run over ``self.client.sync``: start, fetch pages until drained or
        stopped, acknowledge what ``handle`` kept (also after it failed)."""
        summary = self.summary = SyncSummary()
        started = time.monotonic()
        try:
            session = yield Call("start", self.device_uuid)
            if session is None or "id" not in session:
                return summary
            summary.session_id = str(session["id"])
            summary.estimated_total = _estimated_total(session)
            previous: list[str] | None = None
            while not self._stop.is_set():
                items = yield Call("fetch", self.device_uuid, args=(session["id"],))
                if not items:
                    break
                summary.pages += 1
                keys, failure = handle(items)
                if failure is not None:
                    yield from self._ack_after_failure(keys)
                    raise failure
                if keys:
                    yield Call("ack", self.device_uuid, args=(keys,))
                if progress is not None:
                    progress(summary)
                page_keys = [_ack_key(i) or "" for i in items]
                if page_keys == previous:  # a server resending one page forever
                    logger.warning("sync: the server sent the same page twice in session %s; "
                                   "stopping this run", summary.session_id)
                    break
                previous = page_keys
            else:
                summary.stopped = True
            return summary
        finally:
            summary.elapsed = time.monotonic() - started
            self._stop.clear()  # a stop ends one run; one asked for before it began counts

    def _count(self, item: Any, verdict: bool, keys: list[str]) -> None:
        summary = self.summary
        summary.seen += 1
        summary.by_type[_item_type(item)] += 1
        key = _ack_key(item) if verdict else None
        if key is not None:
            keys.append(key)
            summary.acked += 1
        else:
            if verdict:
                logger.warning("sync: an item has no meta.sync.ack_key; it cannot be acknowledged")
            summary.nacked += 1

    def _ack_after_failure(self, keys: list[str]) -> Plan[None]:
        if not keys:
            return
        try:
            yield Call("ack", self.device_uuid, args=(keys,))
        except Exception:  # the callback's exception is the one to report
            logger.exception("sync: could not acknowledge %d items before stopping; "
                             "they will be sent again", len(keys))

class Sync(SyncCore):
    """Drives a whole synchronization: start a session, drain the queue, acknowledge.

    >>> sync = Sync(client=client, device_uuid="<your device's UUID>")  # doctest: +SKIP
    >>> sync.fetch(lambda meta, data: Sync.ACK)                         # doctest: +SKIP

    Compared with the official driver it returns a :class:`SyncSummary`, stops
    cleanly on :meth:`request_stop`, and keeps what a failing callback already
    accepted (see :meth:`fetch`).
    """

    # -- the flows ------------------------------------------------------------
    def fetch(self, callback: Callable[[Any, Any], Any]) -> SyncSummary:
        """Call ``callback(meta, data)`` for every item; acknowledge those it ACKs.

        ``callback`` returns :attr:`ACK` (or anything true) to acknowledge an
        item and :attr:`NACK` to have it sent again in a later session. The
        keys of a page are acknowledged after the callback returned for every
        item of that page, never before.

        If the callback raises, the run stops: the items of that page it
        already ACKed are acknowledged, the failing item and the rest are not
        (they come back next time), and the exception propagates.
        """
        return run_plan(self._drain_plan(self._callback_handler(callback)), self.client.sync)

    def run(self, sink: Sink, progress: Callable[[SyncSummary], None] | None = None) -> SyncSummary:
        """Drain the queue into ``sink`` (e.g. :class:`SqliteMirror`), page by page.

        Each page is handed to ``sink.apply`` (one transaction) and acknowledged
        only after it returned, so the run can be killed at any moment and run
        again: nothing is lost and nothing is applied twice. ``progress`` is
        called with the running summary after every acknowledged page.
        """
        return run_plan(self._drain_plan(self._sink_handler(sink), progress), self.client.sync)


def _item_type(item: Any) -> str:
    meta = item.get("meta") if isinstance(item, Mapping) else None
    kind = meta.get("type") if isinstance(meta, Mapping) else None
    return str(kind) if kind else "unknown"


def _ack_key(item: Any) -> str | None:
    try:
        key = item["meta"]["sync"]["ack_key"]
    except (KeyError, TypeError):
        return None
    return None if key is None else str(key)


def _estimated_total(session: Any) -> int | None:
    try:
        queues = session.get("queues") or []
        total = sum(int((q.get("data") or q)["total_count"]) for q in queues)
    except (AttributeError, KeyError, TypeError, ValueError):
        return None
    return total if queues else None
