"""Sync against the mock server over loopback: the mirror ends equal to the server."""
from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

import basecrm_like
from basecrm_like.resources import RESOURCES
from basecrm_like.sync import SqliteMirror, Sync
from tests.support.clients import client_kind, make_client, sync_driver

__all__ = ["client_kind", "make_client"]  # fixtures: the callback tests run on both drivers


@pytest.fixture
def api_client(make_client: Any, basecrm_mock: Any) -> basecrm_like.Client:
    """The blocking or the async client (behind blocking calls) for the mock."""
    return make_client(access_token=basecrm_mock.token, base_url=basecrm_mock.url,
                       max_retries=0, timeout=10)

#: what the Sync API delivers and the REST API can list in full
SYNCED = [r for r in RESOURCES if r.synced and "list" in r.actions and not r.parent_params]


def normal(record: Any) -> dict[str, Any]:
    """A record as plain JSON values (Decimal -> its exact string)."""
    return dict(json.loads(json.dumps(record, default=str)))


def server_state(client: basecrm_like.Client) -> dict[str, dict[Any, dict[str, Any]]]:
    state = {}
    for res in SYNCED:
        records = getattr(client, res.name).list_all()
        state[res.name] = {r["id"]: normal(r) for r in records}
    return state


def mirror_state(mirror: SqliteMirror) -> dict[str, dict[Any, dict[str, Any]]]:
    return {res.name: {d["id"]: d for d in mirror.query(res.name)} for res in SYNCED}


def assert_mirror_equals_server(mirror: SqliteMirror, client: basecrm_like.Client) -> None:
    expected, actual = server_state(client), mirror_state(mirror)
    for name in expected:
        assert sorted(actual[name]) == sorted(expected[name]), f"{name}: ids differ"
        for id_, record in expected[name].items():
            assert actual[name][id_] == record, f"{name} {id_} differs"
    assert set(mirror.tables()) <= {r.name for r in SYNCED}


def device() -> str:
    return str(uuid.uuid4())


def make_changes(client: basecrm_like.Client) -> dict[str, Any]:
    org = client.contacts.create(name="Coffee Shop", is_organization=True,
                                 tags=["retail"], address={"city": "Lisbon", "country": "PT"})
    ann = client.contacts.create(first_name="Ann", last_name="Lovelace", contact_id=org.id,
                                 custom_fields={"Segment": "SMB"})
    bob = client.contacts.create(first_name="Bob", last_name="Babbage")
    deals = [client.deals.create(name=f"Deal {i}", contact_id=c.id, value=f"{i}99.90",
                                 hot=i % 2 == 0, tags=["q3"])
             for i, c in enumerate([org, ann, bob])]
    leads = [client.leads.create(last_name=f"Lead {i}", organization_name="Acme")
             for i in range(2)]
    notes = [client.notes.create(content=f"note on {t}", resource_type=t, resource_id=r.id)
             for t, r in (("contact", ann), ("deal", deals[0]), ("lead", leads[0]))]
    tasks = [client.tasks.create(content="call back", resource_type="deal",
                                 resource_id=deals[1].id, due_date="2026-12-01T10:00:00Z")]
    source = client.deal_sources.create(name="Trade fair")
    return {"org": org, "ann": ann, "bob": bob, "deals": deals, "leads": leads, "notes": notes,
            "tasks": tasks, "source": source}


