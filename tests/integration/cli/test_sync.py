"""``basecrm-like sync`` killed in the middle of 5,000 items, then run again.

The mock runs in its own process (with ``--db``), so it outlives the killed
sync exactly as a real server would.
"""
from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import basecrm_like
from basecrm_like.mock import DEV_TOKEN
from basecrm_like.mock.process import child_environment, mock_command, running

from ..test_sync_mirror import assert_mirror_equals_server

SEED = 1654  # contacts, leads and deals each: about 5,000 synced items with the base data
BULK = ("contacts", "leads", "deals")
SYNC_CMD = [sys.executable, "-c", "from basecrm_like.cli import main; main()", "sync"]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def mock_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A seeded mock in a subprocess; yields its URL. 10 ms per request keeps pages apart."""
    db = tmp_path_factory.mktemp("server") / "server.sqlite"
    command = mock_command("--db", str(db), "--seed", str(SEED), "--faults", "latency=0.01")
    with running(command, env=child_environment()) as server:
        yield server.url


def stored(db: Path) -> int:
    """Rows of the bulk tables, read through a separate read-only connection."""
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
    except sqlite3.Error:
        return 0
    try:
        return sum(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in BULK)
    except sqlite3.Error:
        return 0
    finally:
        conn.close()


def start_sync(url: str, db: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([*SYNC_CMD, "--db", str(db), "--base-url", url, "--token", DEV_TOKEN],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=child_environment())


def wait_for_rows(proc: subprocess.Popen[str], db: Path, rows: int, limit: float = 30) -> int:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        n = stored(db)
        if n >= rows or proc.poll() is not None:
            return n
        time.sleep(0.005)
    raise AssertionError(f"sync stored only {stored(db)} rows in {limit} s")


def finish(url: str, db: Path) -> tuple[int, str]:
    done = subprocess.run([*SYNC_CMD, "--db", str(db), "--base-url", url, "--token", DEV_TOKEN],
                          capture_output=True, text=True, env=child_environment(), timeout=60)
    return done.returncode, done.stdout + done.stderr


def synced_count(output: str) -> int:
    line = next(x for x in output.splitlines() if x.startswith("synced "))
    return int(line.split()[1])


@pytest.fixture
def client(mock_process: str) -> basecrm_like.Client:
    return basecrm_like.Client(access_token=DEV_TOKEN, base_url=mock_process, max_retries=0)


def test_sigkill_in_the_middle_then_resume(mock_process: str, client: basecrm_like.Client,
                                           tmp_path: Path) -> None:
    db = tmp_path / "crm.sqlite"
    total = 3 * SEED
    proc = start_sync(mock_process, db)
    at_kill = wait_for_rows(proc, db, 1000)
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    assert proc.returncode == -signal.SIGKILL
    assert 1000 <= at_kill < total, "the sync must be killed in the middle"
    device = (tmp_path / "crm.sqlite.device").read_text().strip()

    # the account changes meanwhile
    some = client.deals.list(per_page=5)
    for deal in some:
        client.deals.update(deal.id, name=f"{deal.name} (renamed)")
    client.contacts.destroy(client.contacts.list(per_page=1, sort_by="id:desc")[0].id)

    code, output = finish(mock_process, db)
    assert code == 0, output
    resumed = synced_count(output)
    assert resumed < total, "the second run resumes instead of starting over"
    assert (tmp_path / "crm.sqlite.device").read_text().strip() == device
    with basecrm_like.sync.SqliteMirror(db) as mirror:
        assert_mirror_equals_server(mirror, client)
        assert mirror.count("deals") == len(client.deals.list_all())
        ids = [r[0] for r in mirror.connection.execute("SELECT id FROM contacts")]
        assert len(ids) == len(set(ids))
    assert finish(mock_process, db)[1].startswith("nothing new")


def test_ctrl_c_stops_after_a_committed_page(mock_process: str, client: basecrm_like.Client,
                                             tmp_path: Path) -> None:
    db = tmp_path / "crm.sqlite"
    proc = start_sync(mock_process, db)
    wait_for_rows(proc, db, 500)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, out + err
    assert "stopping after the page in hand" in err and "Traceback" not in err
    first = synced_count(out)
    assert first < 3 * SEED
    code, output = finish(mock_process, db)
    assert code == 0, output
    with basecrm_like.sync.SqliteMirror(db) as mirror:
        assert_mirror_equals_server(mirror, client)
        # everything acknowledged by the first run was committed: nothing came twice
        assert synced_count(output) == sum(mirror.counts().values()) - first


def test_unreachable_server_exits_2(tmp_path: Path) -> None:
    done = subprocess.run([*SYNC_CMD, "--db", str(tmp_path / "x.sqlite"), "--base-url",
                           "http://127.0.0.1:9", "--token", DEV_TOKEN],
                          capture_output=True, text=True, env=child_environment(), timeout=60)
    assert done.returncode == 2
    assert "cannot reach" in done.stderr and "Traceback" not in done.stderr
