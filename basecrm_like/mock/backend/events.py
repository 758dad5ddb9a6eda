"""The Firehose event log: one event per record write, read as a per-resource stream.

Every insert, replace and delete the store makes appends an event in the same
transaction (so an answer never shows a write whose event is missing, or the
other way round). An event is kept as the JSON text of its stream item
(``{"data": snapshot, "meta": {...}}``), so reading a page splices texts.

Tables: ``_events(seq, resource, at, item)`` where ``seq`` rises over the whole
log (``AUTOINCREMENT``: never reused, even after a reset) and ``at`` is the
epoch second retention is measured by; ``_event_sequences`` with the last
``sequence`` of every record (per resource, parent and id), which survives the
pruning of old events so a record's sequence keeps rising.

Positions are opaque to clients: ``<resource>.<seq>.<epoch>`` in URL-safe
base64, meaning "every event of that resource up to ``seq`` has been read";
``epoch`` counts resets. A position whose following events were pruned
(retention) or that was issued before a reset (the records it described are
gone without delete events) is expired; the ``_event_marks`` row (which a reset keeps)
``firehose_pruned:<resource>`` holds the highest ``seq`` that is gone.

This module takes the store's SQLite connection rather than the store, so the
store can call it without an import cycle.
"""
from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import sqlite3
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ...catalog import Resource

SCHEMA = """
CREATE TABLE IF NOT EXISTS _events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, resource TEXT NOT NULL, at REAL NOT NULL,
    item TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS _events_by_resource ON _events(resource, seq);
CREATE INDEX IF NOT EXISTS _events_by_time ON _events(at);
CREATE TABLE IF NOT EXISTS _event_sequences (
    resource TEXT NOT NULL, parent NOT NULL, id NOT NULL, sequence INTEGER NOT NULL,
    PRIMARY KEY (resource, parent, id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS _event_marks (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""

#: why a write happened: a request for it, or a consequence of another write
#: (a cascade, a lead conversion's contacts, the seed, a test's direct insert)
INTERACTION = "interaction"
SYSTEM = "system"

#: retention of the real API: 72 hours
DEFAULT_RETENTION = 72 * 3600.0
#: how many log entries (of every resource) one page looks at; a resource with few
#: events among many of others' gets empty pages that are not at top, like the real API's
SCAN_WINDOW = 2000

_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)
_PRUNED = "firehose_pruned:"


def _event_time(moment: float) -> str:
    stamp = dt.datetime.fromtimestamp(moment, dt.timezone.utc)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


def append(db: sqlite3.Connection, res: Resource, parent: Any, id_: Any, event_type: str,
           snapshot: str, previous: Mapping[str, Any], cause: str) -> None:
    """Log one write of a record (``snapshot``: the JSON of the record after it, or of
    the deleted one)."""
    row = db.execute(
        "INSERT INTO _event_sequences (resource, parent, id, sequence) VALUES (?, ?, ?, 1) "
        "ON CONFLICT(resource, parent, id) DO UPDATE SET sequence = sequence + 1 "
        "RETURNING sequence", (res.name, parent, id_)).fetchone()
    moment = time.time()
    meta = {"type": res.type, "event_type": event_type, "event_id": str(uuid.uuid4()),
            "event_cause": cause, "event_time": _event_time(moment),
            "sequence": int(row[0]), "previous": dict(previous)}
    db.execute("INSERT INTO _events (resource, at, item) VALUES (?, ?, ?)",
               (res.name, moment, f'{{"data":{snapshot},"meta":{_ENCODER.encode(meta)}}}'))


def changed_values(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """The old values of the attributes an update changed (``previous``)."""
    return {name: value for name, value in old.items() if new.get(name) != value}


def clear(db: sqlite3.Connection) -> None:
    """Forget every event (a reset): positions issued before become expired."""
    epoch = _epoch(db) + 1
    db.execute("DELETE FROM _events")
    db.execute("DELETE FROM _event_sequences")
    db.execute("INSERT INTO _event_marks (key, value) VALUES ('firehose_epoch', ?) "
               "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (epoch,))


def _epoch(db: sqlite3.Connection) -> int:
    row = db.execute("SELECT value FROM _event_marks WHERE key = 'firehose_epoch'").fetchone()
    return int(row[0]) if row else 0


def last_seq(db: sqlite3.Connection) -> int:
    row = db.execute("SELECT seq FROM sqlite_sequence WHERE name = '_events'").fetchone()
    return int(row[0]) if row else 0


def _pruned(db: sqlite3.Connection, resource: str) -> int:
    row = db.execute("SELECT value FROM _event_marks WHERE key = ?", (_PRUNED + resource,)).fetchone()
    return int(row[0]) if row else 0


def _set_pruned(db: sqlite3.Connection, resource: str, seq: int) -> None:
    db.execute("INSERT INTO _event_marks (key, value) VALUES (?, ?) "
               "ON CONFLICT(key) DO UPDATE SET value = max(value, excluded.value)",
               (_PRUNED + resource, seq))


def prune(db: sqlite3.Connection, retention: float, now: float | None = None) -> int:
    """Drop events older than ``retention`` seconds; returns how many."""
    cutoff = (time.time() if now is None else now) - retention
    gone = db.execute("SELECT resource, max(seq) FROM _events WHERE at < ? GROUP BY resource",
                      (cutoff,)).fetchall()
    for resource, seq in gone:
        _set_pruned(db, str(resource), int(seq))
    if not gone:
        return 0
    return db.execute("DELETE FROM _events WHERE at < ?", (cutoff,)).rowcount


# -- positions ------------------------------------------------------------------------------
class PositionError(ValueError):
    """A position this stream cannot read from; ``expired`` tells which kind."""

    def __init__(self, message: str, expired: bool = False) -> None:
        super().__init__(message)
        self.expired = expired


def encode_position(resource: str, seq: int, epoch: int = 0) -> str:
    return base64.urlsafe_b64encode(f"{resource}.{seq}.{epoch}".encode()).decode().rstrip("=")


def decode_position(resource: str, text: str) -> tuple[int, int]:
    """The ``seq`` and ``epoch`` of a position given for ``resource`` (PositionError
    when it is not one)."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
        name, seq, epoch = raw.rsplit(".", 2)
        values = int(seq), int(epoch)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise PositionError(f"{text!r} is not a position of this stream") from None
    if name != resource or min(values) < 0:
        raise PositionError(f"{text!r} is not a position of the {resource} stream") from None
    return values


