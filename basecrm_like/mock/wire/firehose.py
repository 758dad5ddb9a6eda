"""The Firehose API v3: ``GET /v3/{resource}/stream`` for every catalog resource.

Answers ``{"items": [...], "meta": {"position", "top", "links": {"next"}}}``
from the event log of :mod:`..backend.events`. Choices where the public
reference is silent (the mock guide lists them): a missing ``position`` means
``tail``; a position that is not one of this stream's is 400
``invalid_position``; a position whose following events are gone (retention,
reset) is 410 ``position_expired``; ``limit`` outside 1..100 is 400
``invalid_param``. Faults and rate limits apply as on any endpoint.
"""
from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from werkzeug.wrappers import Response

from ...catalog import RESOURCES, Resource
from ..backend import events, query
from ..backend.errors import error
from .replies import items_reply
from .request import Call
from .routes import Route

PREFIX = "/v3"
DEFAULT_LIMIT = 25
MAX_LIMIT = 100


def _limit(args: dict[str, str]) -> int:
    text = args.get("limit", str(DEFAULT_LIMIT)).strip()
    if not text.isdigit() or not 1 <= int(text) <= MAX_LIMIT:
        raise error(400, "invalid_param", "Invalid limit",
                    f"limit must be a whole number from 1 to {MAX_LIMIT}; got {text!r}.",
                    field="limit")
    return int(text)


def stream_handler(retention: float) -> Callable[[Call], Response]:
    """The handler of every stream route, pruning events older than ``retention`` seconds."""
    def stream(call: Call) -> Response:
        res = call.resource
        assert res is not None
        args = call.args
        query.check_known(args, ["position", "limit"])
        limit = _limit(args)
        position = args.get("position", "tail").strip() or "tail"
        db = call.store.db
        events.prune(db, retention)
        try:
            page = events.read(db, res.name, position, limit)
        except events.PositionError as exc:
            if exc.expired:
                raise error(410, "position_expired", "Position expired",
                            f"{exc}. Start again from position=tail after a full load "
                            "through the /v2 lists.", field="position") from None
            raise error(400, "invalid_position", "Invalid position",
                        f"{exc}; use tail, top or the meta.position of an earlier answer.",
                        field="position") from None
        next_url = f"{call.request.base_url}?" + urlencode(
            [("position", page.position), ("limit", str(limit))])
        return items_reply(page.items, {"type": "collection", "count": len(page.items),
                                        "position": page.position, "top": page.top,
                                        "links": {"next": next_url}})
    return stream


def stream_path(res: Resource) -> str:
    return f"{PREFIX}/{res.name}/stream"


def firehose_routes(retention: float = events.DEFAULT_RETENTION) -> list[Route]:
    """A stream route per catalog resource; pruning writes, so each runs in a write
    transaction (which also orders it after every committed write)."""
    handler = stream_handler(retention)
    return [Route(stream_path(res), ("GET",), handler, resource=res, write=True,
                  name=f"{res.name}.stream") for res in RESOURCES]
