"""The Sync driver without a server: the API is faked with ``responses``."""
from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import responses

import basecrm_like
from basecrm_like.sync import SqliteMirror, Sync, SyncService, SyncSummary

from .conftest import BASE, DEVICE, PAGE1, PAGE2, SESSION, FakeSyncApi, item


def test_sync_driver_calls_client_sync_with_positional_arguments() -> None:
    client = mock.Mock()
    client.sync.start.return_value = {"id": SESSION}
    client.sync.fetch.side_effect = [PAGE1, []]
    client.sync.ack.return_value = True
    summary = Sync(client, DEVICE).fetch(lambda meta, data: Sync.ACK)
    client.sync.start.assert_called_once_with(DEVICE)
    assert client.sync.fetch.call_args_list == [mock.call(DEVICE, SESSION)] * 2
    client.sync.ack.assert_called_once_with(DEVICE, ["Contact-1-1", "Deal-2-1", "Lead-3-1"])
    assert summary.acked == 3


def test_sync_over_a_mock_http_client_sees_exactly_the_official_calls() -> None:
    http = mock.Mock(spec=basecrm_like.HttpClient)
    http.post.side_effect = [(201, {}, {"id": SESSION}), (202, {}, b"")]
    http.get.side_effect = [(200, {}, {"items": PAGE1}), (204, {}, b"")]
    client = mock.Mock()
    client.sync = SyncService(http)
    Sync(client, DEVICE).fetch(lambda meta, data: meta["type"] != "lead")
    headers = {"X-Basecrm-Device-UUID": DEVICE}
    assert http.mock_calls == [
        mock.call.post("/sync/start", body=None, headers=headers),
        mock.call.get(f"/sync/{SESSION}/queues/main", params=None, headers=headers, raw=True),
        mock.call.post("/sync/ack", body={"ack_keys": ["Contact-1-1", "Deal-2-1"]},
                       headers=headers),
        mock.call.get(f"/sync/{SESSION}/queues/main", params=None, headers=headers, raw=True),
    ]


# -- the driver over HTTP --------------------------------------------------------------
def test_acks_follow_the_callbacks_of_each_page(client: basecrm_like.Client, rsps: Any) -> None:
    api = FakeSyncApi(rsps, [PAGE1, PAGE2])

    def callback(meta: Any, data: Any) -> bool:
        api.log.append(("callback", meta["sync"]["ack_key"]))
        return Sync.ACK

    summary = Sync(client, DEVICE).fetch(callback)
    assert api.log == [
        ("start", None), ("fetch", 3),
        ("callback", "Contact-1-1"), ("callback", "Deal-2-1"), ("callback", "Lead-3-1"),
        ("ack", ["Contact-1-1", "Deal-2-1", "Lead-3-1"]),
        ("fetch", 2), ("callback", "Contact-4-2"), ("callback", "Deal-5-3"),
        ("ack", ["Contact-4-2", "Deal-5-3"]),
        ("fetch", 0),
    ]
    assert summary == SyncSummary(session_id=SESSION, estimated_total=5, pages=2, seen=5,
                                  acked=5, nacked=0, by_type=summary.by_type,
                                  elapsed=summary.elapsed)
    assert dict(summary.by_type) == {"contact": 2, "deal": 2, "lead": 1}
    assert summary.drained and not summary.stopped
    assert "5 items (acked 5, nacked 0) in 2 pages: contact 2, deal 2, lead 1" == summary.describe()


def test_callback_gets_meta_and_data_as_attribute_dicts(client: basecrm_like.Client,
                                                        rsps: Any) -> None:
    FakeSyncApi(rsps, [[item("deal", 7, name="Chemex", value="99.90")]])
    seen: list[Any] = []
    Sync(client, DEVICE).fetch(lambda meta, data: seen.append((meta, data)) or Sync.ACK)
    meta, data = seen[0]
    assert meta.type == "deal" and meta.sync.event_type == "created"
    assert data.name == "Chemex" and data.value == "99.90"


