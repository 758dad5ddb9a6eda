"""The Sync API's endpoints: the device header, and sessions, pages and
acknowledgements in the API's envelopes (the state is :mod:`..backend.sync`)."""
from __future__ import annotations

from werkzeug.wrappers import Response

from ..backend import query
from ..backend import sync as state
from ..backend.errors import error
from ..backend.store import dumps
from .replies import empty_reply, items_reply, json_reply
from .request import Call

DEVICE_HEADER = "X-Basecrm-Device-UUID"


def device_of(call: Call) -> str:
    device = (call.request.headers.get(DEVICE_HEADER) or "").strip()
    if not device:
        raise error(400, "invalid_header", f"Missing {DEVICE_HEADER} header",
                    f"Sync requests must send {DEVICE_HEADER}: <a UUID that stays the same "
                    "for this device>.", field=DEVICE_HEADER)
    return device


def start(call: Call) -> Response:
    """201 with the session, or 204 when nothing is new for the device."""
    query.check_known(call.args, [])
    session = state.start(call.store, device_of(call))
    if session is None:
        return empty_reply(204)
    return json_reply(201, {
        "data": {"id": session.id, "queues": [{
            "data": {"name": state.QUEUE, "pages": session.pages, "total_count": session.total},
            "meta": {"type": "sync_queue"}}]},
        "meta": {"type": "sync_session"},
    })


def fetch(call: Call) -> Response:
    """The next page of the session's queue; 204 once drained."""
    query.check_known(call.args, [])
    items, left = state.next_page(call.store, device_of(call), str(call.values["session_id"]),
                                  str(call.values.get("queue", state.QUEUE)))
    if not items:
        return empty_reply(204)
    texts = []
    for item in items:
        meta = dumps({"event_type": item.event, "ack_key": item.ack_key,
                      "revision": item.revision})
        texts.append(f'{{"data":{item.raw},"meta":{{"type":"{item.type}","sync":{meta}}}}}')
    return items_reply(texts, {"type": "collection", "count": len(texts), "count_left": left})


def ack(call: Call) -> Response:
    """Record acknowledged revisions; 202 with no body."""
    query.check_known(call.args, [])
    device = device_of(call)
    state.acknowledge(call.store, device, call.data().get("ack_keys"))
    return empty_reply(202)