def test_mirror_follows_creates_updates_and_deletes(basecrm_client: basecrm_like.Client,
                                                    tmp_path: Path) -> None:
    client = basecrm_client
    made = make_changes(client)
    sync = Sync(client, device())
    with SqliteMirror(tmp_path / "crm.sqlite") as mirror:
        first = sync.run(mirror)
        assert first.nacked == 0 and first.acked == first.seen > 20
        assert_mirror_equals_server(mirror, client)
        assert mirror.query("deals", hot=True, tags=["q3"])  # typed and JSON columns
        assert mirror.get("contact", made["ann"].id)["custom_fields"] == {"Segment": "SMB"}

        client.contacts.update(made["bob"].id, title="CTO", tags=["vip"])
        client.deals.update(made["deals"][1].id, value="1234.56", hot=False)
        client.leads.update(made["leads"][1].id, status="Working")
        client.tasks.update(made["tasks"][0].id, completed=True)
        client.notes.destroy(made["notes"][1].id)
        client.deals.destroy(made["deals"][2].id)
        client.leads.destroy(made["leads"][0].id)
        client.deal_sources.destroy(made["source"].id)
        new = client.contacts.create(first_name="Cleo", last_name="Curie")
        client.notes.create(content="welcome", resource_type="contact", resource_id=new.id)

        second = sync.run(mirror)
        assert second.nacked == 0
        assert 8 <= second.seen <= 20  # only what changed
        assert_mirror_equals_server(mirror, client)
        assert mirror.get("deals", made["deals"][2].id) is None
        assert mirror.get("deals", made["deals"][1].id)["value"] == "1234.56"
        assert mirror.count("deal_sources") == len(client.deal_sources.list_all())

        third = sync.run(mirror)
        assert third.session_id is None and third.seen == 0

    # a new device gets the current state from scratch: the same mirror
    with SqliteMirror(tmp_path / "fresh.sqlite") as fresh:
        Sync(client, device()).run(fresh)
        assert_mirror_equals_server(fresh, client)


def test_nacked_items_come_back_in_the_next_run(api_client: basecrm_like.Client) -> None:
    client = api_client
    make_changes(client)
    sync = sync_driver(client, device())
    first = sync.fetch(lambda meta, data: Sync.NACK if meta.type == "deal" else Sync.ACK)
    assert first.by_type["deal"] == 3 and first.nacked == 3

    again: list[Any] = []
    second = sync.fetch(lambda meta, data: again.append((meta.type, data.id)) or Sync.ACK)
    assert sorted(t for t, _ in again) == ["deal"] * 3
    assert second.acked == 3
    assert sync.fetch(lambda meta, data: Sync.ACK).seen == 0


def test_a_callback_error_keeps_what_came_before(api_client: basecrm_like.Client,
                                                 tmp_path: Path) -> None:
    client = api_client
    for i in range(130):
        client.leads.create(last_name=f"Lead {i}")
    sync = sync_driver(client, device())
    calls = {"n": 0}

    def flaky(meta: Any, data: Any) -> bool:
        calls["n"] += 1
        if calls["n"] == 150:  # in the middle of the second page
            raise RuntimeError("boom")
        return Sync.ACK

    with pytest.raises(RuntimeError):
        sync.fetch(flaky)
    assert sync.summary.acked == 149
    total = len(server_items(client))
    with SqliteMirror(tmp_path / "rest.sqlite") as mirror:
        rest = sync.run(mirror)
    assert rest.seen == total - 149


def server_items(client: basecrm_like.Client) -> list[Any]:
    return [r for res in SYNCED for r in getattr(client, res.name).list_all()]


def test_pages_redelivered_after_a_crash_before_the_ack_apply_once(
        basecrm_client: basecrm_like.Client, tmp_path: Path) -> None:
    client = basecrm_client
    made = make_changes(client)
    uuid_ = device()

    class CrashAfterCommit:
        """Stores the page, then dies before the driver can acknowledge it."""

        def __init__(self, mirror: SqliteMirror) -> None:
            self.mirror = mirror

        def apply(self, items: Any) -> list[bool]:
            self.mirror.apply(items)
            raise SystemExit("killed between commit and ack")

    with SqliteMirror(tmp_path / "crm.sqlite") as mirror:
        with pytest.raises(SystemExit):
            Sync(client, uuid_).run(CrashAfterCommit(mirror))
        stored = sum(mirror.counts().values())
        assert stored > 0
        client.deals.update(made["deals"][0].id, name="renamed meanwhile")
        again = Sync(client, uuid_).run(mirror)
        assert again.seen >= stored  # the whole first page came again
        assert_mirror_equals_server(mirror, client)
        assert mirror.get("deals", made["deals"][0].id)["name"] == "renamed meanwhile"
