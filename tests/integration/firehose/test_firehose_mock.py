"""The consumer, the command line and the third-party client against a real mock
server over loopback, with faults and rate limits on."""
from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import basecrm_like
from basecrm_like.firehose import FileCheckpointStore, PositionExpiredError
from basecrm_like.mock import serve

from ...support.firehose import (
    ROOT,
    DictStore,
    cli,
    file_state,
    jsonl_event_ids,
    kill_at_random_points,
    server_events,
    write_forever,
    writer_process,
)


def test_a_faulty_rate_limited_stream_still_delivers_every_event(tmp_path: Path) -> None:
    with serve(seed=5, faults="error=0.15,drop=0.05", fault_seed=3, rate_limit=200) as server:
        client = basecrm_like.Client(access_token=server.token, base_url=server.url,
                                     backoff_factor=0.01, max_retries=8)
        stop = tmp_path / "stop"
        writer = threading.Thread(target=write_forever, args=(client, stop, 1, 0.0))
        writer.start()
        store = DictStore()
        seen: list[tuple[str, str]] = []
        try:
            stream = client.firehose.stream_many(["contacts", "deals"], store=store, limit=7)
            deadline = time.monotonic() + 1.5
            while time.monotonic() < deadline:  # catch up to top again and again
                seen.extend((e.resource, e.event_id) for e in stream)
        finally:
            stop.touch()
            writer.join()
        seen.extend((e.resource, e.event_id) for e in client.firehose.stream_many(
            ["contacts", "deals"], store=store, limit=7))
        server.app.set_faults(None)
        expected = [(e.resource, e.event_id)
                    for e in server_events(client, ["contacts", "deals"])]
    assert len(expected) > 20
    # in one process with no crash: each exactly once, in the stream's order per resource
    # (pages of the two resources interleave differently with other page sizes)
    for resource in ("contacts", "deals"):
        assert [i for r, i in seen if r == resource] == [i for r, i in expected if r == resource]
    assert len(seen) == len(expected)
    assert set(store.saved) == {"default:contacts", "default:deals"}


def test_follow_delivers_a_write_and_stops_on_request() -> None:
    with serve() as server:
        client = basecrm_like.Client(access_token=server.token, base_url=server.url)
        stream = client.firehose.stream("tags", position="top")
        got: list[Any] = []

        def consume() -> None:
            for event in stream.follow(poll_interval=0.02):
                got.append(event)
                stream.stop()
        thread = threading.Thread(target=consume)
        thread.start()
        time.sleep(0.3)
        tag = client.tags.create(name="hot", resource_type="deal")
        thread.join(10)
    assert not thread.is_alive()
    assert [(e.event_type, e.id, e.data["name"]) for e in got] == [("created", tag.id, "hot")]


def test_an_expired_saved_position_says_to_resync(tmp_path: Path) -> None:
    with serve(firehose_retention=0.2) as server:
        client = basecrm_like.Client(access_token=server.token, base_url=server.url)
        store = FileCheckpointStore(tmp_path / "state.json")
        list(client.firehose.stream("tags", store=store))
        client.tags.create(name="a", resource_type="deal")
        time.sleep(0.4)
        client.tags.create(name="b", resource_type="deal")
        with pytest.raises(PositionExpiredError, match="full resync"):
            list(client.firehose.stream("tags", store=store))


def test_the_third_party_client_reads_a_resource_to_top(monkeypatch: pytest.MonkeyPatch) -> None:
    module = pytest.importorskip("zendesk_sell_firehose_client")
    import requests

    with serve(seed=2) as server:
        client = basecrm_like.Client(access_token=server.token, base_url=server.url)
        for n in range(30):  # more than one page of its default limit
            client.tags.create(name=f"tag{n}", resource_type="contact")
        real_get = requests.get

        class PointedAtTheMock:
            @staticmethod
            def get(url: str, **kwargs: Any) -> Any:
                return real_get(url.replace("https://api.getbase.com", server.url), **kwargs)

        monkeypatch.setattr(module, "requests", PointedAtTheMock)
        answer = module.ZendeskSellFirehoseClient(bearer_token=server.token).get_tags()
        expected = [e.event_id for e in client.firehose.stream("tags")]
    assert len(expected) >= 30
    assert [item["meta"]["event_id"] for item in answer["items"]] == expected
    assert answer["position"]


def firehose_cli(url: str, token: str, *args: str) -> list[str]:
    return cli("firehose", "--token", token, "--base-url", url, "--no-progress", *args)


def test_the_command_line_consumer_survives_sigkill_at_random_points(tmp_path: Path) -> None:
    """Ten SIGKILLs while another process writes and faults are on: afterwards every
    event is in the output at least once and none was skipped."""
    out, state = tmp_path / "events.jsonl", tmp_path / "state.json"
    resources = ["contacts", "deals"]
    with serve(faults="error=0.1,drop=0.05", fault_seed=5) as server:
        with writer_process(server.url, server.token, tmp_path / "stop", 7) as writes:
            kills = kill_at_random_points(
                firehose_cli(server.url, server.token, *resources, "--follow",
                             "--poll-interval", "0.2", "--limit", "5", "-o", str(out),
                             "--state", str(state)),
                lambda: file_state(out), seed=11)
        finish = subprocess.run(firehose_cli(server.url, server.token, *resources, "-o",
                                             str(out), "--state", str(state)),
                                cwd=ROOT, capture_output=True, text=True)
        server.app.set_faults(None)
        client = basecrm_like.Client(access_token=server.token, base_url=server.url)
        expected = server_events(client, resources)
    assert finish.returncode == 0, finish.stderr
    assert kills == 10 and writes[0] > 0
    delivered = jsonl_event_ids(out)
    assert {e.event_id for e in expected} <= set(delivered)   # nothing skipped
    assert set(delivered) <= {e.event_id for e in expected}   # nothing invented
    first_seen: dict[str, int] = {}
    for index, event_id in enumerate(delivered):
        first_seen.setdefault(event_id, index)
    by_record: dict[tuple[str, Any], list[Any]] = {}
    for event in expected:
        by_record.setdefault((event.resource, event.id), []).append(first_seen[event.event_id])
    assert all(order == sorted(order) for order in by_record.values())  # per-record order kept
