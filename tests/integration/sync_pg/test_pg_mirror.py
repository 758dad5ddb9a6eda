"""The PostgreSQL mirror against a real server: revisions, deletes, types, checkpoints, locks."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from basecrm_like.sync import Mirror, MirrorBusyError, MirrorError, PostgresMirror
from tests.unit.sync.test_mirror import item


@pytest.fixture
def mirror(postgres_url: str) -> Any:
    with Mirror(postgres_url) as m:
        yield m


def test_upserts_keep_the_highest_revision_and_deletes_stick(mirror: PostgresMirror) -> None:
    assert isinstance(mirror, PostgresMirror)
    assert mirror.apply([item("deal", 1, 2, name="second")]) == [True]
    mirror.apply([item("deal", 1, 1, "updated", name="first, late")])
    assert mirror.get("deals", 1) == {"id": 1, "name": "second"}
    mirror.apply([item("deal", 1, 3, "updated", name="third"),
                  item("deal", 2, 1, name="x"), item("deal", 3, 1, name="y")])
    assert mirror.count("deals") == 3
    mirror.apply([item("deal", 2, 2, "deleted")])
    mirror.apply([item("deal", 2, 1, "updated", name="older than its delete")])
    assert mirror.get("deal", 2) is None and mirror.count("deal") == 2
    mirror.apply([item("deal", 2, 5, "updated", name="restored")])
    assert mirror.get("deal", 2) == {"id": 2, "name": "restored"}
    # a page is order independent
    mirror.apply([item("lead", 1, 4, "deleted"), item("lead", 1, 3, "updated", last_name="z")])
    assert mirror.count("leads") == 0


def test_typed_columns_indexes_and_document(mirror: PostgresMirror) -> None:
    mirror.apply([item("deal", 7, name="Chemex", value="1000.50", hot=True, stage_id=3,
                       owner_id=9, contact_id=11, tags=["vip"], custom_fields={"sku": "A1"},
                       created_at="2024-05-01T10:00:00Z", estimated_close_date="2024-06-30",
                       extra="kept")])
    with mirror.engine.connect() as conn:
        types = dict(conn.execute(sa.text(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = 'deals'")).all())
        row = conn.execute(sa.text(
            "SELECT id, value, hot, stage_id, tags, created_at, estimated_close_date, "
            "document->>'extra', revision, synced_at FROM deals")).one()
        indexes = set(conn.execute(sa.text(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'deals'")).scalars())
    assert types["id"] == "bigint" and types["value"] == "numeric"
    assert types["hot"] == "boolean" and types["created_at"] == "timestamp with time zone"
    assert types["estimated_close_date"] == "date" and types["document"] == "jsonb"
    assert types["tags"] == "jsonb" and types["name"] == "text" and types["stage_id"] == "bigint"
    assert row[:5] == (7, Decimal("1000.50"), True, 3, ["vip"])
    assert isinstance(row[5], datetime) and row[5].utcoffset() is not None
    assert str(row[6]) == "2024-06-30" and row[7] == "kept" and row[8] == 1
    assert row[9] is not None
    assert {"ix_deals_stage_id", "ix_deals_owner_id", "ix_deals_contact_id"} <= indexes
    assert [d["id"] for d in mirror.query("deals", stage_id=3, hot=True)] == [7]
    assert [d["id"] for d in mirror.query("deals", tags=["vip"], extra="kept")] == [7]
    assert mirror.query("deals", stage_id=4) == [] and mirror.query("deals", note=None) != []


def test_typed_columns_from_the_document_or_converted(mirror: PostgresMirror) -> None:
    """Values of the column's own kind are read from the stored document, the others go
    converted; JSON nulls are SQL NULLs, and a later null clears the column."""
    mirror.apply([item("deal", 1, 1, name="Ünïcode \"q\" \\ \u2028", hot=False, stage_id=2 ** 62,
                       tags=[], custom_fields=None, value=7, dropbox_email=12.5,
                       last_stage_change_at=None),
                  item("deal", 2, 1, name={"nested": [1, "x"]}, hot=None, stage_id=None,
                       tags=None, custom_fields={"k": None})])
    sql = ("SELECT name, hot, stage_id, tags, custom_fields, value, dropbox_email, "
           "last_stage_change_at FROM deals ORDER BY id")
    with mirror.engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(sa.text(sql))]
    assert rows == [("Ünïcode \"q\" \\ \u2028", False, 2 ** 62, [], None, Decimal(7), "12.5",
                     None),
                    ('{"nested":[1,"x"]}', None, None, None, {"k": None}, None, None, None)]
    mirror.apply([item("deal", 1, 2, "updated", name=None, hot=None, stage_id=None, tags=None)])
    with mirror.engine.connect() as conn:
        first = tuple(conn.execute(sa.text(sql + " LIMIT 1")).one())
    assert first == (None,) * 8


def test_unstorable_items_are_nacked_and_reported(mirror: PostgresMirror) -> None:
    verdicts = mirror.apply([
        item("deal", 1, name="ok"),
        item("deal", 2, value=2 ** 64),
        item("deal", 3, custom_fields={"n": 10 ** 30}),
        item("deal", 4, name="nul\x00"),
        item("deal", 5, value="not a number"),
        item("deal", 6, created_at="yesterday"),
        item("deal", 7, name="lone \ud800 surrogate"),
        item("widget", "w-1", colour="red"),
    ])
    assert verdicts == [True, False, False, False, False, False, False, True]
    assert [d["id"] for d in mirror.query("deals")] == [1]
    assert mirror.query("widget") == [{"id": "w-1", "colour": "red"}]
    assert [r.id for r in mirror.rejected] == [2, 3, 4, 5, 6, 7]
    assert "surrogate" in mirror.rejected[5].reason
    assert "64 bits" in mirror.rejected[0].reason and "created_at" in mirror.rejected[4].reason


def test_checkpoint_in_the_same_transaction(mirror: PostgresMirror, postgres_url: str) -> None:
    assert mirror.checkpoint("firehose") is None
    mirror.apply([item("deal", 1)], checkpoint=("firehose", "p1"))
    assert mirror.checkpoint("firehose") == "p1"
    with Mirror(postgres_url) as again:
        assert again.checkpoint("firehose") == "p1" and again.count("deals") == 1


def test_soft_deletes_and_the_mode_is_kept(postgres_url: str) -> None:
    with Mirror(postgres_url, deletes="soft") as m:
        m.apply([item("contact", 1, 1, name="A"), item("contact", 2, 1, name="B")])
        m.apply([item("contact", 1, 2, "deleted")])
        assert m.count("contacts") == 1 and m.get("contacts", 1) is None
        with m.engine.connect() as conn:
            row = conn.execute(sa.text("SELECT revision, deleted_at IS NOT NULL, "
                                       "document->>'name' FROM contacts WHERE id = 1")).one()
        assert tuple(row) == (2, True, "A")
    with pytest.raises(MirrorError, match="keeps soft deletes"):
        Mirror(postgres_url, deletes="hard")


def test_one_writer_at_a_time(postgres_url: str) -> None:
    with Mirror(postgres_url) as first, Mirror(postgres_url) as second:
        with first.writer():
            with pytest.raises(MirrorBusyError, match="another sync is running into "
                               r"postgresql://postgres@127.0.0.1:\d+/\w+ \(server process \d+"):
                with second.writer(wait=0.3):
                    pass
        with second.writer():
            pass


def test_a_newer_layout_is_refused(mirror: PostgresMirror, postgres_url: str) -> None:
    with mirror.engine.begin() as conn:
        conn.execute(sa.text("UPDATE _sync_settings SET value = '99' "
                             "WHERE key = 'schema_version'"))
    with pytest.raises(MirrorError, match="newer basecrm_like"):
        Mirror(postgres_url)


def test_unreachable_server_is_one_clear_error() -> None:
    with pytest.raises(MirrorError, match="cannot open the mirror postgresql://u:\\*\\*\\*@"):
        Mirror("postgresql://u:secret@127.0.0.1:1/nothing")


def test_big_pages_keep_the_same_rules(mirror: PostgresMirror) -> None:
    """Pages of many rows go out in chunks, one statement each: same revision and delete
    rules, and a record twice in one page ends as applying the items in order would."""
    first = [item("contact", i, 2, name=f"v2-{i}", tags=[str(i)]) for i in range(100)]
    assert all(mirror.apply(first))
    mirror.apply([item("contact", 5, 9, "deleted")])
    page = ([item("contact", i, 1, "updated", name=f"old-{i}") for i in range(50)]     # older
            + [item("contact", i, 3, "updated", name=f"v3-{i}") for i in range(50, 100)]
            + [item("contact", 60, 4, "updated", name="v4-60"),                       # twice in
               item("contact", 60, 3, "updated", name="v3-60 again")]                 # one page
            + [item("contact", 5, 8, "updated", name="older than its delete")])
    assert all(mirror.apply(page))
    names = {d["id"]: d["name"] for d in mirror.query("contacts")}
    assert len(names) == 99 and 5 not in names
    assert names[0] == "v2-0" and names[49] == "v2-49" and names[50] == "v3-50"
    assert names[60] == "v4-60"
    assert mirror.query("contacts", tags=["7"]) == [{"id": 7, "name": "v2-7", "tags": ["7"]}]


def test_a_page_in_chunks_keeps_its_verdicts_in_order(mirror: PostgresMirror) -> None:
    page = [item("deal", i, 1, name=f"d{i}") for i in range(70)]
    for bad in (0, 26, 69):
        page[bad] = item("deal", bad, 1, value="not a number")
    verdicts = mirror.apply(page)
    assert [n for n, ok in enumerate(verdicts) if not ok] == [0, 26, 69]
    assert [r.id for r in mirror.rejected] == [0, 26, 69]
    assert mirror.count("deals") == 67 and mirror.get("deals", 25) == {"id": 25, "name": "d25"}


def test_a_broken_connection_between_pages_is_replaced(
        mirror: PostgresMirror, caplog: pytest.LogCaptureFixture) -> None:
    """The connection kept between pages dies (server restart, idle cut-off): the next
    page is written on a new one, once, and nothing is lost or doubled."""
    mirror.apply([item("deal", 1, 1, name="one")])
    with mirror.engine.connect() as conn:
        killed = conn.execute(sa.text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND state = 'idle'")).scalars().all()
        conn.commit()
    assert killed and all(killed)
    caplog.set_level("INFO", logger="basecrm_like.sync")
    assert mirror.apply([item("deal", 2, 1, name="two"), item("deal", 1, 2, "deleted")],
                        checkpoint=("feed", "p2")) == [True, True]
    assert [d["id"] for d in mirror.query("deals")] == [2]
    assert mirror.checkpoint("feed") == "p2"
    assert "writing the page again on a new one" in caplog.text
