"""Keeping a local mirror current from the Firehose instead of the Sync API.

First a full load: the stream's top position is noted *before* the records
are listed through the v2 lists, so every change made while the lists are read
comes again from the stream. Then each page of events is applied in one
transaction together with the position after it (``mirror.apply(items,
checkpoint=...)``), ordered per record by ``sequence``: the mirror keeps the
highest ``sequence`` it has seen per record as its revision, so an older event
never overwrites a newer state, and deletes leave tombstones. A crash at any
point loses nothing and applies nothing twice: the position and the rows are
committed together or not at all.

A mirror is any object with ``apply(items, checkpoint=None) -> list[bool]``
(Sync-shaped items: ``{"data": record, "meta": {"type", "sync": {"event_type",
"revision"}}}``) and ``checkpoint(name) -> str | None``, like the SQL mirrors
of :mod:`basecrm_like.sync`.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..catalog import CATALOG
from ..http import errors
from .events import DELETED, Event

__all__ = ["FirehoseMirror", "FirehoseSink", "MirrorSummary"]

#: checkpoint names: the position events are applied from, and (while a full load runs)
#: the position noted before it started
APPLIED, LOADING = "firehose:{resource}", "firehose-load:{resource}"


class PageSource(Protocol):
    """Where pages of events come from (``client.firehose``)."""

    def fetch(self, resource: str, position: str = "tail", limit: int = 100) -> Any: ...


class FirehoseSink(Protocol):
    """What the mirror driver writes into (the SQL mirrors are such sinks)."""

    def apply(self, items: Sequence[Mapping[str, Any]],
              checkpoint: tuple[str, str] | None = None) -> list[bool]: ...

    def checkpoint(self, name: str) -> str | None: ...


@dataclass
class MirrorSummary:
    """What a run did: records listed by full loads, events applied, pages, rejections."""

    loaded: int = 0
    applied: int = 0
    deleted: int = 0
    pages: int = 0
    rejected: int = 0
    started: float = field(default_factory=time.monotonic)

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def describe(self) -> str:
        return (f"{self.loaded} records loaded, {self.applied} events applied "
                f"({self.deleted} deletes) in {self.pages} pages"
                + (f", {self.rejected} rejected" if self.rejected else ""))


def sync_item(kind: str, data: Mapping[str, Any], event_type: str,
              revision: int | None) -> dict[str, Any]:
    """A record in the shape Sync pages have, which the mirrors apply."""
    return {"data": dict(data),
            "meta": {"type": kind, "sync": {"event_type": event_type, "revision": revision}}}


def _kind(resource: str) -> str:
    res = CATALOG.get(resource)
    return res.type if res is not None else resource


class FirehoseMirror:
    """Feeds ``mirror`` with ``resources`` from the Firehose (after a full load).

    ``list_page(resource, page)`` returns one page (up to 100) of the v2 list,
    ordered by id; the client's is used by ``client.firehose.mirror(...)``.
    """

    def __init__(self, firehose: PageSource, mirror: FirehoseSink,
                 resources: Sequence[str], *,
                 list_page: Callable[[str, int], Sequence[Mapping[str, Any]]],
                 limit: int = 100) -> None:
        for resource in resources:
            res = CATALOG.get(resource)
            if res is not None and res.parent_params:
                raise errors.ConfigurationError(
                    f"{resource} live under another resource; mirror top-level resources only")
        if not resources:
            raise errors.ConfigurationError("name at least one resource to mirror")
        self.firehose = firehose
        self.mirror = mirror
        self.resources = list(dict.fromkeys(resources))
        self.list_page = list_page
        self.limit = limit
        self.summary = MirrorSummary()
        self._stop = threading.Event()

    def stop(self) -> None:
        """Finish the page in hand (it is committed whole or not at all), then return."""
        self._stop.set()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def run(self, *, follow: bool = False, poll_interval: float = 1.0,
            progress: Callable[[MirrorSummary], None] | None = None) -> MirrorSummary:
        """Load what was never loaded, then apply events up to top (and on, with
        ``follow``, polling every ``poll_interval`` seconds, until :meth:`stop`)."""
        for resource in self.resources:
            if self._stop.is_set():
                return self.summary
            if self.mirror.checkpoint(APPLIED.format(resource=resource)) is None:
                self._full_load(resource, progress)
        at_top = dict.fromkeys(self.resources, False)
        while not self._stop.is_set():
            for resource in self.resources:
                if self._stop.is_set():
                    break
                if at_top[resource] and not follow:
                    continue
                at_top[resource] = self._apply_page(resource)
                if progress is not None:
                    progress(self.summary)
            if all(at_top.values()):
                if not follow:
                    break
                self._stop.wait(poll_interval)
        return self.summary

    def _full_load(self, resource: str, progress: Callable[[MirrorSummary], None] | None
                   ) -> None:
        # the position noted before listing: kept across a crash mid-load, so the
        # deletes made since it are replayed however often the load restarts
        loading = LOADING.format(resource=resource)
        start = self.mirror.checkpoint(loading)
        if start is None:
            start = self.firehose.fetch(resource, "top", 1).position
            self.mirror.apply([], checkpoint=(loading, start))
        kind = _kind(resource)
        page_number = 1
        while True:
            records = self.list_page(resource, page_number)
            if records:
                verdicts = self.mirror.apply(
                    [sync_item(kind, record, "updated", None) for record in records])
                self.summary.loaded += sum(verdicts)
                self.summary.rejected += verdicts.count(False)
                self.summary.pages += 1
                if progress is not None:
                    progress(self.summary)
            if len(records) < 100:
                break
            page_number += 1
        self.mirror.apply([], checkpoint=(APPLIED.format(resource=resource), start))

    def _apply_page(self, resource: str) -> bool:
        name = APPLIED.format(resource=resource)
        position = self.mirror.checkpoint(name) or "tail"
        page = self.firehose.fetch(resource, position, self.limit)
        items = [self._item(event) for event in ordered(page.events)]
        verdicts = self.mirror.apply(items, checkpoint=(name, page.position))
        self.summary.pages += 1
        self.summary.applied += sum(verdicts)
        self.summary.deleted += sum(1 for item, ok in zip(items, verdicts, strict=True)
                                    if ok and item["meta"]["sync"]["event_type"] == DELETED)
        self.summary.rejected += verdicts.count(False)
        return page.top

    @staticmethod
    def _item(event: Event) -> dict[str, Any]:
        return sync_item(event.type or _kind(event.resource), event.data, event.event_type,
                         event.sequence)


def ordered(events: Iterable[Event]) -> list[Event]:
    """Events grouped per record, each record's in ``sequence`` order (the only order
    the stream guarantees); records keep the order of their first event."""
    first: dict[Any, int] = {}
    listed = list(events)
    for index, event in enumerate(listed):
        first.setdefault(event.id, index)
    return sorted(listed, key=lambda e: (first[e.id], -1 if e.sequence is None else e.sequence))
