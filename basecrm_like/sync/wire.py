"""The Sync API's three wire calls, made exactly as the official 1.x client makes them.

Users' unit tests mock ``HttpClient`` and assert on these calls, so their
arguments (positional and keyword alike) are part of the public surface.
"""
from __future__ import annotations

from typing import Any

from ..http.plans import Call, Plan, run_plan
from ..http.transport import HttpClient

DEVICE_HEADER = "X-Basecrm-Device-UUID"


class SyncService:
    """``start``, ``fetch`` and ``ack`` of the Sync API for one device UUID."""

    def __init__(self, http_client: HttpClient) -> None:
        self.__http_client = http_client

    @property
    def http_client(self) -> HttpClient:
        return self.__http_client

    def start(self, device_uuid: str) -> Any:
        """Open a session; None when there is nothing new for this device (204)."""
        return run_plan(start_plan(device_uuid), self.http_client)

    def fetch(self, device_uuid: str, session_id: str, queue: str = "main") -> list[Any]:
        """The next page of the queue: items with ``meta`` and ``data``; [] when drained."""
        return run_plan(fetch_plan(device_uuid, session_id, queue), self.http_client)

    def ack(self, device_uuid: str, ack_keys: list[str]) -> bool:
        """Acknowledge items so they are never sent to this device again."""
        return run_plan(ack_plan(device_uuid, ack_keys), self.http_client)

    @staticmethod
    def build_headers(device_uuid: str) -> dict[str, str]:
        return {DEVICE_HEADER: device_uuid}


# -- the three calls as plans (:mod:`basecrm_like.http.plans`), for both clients --------
def start_plan(device_uuid: str) -> Plan[Any]:
    status, _, session = yield Call("post", "/sync/start", {
        "body": None, "headers": SyncService.build_headers(device_uuid)})
    return None if status == 204 else session


def fetch_plan(device_uuid: str, session_id: str, queue: str = "main") -> Plan[list[Any]]:
    status, _, root = yield Call("get", f"/sync/{session_id}/queues/{queue}", {
        "params": None, "headers": SyncService.build_headers(device_uuid), "raw": True})
    return [] if status == 204 else list(root["items"])


def ack_plan(device_uuid: str, ack_keys: list[str]) -> Plan[bool]:
    status, _, _ = yield Call("post", "/sync/ack", {
        "body": {"ack_keys": ack_keys}, "headers": SyncService.build_headers(device_uuid)})
    return status == 202
