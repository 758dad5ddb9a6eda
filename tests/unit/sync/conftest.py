"""Shared by the Sync tests: a fake Sync API served with ``responses`` and its items."""
from __future__ import annotations

import json
import sqlite3
from typing import Any

import pytest
import responses

from basecrm_like.sync import DEVICE_HEADER

BASE = "https://api.example.test"
DEVICE = "6dadcec8-6e61-4691-b318-1aab27b8ecf2"
SESSION = "a1b2c3d4-session"


def item(kind: str, id: int, rev: int = 1, event: str = "created", **data: Any) -> dict[str, Any]:
    return {"data": {"id": id, **data},
            "meta": {"type": kind, "sync": {"event_type": event, "revision": rev,
                                            "ack_key": f"{kind.capitalize()}-{id}-{rev}"}}}


def fail_on_table(monkeypatch: pytest.MonkeyPatch, mirror: Any, kind: str) -> None:
    """Make ``mirror`` fail with a disk error when a page needs the table of ``kind``."""
    real = mirror._table

    def boom(wanted: str) -> Any:
        if wanted == kind:
            raise sqlite3.OperationalError("disk I/O error")
        return real(wanted)

    monkeypatch.setattr(mirror, "_table", boom)


class FakeSyncApi:
    """Serves ``pages`` one per fetch, then 204; records every request in ``log``."""

    def __init__(self, rsps: responses.RequestsMock, pages: list[list[dict[str, Any]]],
                 start_status: int = 201) -> None:
        self.pages = list(pages)
        self.log: list[tuple[str, Any]] = []
        self.acked: list[str] = []
        self.start_status = start_status
        self.on_ack: Any = None
        rsps.add_callback(responses.POST, f"{BASE}/v2/sync/start", callback=self._start)
        rsps.add_callback(responses.GET, f"{BASE}/v2/sync/{SESSION}/queues/main",
                          callback=self._fetch)
        rsps.add_callback(responses.POST, f"{BASE}/v2/sync/ack", callback=self._ack)

    def _start(self, request: Any) -> tuple[int, dict[str, str], str]:
        assert request.headers[DEVICE_HEADER] == DEVICE
        assert request.body is None
        self.log.append(("start", None))
        if self.start_status == 204:
            return 204, {}, ""
        total = sum(len(p) for p in self.pages)
        body = {"data": {"id": SESSION, "queues": [
            {"data": {"name": "main", "pages": len(self.pages), "total_count": total},
             "meta": {"type": "sync_queue"}}]}, "meta": {"type": "sync_session"}}
        return 201, {"Content-Type": "application/json"}, json.dumps(body)

    def _fetch(self, request: Any) -> tuple[int, dict[str, str], str]:
        assert request.headers[DEVICE_HEADER] == DEVICE
        if not self.pages:
            self.log.append(("fetch", 0))
            return 204, {}, ""
        page = self.pages.pop(0)
        self.log.append(("fetch", len(page)))
        body = {"items": page, "meta": {"type": "collection", "count": len(page),
                                        "count_left": sum(len(p) for p in self.pages)}}
        return 200, {"Content-Type": "application/json"}, json.dumps(body)

    def _ack(self, request: Any) -> tuple[int, dict[str, str], str]:
        assert request.headers[DEVICE_HEADER] == DEVICE
        keys = json.loads(request.body)["data"]["ack_keys"]
        self.log.append(("ack", keys))
        if self.on_ack is not None:
            self.on_ack(keys)
        self.acked.extend(keys)
        return 202, {}, ""


@pytest.fixture
def rsps() -> Any:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as r:
        yield r


PAGE1 = [item("contact", 1), item("deal", 2), item("lead", 3)]
PAGE2 = [item("contact", 4, 2, "updated"), item("deal", 5, 3, "deleted")]

