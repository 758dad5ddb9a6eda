"""Sync into PostgreSQL against the mock over loopback: equality, SIGKILL, readers, two syncs.

The mock runs in its own process where it must outlive a killed sync, as a
real server would; the PostgreSQL server is the session's throwaway one.
"""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import psycopg
import pytest
import requests

import basecrm_like
from basecrm_like.mock import DEV_TOKEN
from basecrm_like.mock.process import child_environment, mock_command, running
from basecrm_like.sync import Mirror, PostgresMirror, SqliteMirror, Sync

from ..test_sync_mirror import assert_mirror_equals_server, device, make_changes

SYNC_CMD = [sys.executable, "-c", "from basecrm_like.cli import main; main()", "sync"]
BULK = ("contacts", "leads", "deals")
SEED = 300  # contacts, leads and deals each: about 1,000 synced items with the base data


class NackDeals:
    """A sink that refuses every deal, as a mirror refuses what it cannot store."""

    def __init__(self, mirror: Mirror) -> None:
        self.mirror = mirror

    def apply(self, items: Sequence[Mapping[str, Any]]) -> list[bool]:
        kept = [i for i in items if i["meta"]["type"] != "deal"]
        verdicts = iter(self.mirror.apply(kept))
        return [next(verdicts) if i["meta"]["type"] != "deal" else False for i in items]


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_mirror_equals_server_after_changes_and_nacks(
        kind: str, basecrm_client: basecrm_like.Client, postgres_url: str,
        tmp_path: Path) -> None:
    client = basecrm_client
    made = make_changes(client)
    url = postgres_url if kind == "postgresql" else f"sqlite:///{tmp_path}/crm.sqlite"
    sync = Sync(client, device())
    with Mirror(url) as mirror:
        first = sync.run(NackDeals(mirror))
        assert first.nacked == 3 and mirror.count("deals") == 0
        client.deals.update(made["deals"][0].id, value="5.55", hot=True)
        client.contacts.update(made["bob"].id, title="CTO", tags=["vip"])
        client.leads.destroy(made["leads"][0].id)
        client.notes.destroy(made["notes"][1].id)
        client.deals.destroy(made["deals"][2].id)
        second = sync.run(mirror)
        assert second.nacked == 0 and second.by_type["deal"] >= 2  # the NACKed deals came back
        assert_mirror_equals_server(mirror, client)
        assert mirror.get("deals", made["deals"][0].id)["value"] == "5.55"
        assert mirror.get("leads", made["leads"][0].id) is None


# -- the command line against a mock in its own process ------------------------------


@pytest.fixture(scope="module")
def faulty_mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A seeded mock with faults on (errors, dropped connections, latency)."""
    db = tmp_path_factory.mktemp("server") / "server.sqlite"
    command = mock_command("--db", str(db), "--seed", str(SEED),
                           "--faults", "error=0.03,drop=0.02,latency=0.005")
    with running(command, env=child_environment()) as server:
        yield server.url


def start_sync(url: str, db: str, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen([*SYNC_CMD, "--db", db, "--base-url", url, "--token", DEV_TOKEN,
                             "--no-progress", *extra], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=child_environment())


def stored(db: str) -> int:
    """Rows in the bulk tables (0 before they exist), in one statement: one snapshot."""
    parts = " + ".join(f"coalesce((SELECT count(*) FROM {t}), 0)" for t in BULK)
    try:
        with psycopg.connect(db, connect_timeout=5) as conn:
            return int(conn.execute(f"SELECT {parts}").fetchone()[0])  # type: ignore[index]
    except psycopg.errors.UndefinedTable:
        return 0


def finish(url: str, db: str, tries: int = 4) -> str:
    """Run the sync to the end; the server's faults may fail a run, so try a few times."""
    output = ""
    for _ in range(tries):
        done = subprocess.run([*SYNC_CMD, "--db", db, "--base-url", url, "--token", DEV_TOKEN,
                               "--no-progress"], capture_output=True, text=True,
                              env=child_environment(), timeout=120)
        output = done.stdout + done.stderr
        assert "Traceback" not in output, output
        if done.returncode == 0:
            return output
        assert done.returncode == 2, output
    raise AssertionError(f"no clean run in {tries} tries: {output}")


def reliable_client(url: str) -> basecrm_like.Client:
    return basecrm_like.Client(access_token=DEV_TOKEN, base_url=url, max_retries=8, timeout=30)


