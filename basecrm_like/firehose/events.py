"""One Firehose event, read tolerantly from a stream item.

The public reference leaves parts of the item unconfirmed, so reading never
fails on a missing or unexpected key: ``event_type`` spellings are normalised
(``create`` -> ``created``), a missing ``sequence`` reads as None, unknown meta
keys stay in :attr:`Event.meta`.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["CREATED", "DELETED", "UPDATED", "Event"]

CREATED, UPDATED, DELETED = "created", "updated", "deleted"
_SPELLINGS = {"create": CREATED, "created": CREATED, "update": UPDATED, "updated": UPDATED,
              "delete": DELETED, "deleted": DELETED, "destroy": DELETED, "destroyed": DELETED}


@dataclass(frozen=True)
class Event:
    """A create, update or delete of one record.

    ``data`` is the record after the change (the deleted record for a delete);
    ``previous`` the changed attributes' old values; ``sequence`` rises per
    record, the only order the stream guarantees; ``position`` is the stream
    position saved once this event's page has been handled.
    """

    resource: str
    event_type: str
    event_id: str
    data: Mapping[str, Any]
    previous: Mapping[str, Any] = field(default_factory=dict)
    sequence: int | None = None
    event_time: str | None = None
    event_cause: str | None = None
    type: str | None = None
    position: str | None = None
    meta: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_item(cls, resource: str, item: Mapping[str, Any],
                  position: str | None = None) -> Event:
        meta = item.get("meta") or {}
        data = item.get("data")
        if not isinstance(data, Mapping):
            data = {}
        raw_type = str(meta.get("event_type") or meta.get("type_of_event") or "")
        sequence = meta.get("sequence")
        try:
            sequence = None if sequence is None else int(sequence)
        except (TypeError, ValueError):
            sequence = None
        previous = meta.get("previous")
        return cls(
            resource=resource,
            event_type=_SPELLINGS.get(raw_type.lower(), raw_type.lower()),
            event_id=str(meta.get("event_id") or ""),
            data=data,
            previous=previous if isinstance(previous, Mapping) else {},
            sequence=sequence,
            event_time=None if meta.get("event_time") is None else str(meta["event_time"]),
            event_cause=None if meta.get("event_cause") is None else str(meta["event_cause"]),
            type=None if meta.get("type") is None else str(meta["type"]),
            position=position,
            meta=meta,
        )

    @property
    def id(self) -> Any:
        """The record's id (from the snapshot)."""
        return self.data.get("id")

    @property
    def time(self) -> dt.datetime | None:
        """``event_time`` as an aware datetime (None when absent or unreadable)."""
        if not self.event_time:
            return None
        try:
            return dt.datetime.fromisoformat(self.event_time.replace("Z", "+00:00"))
        except ValueError:
            return None

    def changed(self, attribute: str) -> bool:
        """Whether this event changed ``attribute`` (an update listing it in ``previous``)."""
        return self.event_type == UPDATED and attribute in self.previous

    def to_dict(self) -> dict[str, Any]:
        """The event as one JSON Lines object: the resource, the snapshot and the meta."""
        return {"resource": self.resource, "data": dict(self.data), "meta": dict(self.meta)}
