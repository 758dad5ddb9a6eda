"""The stream consumer against scripted answers: paging, checkpoints after handling,
tolerance of odd pages, deduplication and the position errors."""
from __future__ import annotations

import json
from typing import Any

import pytest
import responses

import basecrm_like
from basecrm_like.firehose import (
    EventIdFilter,
    MemoryCheckpointStore,
    PositionError,
    PositionExpiredError,
)
from basecrm_like.http.errors import ConfigurationError, RequestError

from ...conftest import BASE

URL = f"{BASE}/v3/deals/stream"


def item(id: int, n: int, event_type: str = "updated", **meta: Any) -> dict[str, Any]:
    return {"data": {"id": id, "name": f"d{id}"},
            "meta": {"type": "deal", "event_type": event_type, "event_id": f"e{n}",
                     "sequence": n, "event_time": "2026-01-01T00:00:00Z", **meta}}


def page(items: list[dict[str, Any]], position: str, top: bool) -> dict[str, Any]:
    return {"items": items, "meta": {"position": position, "top": top,
                                     "links": {"next": f"{URL}?position={position}"}}}


def script(pages: dict[str, dict[str, Any]]) -> None:
    """Answer each request by its position parameter."""
    def answer(request: Any) -> tuple[int, dict[str, str], str]:
        position = request.params.get("position")
        return 200, {"Content-Type": "application/json"}, json.dumps(pages[position])
    responses.add_callback(responses.GET, URL, callback=answer)


@responses.activate
def test_reads_to_top_through_empty_pages_and_saves_each_position(
        client: basecrm_like.Client) -> None:
    script({"tail": page([item(1, 1, "created"), item(2, 2)], "p1", False),
            "p1": page([], "p2", False),          # empty yet not at top: go on
            "p2": page([item(1, 3, "deleted")], "p3", True)})
    store = MemoryCheckpointStore()
    stream = client.firehose.stream("deals", store=store, limit=2)
    got = [(e.event_type, e.id, e.sequence) for e in stream]
    assert got == [("created", 1, 1), ("updated", 2, 2), ("deleted", 1, 3)]
    assert store.positions == {"default:deals": "p3"} and stream.positions == {"deals": "p3"}
    assert [c.request.params["limit"] for c in responses.calls] == ["2", "2", "2"]


@responses.activate
def test_a_page_is_checkpointed_only_once_all_its_events_were_handled(
        client: basecrm_like.Client) -> None:
    script({"tail": page([item(1, 1), item(2, 2)], "p1", False),
            "p1": page([item(3, 3)], "p2", True), "p2": page([], "p2", True)})
    store = MemoryCheckpointStore()
    events = iter(client.firehose.stream("deals", store=store))
    next(events)
    next(events)          # the second event is being handled: nothing saved yet
    assert store.positions == {}
    events.close()        # the consumer dies before asking for more
    assert store.positions == {}
    again = [e.event_id for e in client.firehose.stream("deals", store=store)]
    assert again == ["e1", "e2", "e3"]    # at-least-once: the page comes again
    assert store.positions == {"default:deals": "p2"}
    assert list(client.firehose.stream("deals", store=store)) == []  # p2 asked again, no events


@responses.activate
def test_deduplication_drops_events_seen_before(client: basecrm_like.Client) -> None:
    script({"tail": page([item(1, 1), item(1, 1), item(2, 2)], "p1", True)})
    seen = EventIdFilter(capacity=10)
    assert [e.event_id for e in client.firehose.stream("deals", deduplicate=seen)] == ["e1", "e2"]
    assert [e.event_id for e in client.firehose.stream("deals", deduplicate=seen)] == []
    assert len(list(client.firehose.stream("deals"))) == 3


def test_the_filter_forgets_the_oldest_ids_beyond_its_capacity() -> None:
    seen = EventIdFilter(capacity=2)
    assert [seen.seen(x) for x in ("a", "b", "a", "c", "b", "a", "")] == [
        False, False, True, False, False, False, False]


