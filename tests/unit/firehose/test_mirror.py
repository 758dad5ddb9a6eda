"""The mirror driver against a scripted stream: the full load's starting position
survives a crash mid-load, and events reach the mirror per record in sequence order
with the page's position."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from basecrm_like.firehose import Event, FirehoseMirror, Page
from basecrm_like.firehose.mirror import ordered
from basecrm_like.http.errors import ConfigurationError


class RecordingSink:
    def __init__(self) -> None:
        self.pages: list[tuple[list[Mapping[str, Any]], tuple[str, str] | None]] = []
        self.checkpoints: dict[str, str] = {}

    def apply(self, items: Sequence[Mapping[str, Any]],
              checkpoint: tuple[str, str] | None = None) -> list[bool]:
        self.pages.append((list(items), checkpoint))
        if checkpoint is not None:
            self.checkpoints[checkpoint[0]] = checkpoint[1]
        return [True] * len(items)

    def checkpoint(self, name: str) -> str | None:
        return self.checkpoints.get(name)


def event(id: int, sequence: int, event_type: str = "updated") -> Event:
    return Event("deals", event_type, f"e{id}-{sequence}", {"id": id}, sequence=sequence,
                 type="deal")


class Source:
    def __init__(self, pages: dict[str, Page]) -> None:
        self.pages = pages
        self.asked: list[str] = []

    def fetch(self, resource: str, position: str = "tail", limit: int = 100) -> Page:
        self.asked.append(position)
        return self.pages[position]


def test_events_are_applied_per_record_in_sequence_order_with_their_position() -> None:
    source = Source({
        "top": Page("deals", [], "p0", True),
        "p0": Page("deals", [event(2, 5), event(1, 3), event(2, 4), event(1, 4, "deleted")],
                   "p1", True)})
    sink = RecordingSink()
    listed = [[{"id": n} for n in range(1, 101)], [{"id": 101}]]
    feed = FirehoseMirror(source, sink, ["deals"], list_page=lambda r, n: listed[n - 1])
    summary = feed.run()
    assert (summary.loaded, summary.applied, summary.deleted) == (101, 4, 1)
    items, checkpoint = sink.pages[-1]
    assert checkpoint == ("firehose:deals", "p1")
    assert [(i["data"]["id"], i["meta"]["sync"]["revision"], i["meta"]["sync"]["event_type"])
            for i in items] == [(2, 4, "updated"), (2, 5, "updated"), (1, 3, "updated"),
                                (1, 4, "deleted")]
    assert source.asked == ["top", "p0"]


def test_a_load_cut_short_restarts_from_the_position_noted_before_it() -> None:
    source = Source({"top": Page("deals", [], "before-load", True),
                     "before-load": Page("deals", [], "before-load", True)})
    sink = RecordingSink()

    def failing(resource: str, number: int) -> list[dict[str, Any]]:
        raise OSError("connection lost mid-load")

    with pytest.raises(OSError):
        FirehoseMirror(source, sink, ["deals"], list_page=failing).run()
    source.pages["top"] = Page("deals", [], "later", True)   # the stream moved on meanwhile
    FirehoseMirror(source, sink, ["deals"], list_page=lambda r, n: []).run()
    assert sink.checkpoints["firehose:deals"] == "before-load"
    assert source.asked == ["top", "before-load"]


def test_ordering_keeps_records_apart_and_tolerates_missing_sequences() -> None:
    got = ordered([event(1, 2), event(2, 1), Event("deals", "updated", "x", {"id": 1}),
                   event(1, 1)])
    assert [(e.id, e.sequence) for e in got] == [(1, None), (1, 1), (1, 2), (2, 1)]


def test_nested_resources_cannot_be_mirrored_alone() -> None:
    with pytest.raises(ConfigurationError, match="top-level"):
        FirehoseMirror(Source({}), RecordingSink(), ["line_items"], list_page=lambda r, n: [])


def test_an_sql_mirror_ignores_events_older_than_what_it_holds(tmp_path: Any) -> None:
    from basecrm_like.sync import SqliteMirror

    older = Event("deals", "updated", "a", {"id": 7, "name": "old"}, sequence=3, type="deal")
    newer = Event("deals", "updated", "b", {"id": 7, "name": "new"}, sequence=4, type="deal")
    gone = Event("deals", "deleted", "c", {"id": 8, "name": "x"}, sequence=2, type="deal")
    late = Event("deals", "updated", "d", {"id": 8, "name": "x"}, sequence=1, type="deal")
    source = Source({"p0": Page("deals", [newer, gone], "p1", False),
                     "p1": Page("deals", [older, late], "p2", True)})
    with SqliteMirror(tmp_path / "m.sqlite") as mirror:
        mirror.apply([], checkpoint=("firehose:deals", "p0"))    # loaded already
        FirehoseMirror(source, mirror, ["deals"], list_page=lambda r, n: []).run()
        assert mirror.get("deals", 7)["name"] == "new"
        assert mirror.get("deals", 8) is None
        assert mirror.checkpoint("firehose:deals") == "p2"
