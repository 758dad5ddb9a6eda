"""Sync API state: per-device sessions over the change log the store keeps.

``_changes`` holds the latest revision of every object of a synced resource
(written in the same transaction as the object). A device's ``_acks`` hold the
revision it acknowledged per object. Starting a session snapshots "what this
device has not acknowledged" into ``_queue`` with one INSERT ... SELECT, so a
first sync of tens of thousands of objects costs one statement; pages are then
read by position and filled with the objects' *current* state.

Rules (from the Sync FAQ): only the latest state is delivered; deletes carry
only ``id``; ``created`` means the device never acknowledged the object; what
is not acknowledged comes again in the next session; an acknowledged revision
never does. Deletes of objects a device never acknowledged are not sent (it
never had them).
"""
from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ...catalog import CATALOG, RESOURCES
from .errors import error
from .store import Store, dumps

PAGE_SIZE = 100
QUEUE = "main"
_BY_MODEL = {res.model_name: res for res in RESOURCES if res.synced}


@dataclass(frozen=True)
class Session:
    id: str
    total: int

    @property
    def pages(self) -> int:
        return (self.total + PAGE_SIZE - 1) // PAGE_SIZE


@dataclass(frozen=True)
class Item:
    """One object of a page: its type, stored JSON (only ``id`` when deleted) and sync meta."""

    type: str
    raw: str
    event: str
    ack_key: str
    revision: int


def ack_key(model: str, id: int, revision: int) -> str:
    return f"{model}-{id}-{revision}"


def _int64(text: str) -> bool:
    return text.isdigit() and len(text) < 19


def start(store: Store, device: str) -> Session | None:
    """A new session for ``device`` (ending its previous one); None when nothing is new."""
    store.execute("DELETE FROM _queue WHERE session IN (SELECT id FROM _sessions WHERE device=?)",
                  (device,))
    store.execute("DELETE FROM _sessions WHERE device=?", (device,))
    session = str(uuid.uuid4())
    cur = store.execute(
        "INSERT INTO _queue (session, pos, resource, id) "
        "SELECT ?, row_number() OVER (ORDER BY c.resource, c.id), c.resource, c.id "
        "FROM _changes c LEFT JOIN _acks a "
        "ON a.device = ? AND a.resource = c.resource AND a.id = c.id "
        "WHERE (a.revision IS NULL AND c.deleted = 0) OR a.revision < c.revision",
        (session, device))
    total = cur.rowcount
    if total <= 0:
        return None
    store.execute("INSERT INTO _sessions (id, device, cursor, total) VALUES (?, ?, 0, ?)",
                  (session, device, total))
    return Session(session, total)


def next_page(store: Store, device: str, session_id: str,
              queue: str = QUEUE) -> tuple[list[Item], int]:
    """The next page of the session's queue and how many objects are left after it;
    an empty page once drained. 404 for an unknown session or queue."""
    if queue != QUEUE:
        raise error(404, "not_found", "Not Found", f"There is only the {QUEUE!r} queue.")
    row = store.execute("SELECT cursor, total FROM _sessions WHERE id=? AND device=?",
                        (session_id, device)).fetchone()
    if row is None:
        raise error(404, "not_found", "Not Found",
                    f"No sync session {session_id} for this device; start one with "
                    "POST /v2/sync/start.")
    cursor, total = int(row[0]), int(row[1])
    items: list[Item] = []
    while not items and cursor < total:
        batch = store.execute(
            "SELECT q.pos, q.resource, q.id, c.revision, c.deleted, a.revision FROM _queue q "
            "JOIN _changes c ON c.resource = q.resource AND c.id = q.id "
            "LEFT JOIN _acks a ON a.device = ? AND a.resource = q.resource AND a.id = q.id "
            "WHERE q.session = ? AND q.pos > ? ORDER BY q.pos LIMIT ?",
            (device, session_id, cursor, PAGE_SIZE)).fetchall()
        if not batch:
            cursor = total
            break
        cursor = int(batch[-1][0])
        items = _page_items(store, batch)
    store.execute("UPDATE _sessions SET cursor=? WHERE id=?", (cursor, session_id))
    if not items:
        return [], 0
    left = store.execute("SELECT count(*) FROM _queue WHERE session=? AND pos>?",
                         (session_id, cursor)).fetchone()[0]
    return items, int(left)


def _page_items(store: Store, batch: Sequence[Any]) -> list[Item]:
    wanted: dict[str, list[int]] = {}
    for _, resource, id_, _, deleted, _ in batch:
        if not deleted:
            wanted.setdefault(resource, []).append(int(id_))
    data = {name: store.data_by_ids(CATALOG[name], ids) for name, ids in wanted.items()}
    items = []
    for _, resource, id_, revision, deleted, acked in batch:
        if acked is not None and acked >= revision:
            continue  # acknowledged since the session started
        res = CATALOG[resource]
        raw = None if deleted else data[resource].get(int(id_))
        if raw is None:
            raw, event = dumps({"id": id_}), "deleted"
        else:
            event = "created" if acked is None else "updated"
        items.append(Item(res.type, raw, event, ack_key(res.model_name, id_, revision),
                          int(revision)))
    return items


def acknowledge(store: Store, device: str, keys: object) -> None:
    """Record acknowledged revisions (never lowering one); 422 for keys this server
    did not issue."""
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        raise error(422, "invalid_type", "ack_keys must be a list of strings",
                    resource="sync_ack", field="/data/ack_keys")
    rows = []
    for key in keys:
        model, _, rest = key.partition("-")
        id_text, _, revision_text = rest.partition("-")
        res = _BY_MODEL.get(model)
        if res is None or not _int64(id_text) or not _int64(revision_text):
            raise error(422, "incorrect_value", f"{key!r} is not an ack key this server issued",
                        "Send back the meta.sync.ack_key values of fetched items unchanged.",
                        resource="sync_ack", field="/data/ack_keys")
        rows.append((device, res.name, int(id_text), int(revision_text)))
    store.executemany(
        "INSERT INTO _acks (device, resource, id, revision) VALUES (?, ?, ?, ?) "
        "ON CONFLICT(device, resource, id) DO UPDATE SET "
        "revision = max(revision, excluded.revision)", rows)
