"""SyncService: the official client's exact HttpClient calls."""
from __future__ import annotations

from unittest import mock

import basecrm_like
from basecrm_like.sync import SyncService

from .conftest import DEVICE, PAGE1, SESSION


# -- the low-level service, exactly as the official client calls HttpClient -------------
def test_sync_service_makes_the_official_calls() -> None:
    http = mock.Mock(spec=basecrm_like.HttpClient)
    service = SyncService(http)
    headers = {"X-Basecrm-Device-UUID": DEVICE}

    http.post.return_value = (201, {}, {"id": SESSION})
    assert service.start(DEVICE) == {"id": SESSION}
    http.post.assert_called_once_with("/sync/start", body=None, headers=headers)

    http.get.return_value = (200, {}, {"items": PAGE1})
    assert service.fetch(DEVICE, SESSION) == PAGE1
    http.get.assert_called_once_with(f"/sync/{SESSION}/queues/main", params=None,
                                     headers=headers, raw=True)

    http.post.reset_mock()
    http.post.return_value = (202, {}, b"")
    assert service.ack(DEVICE, ["Contact-1-1"]) is True
    http.post.assert_called_once_with("/sync/ack", body={"ack_keys": ["Contact-1-1"]},
                                      headers=headers)


def test_sync_service_204_paths() -> None:
    http = mock.Mock(spec=basecrm_like.HttpClient)
    service = SyncService(http)
    http.post.return_value = (204, {}, b"")
    assert service.start(DEVICE) is None
    http.get.return_value = (204, {}, b"")
    assert service.fetch(DEVICE, SESSION) == []
    http.post.return_value = (200, {}, b"")
    assert service.ack(DEVICE, ["x"]) is False