def test_sigkill_ten_times_with_faults_then_rerun(faulty_mock: str, postgres_url: str) -> None:
    rng = random.Random(20261130)
    kills = 0
    for _ in range(10):
        before = stored(postgres_url)
        proc = start_sync(faulty_mock, postgres_url)
        time.sleep(rng.uniform(0.2, 0.8))  # start-up, a session, some pages, or mid-commit
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.communicate(timeout=30)
        assert stored(postgres_url) >= before  # nothing committed is ever lost
    assert kills >= 8, "most runs must be killed, not finish on their own"
    finish(faulty_mock, postgres_url)  # the rerun, with the faults still on
    requests.post(f"{faulty_mock}/_mock/faults", json={"faults": None},
                  timeout=10).raise_for_status()  # so that reading the truth cannot fail
    client = reliable_client(faulty_mock)
    with Mirror(postgres_url) as mirror:
        assert_mirror_equals_server(mirror, client)  # nothing missing, duplicated or stale
        with psycopg.connect(postgres_url) as conn:
            for table in BULK:  # every row is its document
                bad = conn.execute(f"SELECT count(*) FROM {table} "
                                   "WHERE (document->>'id')::bigint <> id").fetchone()
                assert bad == (0,)
    assert finish(faulty_mock, postgres_url).startswith("nothing new")


@pytest.fixture(scope="module")
def quiet_mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A seeded mock with a little latency per request, so that a sync takes some pages."""
    command = mock_command("--seed", str(SEED // 3), "--faults", "latency=0.002")
    with running(command, env=child_environment()) as server:
        yield server.url


def test_readers_never_see_half_a_page(quiet_mock: str, postgres_url: str) -> None:
    client = reliable_client(quiet_mock)
    with Mirror(postgres_url) as mirror:
        assert isinstance(mirror, PostgresMirror)
        for kind in ("contact", "lead", "deal"):
            mirror._table(kind)  # the tables exist before the readers start
        committed = [0]

        class Recording:
            def apply(self, items: Sequence[Mapping[str, Any]]) -> list[bool]:
                verdicts = mirror.apply(items)
                committed.append(stored(postgres_url))  # the only writer: exact after commit
                return verdicts

        seen: set[int] = set()
        done = threading.Event()

        def read() -> None:
            while not done.is_set():
                seen.add(stored(postgres_url))

        readers = [threading.Thread(target=read) for _ in range(2)]
        for reader in readers:
            reader.start()
        try:
            summary = Sync(client, device()).run(Recording())
        finally:
            done.set()
            for reader in readers:
                reader.join()
    assert summary.pages >= 4 and committed[-1] >= SEED
    assert len(seen) >= 3, "the readers must have run during the sync"
    assert seen <= set(committed), f"half-applied pages seen: {sorted(seen - set(committed))}"


def lock_held(db: str) -> bool:
    """Whether some process holds the mirror's writer lock (checked without taking it)."""
    if db.startswith("postgresql"):
        with psycopg.connect(db) as conn:
            row = conn.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                               "AND granted AND objid = 1").fetchone()
            return bool(row and row[0])
    import fcntl

    try:
        fd = os.open(db + ".lock", os.O_RDWR)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing releases a lock taken here
    return False


def set_latency(url: str, seconds: float) -> None:
    requests.post(f"{url}/_mock/faults", json={"faults": f"latency={seconds}"},
                  timeout=10).raise_for_status()


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_two_syncs_at_once(kind: str, quiet_mock: str, postgres_url: str,
                           tmp_path: Path) -> None:
    db = postgres_url if kind == "postgresql" else str(tmp_path / "crm.sqlite")
    set_latency(quiet_mock, 0.8)  # the first sync lasts seconds, longer than a loaded start-up
    try:
        first = start_sync(quiet_mock, db)
        deadline = time.monotonic() + 30
        while not lock_held(db) and first.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        second = start_sync(quiet_mock, db)  # while the first one writes
        results = [(p.wait(60), *p.communicate()) for p in (first, second)]
    finally:
        set_latency(quiet_mock, 0.002)
    assert [r[0] for r in results] == [0, 2], results
    assert "another sync is running into" in results[1][2]
    assert "Traceback" not in results[1][2]
    # with --wait both finish, one after the other
    client = reliable_client(quiet_mock)
    client.leads.create(last_name="made between the runs")
    procs = [start_sync(quiet_mock, db, "--wait") for _ in range(2)]
    outputs = [(p.wait(60), *p.communicate()) for p in procs]
    assert [o[0] for o in outputs] == [0, 0], outputs
    with Mirror(db) as mirror:
        assert_mirror_equals_server(mirror, client)
        if isinstance(mirror, SqliteMirror):
            ids = [r[0] for r in mirror.connection.execute("SELECT id FROM deals")]
            assert len(ids) == len(set(ids))
