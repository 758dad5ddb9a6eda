"""Reading the Firehose: lazy, resumable, at-least-once.

A :class:`Stream` asks for one page at a time and yields its events; the
page's position is saved to the checkpoint store once the consumer has asked
for the event after the page's last one, i.e. once it has handled them all. A
consumer that dies mid-page gets that page again on restart (at-least-once);
:class:`EventIdFilter` drops repeats for the few that need effectively-once.

Pages are read until ``meta.top``; an empty page that is not at top only
moves the position on. :meth:`Stream.follow` keeps polling from top until
:meth:`Stream.stop` or a signal (:meth:`Stream.stop_on_signals`).
"""
from __future__ import annotations

import contextlib
import re
import signal
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

from ..http import errors
from ..http.encoding import decode_json
from ..http.transport import HttpClient
from .checkpoints import CheckpointStore
from .errors import PositionError, PositionExpiredError
from .events import Event
from .mirror import FirehoseMirror, FirehoseSink

__all__ = ["DEFAULT_NAME", "EventIdFilter", "FirehoseService", "Page", "Stream"]

DEFAULT_NAME = "default"
MAX_LIMIT = 100
T = TypeVar("T")
_RESOURCE = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Page:
    """One answer of the stream: its events, the position after them, whether at top."""

    resource: str
    events: list[Event]
    position: str
    top: bool


class EventIdFilter:
    """Remembers the last ``capacity`` event ids, to drop events delivered again."""

    def __init__(self, capacity: int = 100_000) -> None:
        if capacity < 1:
            raise errors.ConfigurationError(f"capacity must be at least 1, got {capacity}")
        self.capacity = capacity
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._seen)

    def seen(self, event_id: str) -> bool:
        """Whether ``event_id`` came before; records it either way (events without an
        id are never treated as repeats)."""
        if not event_id:
            return False
        with self._lock:
            if event_id in self._seen:
                self._seen.move_to_end(event_id)
                return True
            self._seen[event_id] = None
            if len(self._seen) > self.capacity:
                self._seen.popitem(last=False)
            return False


def _position_from(meta: Mapping[str, Any]) -> str | None:
    position = meta.get("position")
    if isinstance(position, str) and position:
        return position
    links = meta.get("links")
    next_url = links.get("next") if isinstance(links, Mapping) else None
    if isinstance(next_url, str):
        found = parse_qs(urlsplit(next_url).query).get("position")
        if found:
            return found[0]
    return None