@dataclass(frozen=True)
class Page:
    items: list[str]
    position: str
    top: bool


def read(db: sqlite3.Connection, resource: str, position: str, limit: int,
         scan_window: int = SCAN_WINDOW) -> Page:
    """Up to ``limit`` events after ``position`` (``tail``, ``top`` or a saved one)."""
    last = last_seq(db)
    epoch = _epoch(db)
    if position == "top":
        return Page([], encode_position(resource, last, epoch), True)
    pruned = _pruned(db, resource)
    if position == "tail":
        after = pruned
    else:
        after, issued_in = decode_position(resource, position)
        if after < pruned or issued_in != epoch:
            raise PositionError(
                "the events after this position are no longer retained (the stream keeps "
                "them for a limited time, or the data was reset)", expired=True)
        if after > last:
            raise PositionError(f"{position!r} is ahead of the stream's top")
    bound = after + scan_window
    rows = db.execute(
        "SELECT seq, item FROM _events WHERE resource = ? AND seq > ? AND seq <= ? "
        "ORDER BY seq LIMIT ?", (resource, after, bound, limit + 1)).fetchall()
    if len(rows) > limit:
        rows = rows[:limit]
        return Page([row[1] for row in rows], encode_position(resource, rows[-1][0], epoch),
                    False)
    # every event of the resource up to the window's end is in this page
    end = min(bound, last)
    return Page([row[1] for row in rows], encode_position(resource, end, epoch), end >= last)
