"""The Sync API: per-device sessions over the change log the store keeps.

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
from typing import Any

from werkzeug.wrappers import Response

from ..resources import CATALOG, RESOURCES
from . import query
from .context import Call, empty_reply, json_reply
from .errors import error
from .store import Store, dumps

DEVICE_HEADER = "X-Basecrm-Device-UUID"
PAGE_SIZE = 100
QUEUE = "main"
_BY_MODEL = {res.model_name: res for res in RESOURCES if res.synced}


def device_of(call: Call) -> str:
    device = (call.request.headers.get(DEVICE_HEADER) or "").strip()
    if not device:
        raise error(400, "invalid_header", f"Missing {DEVICE_HEADER} header",
                    f"Sync requests must send {DEVICE_HEADER}: <a UUID that stays the same "
                    "for this device>.", field=DEVICE_HEADER)
    return device


def _int64(text: str) -> bool:
    return text.isdigit() and len(text) < 19


def ack_key(model: str, id: int, revision: int) -> str:
    return f"{model}-{id}-{revision}"


def start(call: Call) -> Response:
    """201 with the session, or 204 when nothing is new for the device."""
    query.check_known(call.args, [])
    device = device_of(call)
    store = call.store
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
        return empty_reply(204)
    store.execute("INSERT INTO _sessions (id, device, cursor, total) VALUES (?, ?, 0, ?)",
                  (session, device, total))
    pages = (total + PAGE_SIZE - 1) // PAGE_SIZE
    body = {
        "data": {"id": session, "queues": [{
            "data": {"name": QUEUE, "pages": pages, "total_count": total},
            "meta": {"type": "sync_queue"}}]},
        "meta": {"type": "sync_session"},
    }
    return json_reply(201, body)


def fetch(call: Call) -> Response:
    """The next page of the session's queue; 204 once drained."""
    query.check_known(call.args, [])
    device = device_of(call)
    store = call.store
    session_id = str(call.values["session_id"])
    if call.values.get("queue", QUEUE) != QUEUE:
        raise error(404, "not_found", "Not Found", f"There is only the {QUEUE!r} queue.")
    row = store.execute("SELECT cursor, total FROM _sessions WHERE id=? AND device=?",
                        (session_id, device)).fetchone()
    if row is None:
        raise error(404, "not_found", "Not Found",
                    f"No sync session {session_id} for this device; start one with "
                    "POST /v2/sync/start.")
    cursor, total = int(row[0]), int(row[1])
    items: list[str] = []
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
        return empty_reply(204)
    left = store.execute("SELECT count(*) FROM _queue WHERE session=? AND pos>?",
                         (session_id, cursor)).fetchone()[0]
    meta = dumps({"type": "collection", "count": len(items), "count_left": int(left)})
    return json_reply(200, f'{{"items":[{",".join(items)}],"meta":{meta}}}')


def _page_items(store: Store, batch: list[Any]) -> list[str]:
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
        sync = dumps({"event_type": event, "ack_key": ack_key(res.model_name, id_, revision),
                      "revision": revision})
        items.append(f'{{"data":{raw},"meta":{{"type":"{res.type}","sync":{sync}}}}}')
    return items


def ack(call: Call) -> Response:
    """Record acknowledged revisions; 202 with no body."""
    query.check_known(call.args, [])
    device = device_of(call)
    keys = call.data().get("ack_keys")
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
    call.store.db.executemany(
        "INSERT INTO _acks (device, resource, id, revision) VALUES (?, ?, ?, ?) "
        "ON CONFLICT(device, resource, id) DO UPDATE SET "
        "revision = max(revision, excluded.revision)", rows)
    return empty_reply(202)