class FirehoseService:
    """``client.firehose``: streams of the Firehose API v3 over the client's HTTP core
    (its retries, rate limiter, token source and typed errors)."""

    PATH = "/v3/{resource}/stream"
    #: the longest pause between two attempts at a page (seconds)
    MAX_PAUSE = 30.0

    def __init__(self, http_client: HttpClient, *, retries: int = 6,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        """``retries``: attempts at a page after a server error, a dropped connection,
        a timeout or a 429, on top of the HTTP core's own (reading a page is
        idempotent, and a long-running consumer should ride out a bad minute)."""
        self.http_client = http_client
        self.retries = retries
        self._sleep = sleep

    def fetch(self, resource: str, position: str = "tail", limit: int = MAX_LIMIT) -> Page:
        """One page after ``position``. An expired position raises
        :class:`PositionExpiredError`, one the stream does not know :class:`PositionError`."""
        return self._retrying(lambda: self._fetch_once(resource, position, limit))

    def _retrying(self, call: Callable[[], T]) -> T:
        for attempt in range(self.retries + 1):
            try:
                return call()
            except (errors.ServerError, errors.ConnectionError, errors.TimeoutError,
                    errors.RateLimitError) as exc:
                if attempt == self.retries:
                    raise
                advised = getattr(exc, "retry_after", None)
                backoff = self.http_client.config.backoff_factor * 2 ** attempt
                self._sleep(min(advised if advised is not None else backoff, self.MAX_PAUSE))
        raise AssertionError("unreachable")  # pragma: no cover

    def _fetch_once(self, resource: str, position: str, limit: int) -> Page:
        url = self.http_client.config.base_url + self.PATH.format(resource=resource)
        try:
            _, _, body = self.http_client.request(
                "GET", url, params={"position": position, "limit": limit}, raw=True)
        except errors.BaseError as exc:
            refused = _position_refusal(exc)
            if refused is None:
                raise
            raise refused.from_error(exc, resource, position) from None
        if isinstance(body, bytes):  # JSON without a JSON content type
            with contextlib.suppress(ValueError):
                body = decode_json(body)
        if not isinstance(body, Mapping):
            raise errors.ServerError(200, body_excerpt=str(body)[:200])
        meta = body.get("meta") if isinstance(body.get("meta"), Mapping) else {}
        assert isinstance(meta, Mapping)
        items = body.get("items") if isinstance(body.get("items"), list) else []
        assert isinstance(items, list)
        next_position = _position_from(meta)
        if next_position is None:
            if items:
                raise errors.ServerError(200, body_excerpt="a stream page without meta.position")
            next_position = position
        top = bool(meta.get("top", not items))
        events = [Event.from_item(resource, item, next_position) for item in items
                  if isinstance(item, Mapping)]
        return Page(resource, events, next_position, top)

    def stream(self, resource: str, position: str = "tail", limit: int = MAX_LIMIT, *,
               store: CheckpointStore | None = None, name: str = DEFAULT_NAME,
               deduplicate: EventIdFilter | bool = False,
               before_checkpoint: Callable[[], None] | None = None) -> Stream:
        """The events of ``resource`` from ``position`` (``tail``: the oldest retained,
        ``top``: from now on, or a saved position), or from ``store``'s saved one.

        ``limit`` (1..100) bounds each page; ``name`` tells consumers sharing a store
        apart; ``deduplicate`` drops events whose ``event_id`` came before;
        ``before_checkpoint`` runs before each position is saved (make the handling of
        the events before it durable there, e.g. flush and fsync an output file).
        """
        return self.stream_many([resource], position, limit, store=store, name=name,
                                deduplicate=deduplicate, before_checkpoint=before_checkpoint)

    def list_page(self, resource: str, page: int) -> list[Any]:
        """One page (100 records, by id) of a v2 list, for full loads."""
        _, _, records = self._retrying(lambda: self.http_client.request(
            "GET", f"/{resource}", params={"page": page, "per_page": 100, "sort_by": "id"}))
        return list(records) if isinstance(records, list) else []

    def mirror(self, mirror: FirehoseSink, resources: Sequence[str], *,
               limit: int = MAX_LIMIT) -> FirehoseMirror:
        """A :class:`~basecrm_like.firehose.mirror.FirehoseMirror` feeding ``mirror``
        (any object with ``apply(items, checkpoint=...)`` and ``checkpoint(name)``)."""
        return FirehoseMirror(self, mirror, resources, list_page=self.list_page, limit=limit)

    def stream_many(self, resources: Sequence[str], position: str = "tail",
                    limit: int = MAX_LIMIT, *, store: CheckpointStore | None = None,
                    name: str = DEFAULT_NAME,
                    deduplicate: EventIdFilter | bool = False,
                    before_checkpoint: Callable[[], None] | None = None) -> Stream:
        """Several resources in one consumer, a page of each in turn, a position each."""
        if isinstance(resources, str):
            resources = [resources]
        if not resources:
            raise errors.ConfigurationError("name at least one resource to stream")
        for resource in resources:
            if not _RESOURCE.match(resource):
                raise errors.ConfigurationError(
                    f"{resource!r} is not a resource name (e.g. 'deals', 'leads')")
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
            raise errors.ConfigurationError(f"limit must be from 1 to {MAX_LIMIT}, got {limit!r}")
        if not isinstance(position, str) or not position:
            raise errors.ConfigurationError("position must be 'tail', 'top' or a saved position")
        filter_ = deduplicate if isinstance(deduplicate, EventIdFilter) else (
            EventIdFilter() if deduplicate else None)
        return Stream(self.fetch, list(dict.fromkeys(resources)), position=position,
                      limit=limit, store=store, name=name, deduplicate=filter_,
                      before_checkpoint=before_checkpoint)


def _position_refusal(exc: errors.BaseError) -> type[PositionError] | None:
    """Which position error an error answer is, if any. The reference does not say
    how the API answers a stale position, so any 410 and any code mentioning an
    expired position count as expired; a 4xx about the position as unknown."""
    codes = " ".join(str(e.code or "") for e in exc.errors).lower()
    fields = {str(e.field or "").lower() for e in exc.errors}
    if exc.http_status == 410 or ("expired" in codes and 400 <= exc.http_status < 500):
        return PositionExpiredError
    if exc.http_status in (400, 404, 422) and ("position" in codes or "position" in fields):
        return PositionError
    return None


class Stream:
    """Iterate for the events up to top; :meth:`follow` for the events from then on."""

    def __init__(self, fetch: Callable[[str, str, int], Page], resources: list[str], *,
                 position: str, limit: int, store: CheckpointStore | None, name: str,
                 deduplicate: EventIdFilter | None,
                 before_checkpoint: Callable[[], None] | None = None) -> None:
        self._fetch = fetch
        self.resources = resources
        self.start = position
        self.limit = limit
        self.store = store
        self.name = name
        self.deduplicate = deduplicate
        self.before_checkpoint = before_checkpoint
        self._stop = threading.Event()
        self._positions: dict[str, str] = {}
        #: events yielded and pages read so far (for progress displays)
        self.handled = 0
        self.pages = 0

    def __repr__(self) -> str:
        return f"<Stream {','.join(self.resources)} name={self.name!r}>"

    def __iter__(self) -> Iterator[Event]:
        return self._events(follow=False, poll_interval=0.0)

    def follow(self, poll_interval: float = 1.0) -> Iterator[Event]:
        """Every event, polling every ``poll_interval`` seconds once at top, until stopped."""
        if poll_interval < 0:
            raise errors.ConfigurationError(f"poll_interval must be >= 0, got {poll_interval}")
        return self._events(follow=True, poll_interval=poll_interval)

    def stop(self) -> None:
        """End the iteration at the next event or poll (safe from any thread or a signal
        handler). The page in progress is not checkpointed, so its events come again."""
        self._stop.set()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    @contextlib.contextmanager
    def stop_on_signals(self, signals: Iterable[int] = (signal.SIGINT, signal.SIGTERM)
                        ) -> Iterator[Stream]:
        """Within the block, these signals stop the stream instead of interrupting the
        handling of an event (main thread only)."""
        previous = {sig: signal.signal(sig, lambda signum, frame: self.stop()) for sig in signals}
        try:
            yield self
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def key(self, resource: str) -> str:
        """The checkpoint store key of ``resource``."""
        return f"{self.name}:{resource}"

    @property
    def positions(self) -> dict[str, str]:
        """The last saved (handled-through) position per resource."""
        return dict(self._positions)

    def _start_of(self, resource: str) -> str:
        saved = self.store.load(self.key(resource)) if self.store is not None else None
        return saved or self._positions.get(resource) or self.start

    def _events(self, *, follow: bool, poll_interval: float) -> Iterator[Event]:
        current = {resource: self._start_of(resource) for resource in self.resources}
        at_top = dict.fromkeys(self.resources, False)
        while not self._stop.is_set():
            for resource in self.resources:
                if self._stop.is_set():
                    return
                if at_top[resource] and not follow:
                    continue
                page = self._fetch(resource, current[resource], self.limit)
                self.pages += 1
                for event in page.events:
                    if self.deduplicate is not None and self.deduplicate.seen(event.event_id):
                        continue
                    yield event
                    self.handled += 1
                    if self._stop.is_set():
                        return
                current[resource] = page.position
                self._commit(resource, page.position)
                at_top[resource] = page.top
            if all(at_top.values()):
                if not follow:
                    return
                self._stop.wait(poll_interval)

    def _commit(self, resource: str, position: str) -> None:
        if self._positions.get(resource) == position:
            return
        if self.before_checkpoint is not None:
            self.before_checkpoint()
        if self.store is not None:
            self.store.save(self.key(resource), position)
        self._positions[resource] = position