@responses.activate
def test_odd_pages_are_read_tolerantly(client: basecrm_like.Client) -> None:
    odd = {"data": None, "meta": {"event_type": "create", "sequence": "x", "previous": None}}
    body = {"items": [odd, "junk"],
            "meta": {"top": True, "links": {"next": f"{URL}?position=from-link&limit=5"}}}
    responses.add(responses.GET, URL, json=body)
    store = MemoryCheckpointStore()
    (event,) = client.firehose.stream("deals", store=store)
    assert (event.event_type, event.sequence, dict(event.previous), event.id) == (
        "created", None, {}, None)
    assert store.positions == {"default:deals": "from-link"}


@responses.activate
def test_stream_many_keeps_a_position_per_resource(client: basecrm_like.Client) -> None:
    responses.add(responses.GET, URL, json=page([item(1, 1)], "d1", True))
    responses.add(responses.GET, f"{BASE}/v3/leads/stream",
                  json=page([{"data": {"id": 9}, "meta": {"event_type": "deleted",
                                                           "event_id": "l1"}}], "l1", True))
    store = MemoryCheckpointStore({"default:leads": "saved"})
    got = [(e.resource, e.id) for e in client.firehose.stream_many(["deals", "leads"],
                                                                   store=store)]
    assert got == [("deals", 1), ("leads", 9)]
    assert responses.calls[1].request.params["position"] == "saved"
    assert store.positions == {"default:deals": "d1", "default:leads": "l1"}


def error_body(code: str, field: str = "position") -> dict[str, Any]:
    return {"errors": [{"error": {"code": code, "message": code, "field": field}}],
            "meta": {"type": "errors", "logref": "r1"}}


@responses.activate
def test_an_expired_position_is_a_typed_error_that_says_resync(client: basecrm_like.Client) -> None:
    responses.add(responses.GET, URL, status=410, json=error_body("position_expired"))
    with pytest.raises(PositionExpiredError) as caught:
        list(client.firehose.stream("deals", position="old"))
    err = caught.value
    assert (err.resource, err.position, err.http_status, err.logref) == ("deals", "old", 410, "r1")
    assert "full resync" in str(err) and isinstance(err, RequestError)


@pytest.mark.parametrize(("status", "code", "expected"), [
    (400, "invalid_position", PositionError), (422, "expired_cursor", PositionExpiredError),
    (404, "invalid", PositionError)])
@responses.activate
def test_other_position_refusals_are_recognised(client: basecrm_like.Client, status: int,
                                                code: str, expected: type) -> None:
    responses.add(responses.GET, URL, status=status, json=error_body(code))
    with pytest.raises(expected):
        list(client.firehose.stream("deals", position="odd"))


@responses.activate
def test_other_errors_stay_what_they_are(client: basecrm_like.Client) -> None:
    responses.add(responses.GET, URL, status=403, json=error_body("forbidden", field=""))
    with pytest.raises(RequestError) as caught:
        list(client.firehose.stream("deals"))
    assert not isinstance(caught.value, PositionError)


@responses.activate
def test_follow_polls_at_top_until_stopped(client: basecrm_like.Client) -> None:
    answers = iter([page([item(1, 1)], "p1", True), page([], "p1", True),
                    page([item(2, 2)], "p2", True)])
    responses.add_callback(responses.GET, URL, callback=lambda request: (
        200, {"Content-Type": "application/json"}, json.dumps(next(answers))))
    stream = client.firehose.stream("deals")
    got = []
    for event in stream.follow(poll_interval=0):
        got.append(event.id)
        if len(got) == 2:
            stream.stop()
    assert got == [1, 2] and stream.stopped and len(responses.calls) == 3


def test_arguments_are_checked(client: basecrm_like.Client) -> None:
    with pytest.raises(ConfigurationError):
        client.firehose.stream("deals", limit=0)
    with pytest.raises(ConfigurationError):
        client.firehose.stream("Deals; drop")
    with pytest.raises(ConfigurationError):
        client.firehose.stream_many([])
    with pytest.raises(ConfigurationError):
        client.firehose.stream("deals").follow(poll_interval=-1)