def test_only_acked_keys_are_acknowledged(client: basecrm_like.Client, rsps: Any) -> None:
    api = FakeSyncApi(rsps, [PAGE1, [item("note", 9)]])
    summary = Sync(client, DEVICE).fetch(
        lambda meta, data: Sync.NACK if meta["type"] in ("deal", "note") else Sync.ACK)
    assert api.acked == ["Contact-1-1", "Lead-3-1"]
    # a page with nothing ACKed sends no ack at all
    assert [e for e in api.log if e[0] == "ack"] == [("ack", ["Contact-1-1", "Lead-3-1"])]
    assert (summary.seen, summary.acked, summary.nacked) == (4, 2, 2)


def test_truthy_and_falsy_verdicts_work_like_the_official_driver(client: basecrm_like.Client,
                                                                 rsps: Any) -> None:
    api = FakeSyncApi(rsps, [PAGE1])
    verdicts = iter([1, None, "yes"])
    Sync(client, DEVICE).fetch(lambda meta, data: next(verdicts))
    assert api.acked == ["Contact-1-1", "Lead-3-1"]


def test_callback_exception_acks_what_came_before_and_nothing_after(
        client: basecrm_like.Client, rsps: Any) -> None:
    api = FakeSyncApi(rsps, [PAGE1, PAGE2 + [item("task", 6)]])

    def callback(meta: Any, data: Any) -> bool:
        if data["id"] == 5:
            raise RuntimeError("disk full")
        return Sync.ACK

    sync = Sync(client, DEVICE)
    with pytest.raises(RuntimeError, match="disk full"):
        sync.fetch(callback)
    assert api.acked == ["Contact-1-1", "Deal-2-1", "Lead-3-1", "Contact-4-2"]
    assert api.log[-1] == ("ack", ["Contact-4-2"])
    assert (sync.summary.seen, sync.summary.acked) == (4, 4)


def test_exception_on_the_first_item_of_a_page_sends_no_ack(client: basecrm_like.Client,
                                                            rsps: Any) -> None:
    api = FakeSyncApi(rsps, [PAGE1])

    def callback(meta: Any, data: Any) -> bool:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        Sync(client, DEVICE).fetch(callback)
    assert [e[0] for e in api.log] == ["start", "fetch"]


def test_a_failing_ack_after_a_callback_error_keeps_the_callback_error(
        client: basecrm_like.Client, rsps: Any) -> None:
    api = FakeSyncApi(rsps, [PAGE1])

    def refuse(keys: list[str]) -> None:
        raise AssertionError("not reached")

    rsps.replace(responses.POST, f"{BASE}/v2/sync/ack", status=500)
    api.on_ack = refuse

    def callback(meta: Any, data: Any) -> bool:
        if data["id"] == 2:
            raise ValueError("bad record")
        return True

    with pytest.raises(ValueError, match="bad record"):
        Sync(client, DEVICE).fetch(callback)


def test_nothing_new_means_no_fetch(client: basecrm_like.Client, rsps: Any) -> None:
    api = FakeSyncApi(rsps, [PAGE1], start_status=204)
    calls: list[Any] = []
    summary = Sync(client, DEVICE).fetch(lambda m, d: calls.append(m) or True)
    assert api.log == [("start", None)] and calls == []
    assert summary.session_id is None and summary.seen == 0 and summary.drained


def test_empty_queue_ends_the_run_without_ack(client: basecrm_like.Client, rsps: Any) -> None:
    api = FakeSyncApi(rsps, [])
    summary = Sync(client, DEVICE).fetch(lambda m, d: True)
    assert [e[0] for e in api.log] == ["start", "fetch"]
    assert summary.pages == 0 and summary.session_id == SESSION


def test_request_stop_finishes_the_page_in_hand(client: basecrm_like.Client, rsps: Any) -> None:
    api = FakeSyncApi(rsps, [PAGE1, PAGE2])
    sync = Sync(client, DEVICE)

    def callback(meta: Any, data: Any) -> bool:
        sync.request_stop()
        return True

    summary = sync.fetch(callback)
    assert api.acked == ["Contact-1-1", "Deal-2-1", "Lead-3-1"]
    assert [e[0] for e in api.log] == ["start", "fetch", "ack"]
    assert summary.stopped and not summary.drained
    # the flag is per run: the next run drains the rest
    assert not sync.fetch(lambda m, d: True).stopped


