"""Mirror by URL, checkpoints, unstorable items, layout upgrades and the writer lock (SQLite)."""
from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from basecrm_like.sync import Mirror, MirrorBusyError, MirrorError, SqliteMirror
from tests.unit.sync.conftest import fail_on_table
from tests.unit.sync.test_mirror import item


def test_mirror_by_url_picks_sqlite(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    for url in ("plain.sqlite", "sqlite:///rel.sqlite", f"sqlite:///{tmp_path}/abs.sqlite"):
        with Mirror(url) as m:
            assert isinstance(m, SqliteMirror) and isinstance(m, Mirror)
            m.apply([item("deal", 1, name="x")])
    assert sorted(p.name for p in tmp_path.glob("*.sqlite")) == [
        "abs.sqlite", "plain.sqlite", "rel.sqlite"]
    with pytest.raises(MirrorError, match="no mirror for 'mysql://u:\\*\\*\\*@h/db'"):
        Mirror("mysql://u:secret@h/db")


def test_checkpoint_is_written_with_the_items(tmp_path: Path) -> None:
    with Mirror(tmp_path / "m.sqlite") as m:
        assert m.checkpoint("firehose:deals") is None
        assert m.apply([item("deal", 1, name="a")], checkpoint=("firehose:deals", "pos-1")) == [
            True]
        assert m.checkpoint("firehose:deals") == "pos-1"
        m.apply([], checkpoint=("firehose:deals", "pos-2"))
        assert m.checkpoint("firehose:deals") == "pos-2"
    with Mirror(tmp_path / "m.sqlite") as m:
        assert m.checkpoint("firehose:deals") == "pos-2" and m.checkpoint("other") is None


def test_a_failing_page_keeps_the_old_checkpoint(tmp_path: Path, monkeypatch: Any) -> None:
    with SqliteMirror(tmp_path / "m.sqlite") as m:
        m.apply([item("deal", 1)], checkpoint=("c", "1"))
        fail_on_table(monkeypatch, m, "task")
        with pytest.raises(sqlite3.OperationalError):
            m.apply([item("deal", 2), item("task", 3)], checkpoint=("c", "2"))
        monkeypatch.undo()
        assert m.checkpoint("c") == "1" and m.count("deals") == 1


def test_unstorable_items_are_nacked_and_reported(tmp_path: Path) -> None:
    with SqliteMirror(tmp_path / "m.sqlite") as m:
        page = [item("deal", 1, name="ok"),
                item("deal", 2, value=2 ** 64),                       # beyond int64
                item("deal", 3, custom_fields={"n": -(2 ** 70)}),
                item("deal", 2 ** 63),                                 # id beyond int64
                item("deal", 4, rev=2 ** 64),
                item("deal", 5, score=float("inf")),
                item("contact", 6, name="nul\x00byte"),
                item("deal", 7, name="also ok")]
        assert m.apply(page) == [True, False, False, False, False, False, False, True]
        assert [d["id"] for d in m.query("deals")] == [1, 7]
        reasons = [str(r) for r in m.rejected]
        assert reasons[0].startswith("deal 2: value: integer 1844674407") and "64 bits" in \
            reasons[0]
        assert "custom_fields: n: integer" in reasons[1]
        assert "revision does not fit" in reasons[3] and "not finite" in reasons[4]
        assert "NUL" in reasons[5]
        # the next page still goes in: nothing is stuck behind the bad items
        assert m.apply([item("deal", 8)]) == [True]


def test_an_old_file_is_upgraded_in_place(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    conn = sqlite3.connect(path)  # the layout written before synced_at and checkpoints
    conn.executescript("""
        CREATE TABLE _sync_types (type TEXT PRIMARY KEY, tbl TEXT NOT NULL UNIQUE);
        CREATE TABLE _sync_tombstones (tbl TEXT NOT NULL, id NOT NULL, revision INTEGER,
            PRIMARY KEY (tbl, id)) WITHOUT ROWID;
        CREATE TABLE deals (id INTEGER PRIMARY KEY, revision INTEGER, document TEXT NOT NULL,
            name TEXT);
        INSERT INTO _sync_types VALUES ('deal', 'deals');
        INSERT INTO deals VALUES (1, 3, '{"id":1,"name":"kept"}', 'kept');
        INSERT INTO _sync_tombstones VALUES ('deals', 2, 5);
    """)
    conn.close()
    with SqliteMirror(path) as m:
        assert m.get("deals", 1) == {"id": 1, "name": "kept"}
        cols = [r[1] for r in m.connection.execute("PRAGMA table_info(deals)")]
        assert "synced_at" in cols and "deleted_at" in cols
        m.apply([item("deal", 2, 4, "updated", name="older than its delete"),
                 item("deal", 1, 4, "updated", name="newer")], checkpoint=("c", "v"))
        assert m.query("deals") == [{"id": 1, "name": "newer"}]
        version = m.connection.execute(
            "SELECT value FROM _sync_settings WHERE key = 'schema_version'").fetchone()[0]
        assert version == "2"
        m.connection.execute("UPDATE _sync_settings SET value = '99' "
                             "WHERE key = 'schema_version'")
    with pytest.raises(MirrorError, match="newer basecrm_like"):
        SqliteMirror(path)


def test_soft_deletes_keep_the_row(tmp_path: Path) -> None:
    path = tmp_path / "soft.sqlite"
    with SqliteMirror(path, deletes="soft") as m:
        m.apply([item("deal", 1, 1, name="a"), item("deal", 2, 1, name="b")])
        m.apply([item("deal", 1, 2, "deleted")])
        assert m.count("deals") == 1 and m.get("deals", 1) is None
        row = m.connection.execute(
            "SELECT revision, deleted_at IS NOT NULL, json_extract(document, '$.name') "
            "FROM deals WHERE id = 1").fetchone()
        assert row == (2, 1, "a")
        m.apply([item("deal", 1, 1, "updated", name="late")])   # older: stays deleted
        assert m.get("deals", 1) is None
        m.apply([item("deal", 1, 3, "updated", name="back")])   # newer: restored
        assert m.get("deals", 1) == {"id": 1, "name": "back"}
    with SqliteMirror(path) as m:
        assert m.deletes == "soft"
    with pytest.raises(MirrorError, match="keeps soft deletes"):
        SqliteMirror(path, deletes="hard")


def test_one_writer_at_a_time(tmp_path: Path) -> None:
    path = tmp_path / "m.sqlite"
    with SqliteMirror(path) as first, SqliteMirror(path) as second:
        with first.writer():
            with pytest.raises(MirrorBusyError, match="another sync is running into .*m.sqlite"):
                with second.writer(wait=0.2):
                    pass
        with second.writer():  # released: the next one gets it
            pass
