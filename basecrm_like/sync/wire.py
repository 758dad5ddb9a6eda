"""The Sync API's three wire calls, made exactly as the official 1.x client makes them.

Users' unit tests mock ``HttpClient`` and assert on these calls, so their
arguments (positional and keyword alike) are part of the public surface.
"""
from __future__ import annotations

from typing import Any

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
        status, _, session = self.http_client.post(
            "/sync/start", body=None, headers=self.build_headers(device_uuid))
        return None if status == 204 else session

    def fetch(self, device_uuid: str, session_id: str, queue: str = "main") -> list[Any]:
        """The next page of the queue: items with ``meta`` and ``data``; [] when drained."""
        status, _, root = self.http_client.get(
            f"/sync/{session_id}/queues/{queue}", params=None,
            headers=self.build_headers(device_uuid), raw=True)
        return [] if status == 204 else list(root["items"])

    def ack(self, device_uuid: str, ack_keys: list[str]) -> bool:
        """Acknowledge items so they are never sent to this device again."""
        status, _, _ = self.http_client.post(
            "/sync/ack", body={"ack_keys": ack_keys}, headers=self.build_headers(device_uuid))
        return status == 202

    @staticmethod
    def build_headers(device_uuid: str) -> dict[str, str]:
        return {DEVICE_HEADER: device_uuid}
