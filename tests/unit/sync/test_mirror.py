"""The SQLite mirror on its own: revisions, deletes, schema and queries."""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from basecrm_like.sync import SqliteMirror
from tests.unit.sync.conftest import fail_on_table


def item(kind: str, id: Any, rev: int | None = 1, event: str = "created",
         **data: Any) -> dict[str, Any]:
    return {"data": {"id": id, **data},
            "meta": {"type": kind, "sync": {"event_type": event, "revision": rev,
                                            "ack_key": f"{kind}-{id}-{rev}"}}}


@pytest.fixture
def mirror(tmp_path: Path) -> Any:
    with SqliteMirror(tmp_path / "crm.sqlite") as m:
        yield m


def test_upserts_keep_the_highest_revision(mirror: SqliteMirror) -> None:
    assert mirror.apply([item("deal", 1, 2, name="second")]) == [True]
    mirror.apply([item("deal", 1, 1, "updated", name="first, late")])
    assert mirror.get("deals", 1)["name"] == "second"
    mirror.apply([item("deal", 1, 3, "updated", name="third")])
    mirror.apply([item("deal", 1, 3, "updated", name="third")])  # redelivered: no change
    assert mirror.query("deal") == [{"id": 1, "name": "third"}]
    row = mirror.connection.execute("SELECT revision, name FROM deals").fetchall()
    assert row == [(3, "third")]


def test_deletes_remove_and_block_older_updates(mirror: SqliteMirror) -> None:
    mirror.apply([item("contact", 1, 1, name="A"), item("contact", 2, 1, name="B")])
    mirror.apply([item("contact", 1, 2, "deleted")])
    assert mirror.count("contacts") == 1
    # an older update arriving after the delete does not bring the record back
    mirror.apply([item("contact", 1, 1, "updated", name="A again")])
    assert mirror.get("contacts", 1) is None
    # a delete for something never seen is fine
    assert mirror.apply([item("contact", 99, 5, "deleted")]) == [True]
    # a newer revision wins over an older delete
    mirror.apply([item("contact", 1, 3, "updated", name="A restored")])
    assert mirror.get("contact", 1) == {"id": 1, "name": "A restored"}


def test_a_page_is_order_independent(mirror: SqliteMirror) -> None:
    mirror.apply([item("lead", 1, 4, "deleted"), item("lead", 1, 3, "updated", last_name="x")])
    assert mirror.count("leads") == 0
    mirror.apply([item("lead", 2, 5, "updated", last_name="y"), item("lead", 2, 4, "deleted")])
    assert mirror.get("leads", 2) == {"id": 2, "last_name": "y"}


def test_catalog_fields_become_typed_columns(mirror: SqliteMirror) -> None:
    mirror.apply([item("deal", 7, name="Chemex", value="1000.50", hot=True, stage_id=3,
                       tags=["vip", "q3"], custom_fields={"sku": "A1"}, extra="kept")])
    cols = {r[1]: r[2] for r in mirror.connection.execute("PRAGMA table_info(deals)")}
    assert cols["id"] == "INTEGER" and cols["revision"] == "INTEGER"
    assert cols["document"] == "TEXT" and cols["stage_id"] == "INTEGER"
    assert cols["value"] == "TEXT" and cols["hot"] == "INTEGER" and cols["tags"] == "TEXT"
    assert "extra" not in cols
    row = mirror.connection.execute(
        "SELECT value, hot, stage_id, tags, custom_fields, document FROM deals").fetchone()
    assert row[:3] == ("1000.50", 1, 3)
    assert json.loads(row[3]) == ["vip", "q3"] and json.loads(row[4]) == {"sku": "A1"}
    assert json.loads(row[5])["extra"] == "kept"
    pk = [r for r in mirror.connection.execute("PRAGMA table_info(deals)") if r[5]]
    assert [r[1] for r in pk] == ["id"]


def test_unknown_types_get_a_table_of_their_own(mirror: SqliteMirror) -> None:
    assert mirror.apply([item("widget", "w-1", 1, colour="red"), item("widget", 2, 1)]) == [
        True, True]
    cols = [r[1] for r in mirror.connection.execute("PRAGMA table_info(widget)")]
    assert cols == ["id", "revision", "document", "synced_at", "deleted_at"]
    assert mirror.query("widget", colour="red") == [{"id": "w-1", "colour": "red"}]
    assert mirror.count("widget") == 2
    # a hostile type name cannot escape its table name
    mirror.apply([item('x"; DROP TABLE deals; --', 1)])
    assert 'x___drop_table_deals____' in mirror.tables()
    assert mirror.count("deals") == 0  # still there, just empty


def test_an_unknown_type_never_takes_a_catalog_table_name(mirror: SqliteMirror) -> None:
    mirror.apply([item("deals", 1, 1, odd=True), item("deal", 1, 1, name="real")])
    assert mirror.get("deal", 1) == {"id": 1, "name": "real"}
    assert mirror.table_for("deals") == "deals"
    assert "x_deals" in mirror.tables()
    assert mirror.query("x_deals") == [{"id": 1, "odd": True}]


