"""Two imports at once on one token, sharing one budget through ``--rate-store``."""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import requests

from basecrm_like.mock import DEV_TOKEN
from basecrm_like.mock.process import child_environment, mock_command, running

ROWS = 30


def write_rows(path: Path, prefix: str) -> None:
    path.write_text("last_name\n" + "".join(f"{prefix}{i}\n" for i in range(ROWS)), "utf-8")


def test_two_imports_with_a_shared_store_get_no_429(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path}/budget.db"
    with running(mock_command("--rate-limit", "10")) as server:
        for name in ("a", "b"):
            write_rows(tmp_path / f"{name}.csv", name)
        command = [sys.executable, "-m", "basecrm_like", "import", "contacts", "--rate", "10",
                   "--rate-store", store, "--token", DEV_TOKEN, "--base-url", server.url,
                   "--no-progress"]
        started = time.monotonic()
        children = [subprocess.Popen([*command, str(tmp_path / f"{name}.csv")],
                                     env=child_environment(), stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True) for name in ("a", "b")]
        outcomes = [child.communicate(timeout=120) for child in children]
        seconds = time.monotonic() - started
        log = requests.get(f"{server.url}/_mock/requests", timeout=30).json()["items"]
    for child, (out, err) in zip(children, outcomes, strict=True):
        assert child.returncode == 0, err
        assert f"{ROWS} created" in out
    creates = [e for e in log if e["method"] == "POST" and e["path"] == "/v2/contacts"]
    assert len(creates) == 2 * ROWS
    assert [e for e in log if e.get("status") == 429] == []
    print(f"two imports, one shared budget: {len(log)} requests in {seconds:.1f} s "
          f"({len(log) / seconds:.1f} req/s with start-up), 0 x 429")