def test_a_stop_asked_for_before_the_run_ends_it_before_the_first_page(
        client: basecrm_like.Client, rsps: Any) -> None:
    api = FakeSyncApi(rsps, [PAGE1])
    sync = Sync(client, DEVICE)
    sync.request_stop()
    summary = sync.fetch(lambda m, d: True)
    assert summary.stopped and summary.seen == 0
    assert [e[0] for e in api.log] == ["start"]
    assert sync.fetch(lambda m, d: True).seen == 3


def test_a_server_repeating_a_page_does_not_loop_forever(client: basecrm_like.Client,
                                                         rsps: Any) -> None:
    FakeSyncApi(rsps, [PAGE1] * 50)
    summary = Sync(client, DEVICE).fetch(lambda m, d: Sync.NACK)
    assert summary.pages == 2


def test_item_without_ack_key_is_counted_as_not_acknowledged(client: basecrm_like.Client,
                                                             rsps: Any) -> None:
    broken = item("deal", 8)
    del broken["meta"]["sync"]["ack_key"]
    api = FakeSyncApi(rsps, [[broken, item("deal", 9)]])
    summary = Sync(client, DEVICE).fetch(lambda m, d: True)
    assert api.acked == ["Deal-9-1"] and summary.nacked == 1


# -- run() into a sink --------------------------------------------------------------------
def test_run_commits_a_page_before_acknowledging_it(client: basecrm_like.Client, rsps: Any,
                                                    tmp_path: Path) -> None:
    api = FakeSyncApi(rsps, [PAGE1, PAGE2])
    db = tmp_path / "crm.sqlite"
    seen_at_ack: list[int] = []

    def on_ack(keys: list[str]) -> None:
        # another connection sees the page: it was committed before the ack went out
        with sqlite3.connect(db) as other:
            n = sum(other.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]
                    for t in ("contacts", "deals", "leads"))
        seen_at_ack.append(n)

    api.on_ack = on_ack
    progress: list[int] = []
    with SqliteMirror(db) as mirror:
        summary = Sync(client, DEVICE).run(mirror, progress=lambda s: progress.append(s.seen))
        assert mirror.counts() == {"contacts": 2, "deals": 1, "leads": 1}
    assert seen_at_ack == [3, 4]  # page 2 updates contact 4 and deletes deal 5
    assert progress == [3, 5]
    assert summary.acked == 5


def test_run_nacks_what_the_sink_refuses(client: basecrm_like.Client, rsps: Any) -> None:
    api = FakeSyncApi(rsps, [PAGE1])

    class Picky:
        def apply(self, items: Any) -> list[bool]:
            return [i["meta"]["type"] != "deal" for i in items]

    summary = Sync(client, DEVICE).run(Picky())
    assert api.acked == ["Contact-1-1", "Lead-3-1"]
    assert summary.nacked == 1


def test_run_with_a_failing_sink_acks_nothing_of_that_page(client: basecrm_like.Client,
                                                           rsps: Any) -> None:
    api = FakeSyncApi(rsps, [PAGE1, PAGE2])

    class Breaks:
        calls = 0

        def apply(self, items: Any) -> list[bool]:
            self.calls += 1
            if self.calls == 2:
                raise OSError("disk full")
            return [True] * len(items)

    with pytest.raises(OSError):
        Sync(client, DEVICE).run(Breaks())
    assert api.acked == ["Contact-1-1", "Deal-2-1", "Lead-3-1"]


def test_run_rejects_a_sink_returning_the_wrong_number_of_verdicts(
        client: basecrm_like.Client, rsps: Any) -> None:
    api = FakeSyncApi(rsps, [PAGE1])

    class Short:
        def apply(self, items: Any) -> list[bool]:
            return [True]

    with pytest.raises(ValueError, match="1 verdicts for 3 items"):
        Sync(client, DEVICE).run(Short())
    assert api.acked == []


def test_sync_keeps_the_official_surface(client: basecrm_like.Client) -> None:
    sync = Sync(client=client, device_uuid=DEVICE)
    assert sync.client is client and sync.device_uuid == DEVICE
    assert Sync.ACK is True and Sync.NACK is False
    assert isinstance(client.sync, SyncService)
    assert DEVICE in repr(sync)