def test_malformed_items_are_nacked_and_left_out(mirror: SqliteMirror) -> None:
    verdicts = mirror.apply([
        {"meta": {"type": "deal"}},                                # no data
        {"data": {"id": 1}},                                       # no meta
        {"data": {"name": "x"}, "meta": {"type": "deal"}},         # no id
        item("deal", "abc"),                                       # catalog ids are integers
        item("deal", True),
        item("deal", 5, None, name="no revision"),
        {"data": {"id": 6}, "meta": {"type": "deal", "sync": {"revision": "x"}}},
        "not even a mapping",  # type: ignore[list-item]
    ])
    assert verdicts == [False, False, False, False, False, True, False, False]
    assert mirror.query("deals") == [{"id": 5, "name": "no revision"}]


def test_missing_revisions_apply_as_latest_state(mirror: SqliteMirror) -> None:
    mirror.apply([item("task", 1, None, content="a")])
    mirror.apply([item("task", 1, 4, "updated", content="b")])
    mirror.apply([item("task", 1, None, "updated", content="c")])
    assert mirror.get("task", 1) == {"id": 1, "content": "c"}


def test_a_failing_page_applies_nothing(mirror: SqliteMirror, monkeypatch: Any) -> None:
    mirror.apply([item("note", 1, 1, content="kept")])
    page = [item("note", 1, 2, "updated", content="lost"), item("note", 2, 1, content="lost")]
    fail_on_table(monkeypatch, mirror, "task")
    with pytest.raises(sqlite3.OperationalError):
        mirror.apply([*page, item("task", 3)])
    monkeypatch.undo()
    assert mirror.query("notes") == [{"id": 1, "content": "kept"}]
    assert not mirror.connection.in_transaction


def test_query_filters(mirror: SqliteMirror) -> None:
    mirror.apply([
        item("deal", 1, name="a", stage_id=3, hot=True, tags=["x"], custom_fields={"k": 1}),
        item("deal", 2, name="b", stage_id=3, hot=False),
        item("deal", 3, name="c", stage_id=4, hot=True, note="free text"),
    ])
    ids = lambda rows: [r["id"] for r in rows]  # noqa: E731
    assert ids(mirror.query("deals", stage_id=3)) == [1, 2]
    assert ids(mirror.query("deal", stage_id=3, hot=True)) == [1]
    assert ids(mirror.query("deals", hot=False)) == [2]
    assert ids(mirror.query("deals", tags=["x"])) == [1]
    assert ids(mirror.query("deals", custom_fields={"k": 1})) == [1]
    assert ids(mirror.query("deals", tags=None)) == [2, 3]
    assert ids(mirror.query("deals", note="free text")) == [3]  # not a column: from the document
    assert ids(mirror.query("deals", id=2)) == [2]
    assert mirror.query("deals", stage_id=99) == []


def test_known_but_empty_and_unknown_tables(mirror: SqliteMirror) -> None:
    assert mirror.tables() == []
    assert mirror.query("contacts") == [] and mirror.count("contact") == 0
    with pytest.raises(KeyError, match="no table for 'gizmos'"):
        mirror.query("gizmos")


def test_reopening_keeps_everything_and_uses_wal(tmp_path: Path) -> None:
    path = tmp_path / "crm.sqlite"
    with SqliteMirror(path) as m:
        m.apply([item("deal", 1, name="a"), item("widget", 1)])
        assert m.connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with SqliteMirror(path) as m:
        assert m.tables() == ["deals", "widget"]
        assert m.counts() == {"deals": 1, "widget": 1}
        m.apply([item("deal", 1, 2, "updated", name="b")])
        assert m.get("deals", 1) == {"id": 1, "name": "b"}


def test_columns_the_catalog_gained_are_added_and_filled(tmp_path: Path) -> None:
    path = tmp_path / "crm.sqlite"
    with SqliteMirror(path) as m:
        m.apply([item("deal", 1, name="a", stage_id=3, tags=["t"])])
        # simulate a mirror written by an older version without these columns
        conn = m.connection
        conn.execute("CREATE TABLE old (id INTEGER PRIMARY KEY, revision INTEGER, "
                     "document TEXT NOT NULL, name TEXT)")
        conn.execute("INSERT INTO old SELECT id, revision, document, name FROM deals")
        conn.execute("DROP TABLE deals")
        conn.execute("ALTER TABLE old RENAME TO deals")
    with SqliteMirror(path) as m:
        m.apply([item("deal", 2, name="b", stage_id=4)])
        rows = m.connection.execute("SELECT id, stage_id, tags FROM deals ORDER BY id").fetchall()
        assert rows == [(1, 3, '["t"]'), (2, 4, None)]
        assert [r["id"] for r in m.query("deals", stage_id=3)] == [1]


def test_big_page_in_one_transaction(mirror: SqliteMirror) -> None:
    page = [item(kind, i, 1, name=f"n{i}") for i in range(500) for kind in ("deal", "lead")]
    assert all(mirror.apply(page))
    assert mirror.counts() == {"deals": 500, "leads": 500}
