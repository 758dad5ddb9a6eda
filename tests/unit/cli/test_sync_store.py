"""``basecrm-like sync``: unstorable items are listed and do not block later runs; one writer."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from basecrm_like.cli import cli
from basecrm_like.sync import SqliteMirror

from ..sync.conftest import BASE, DEVICE, FakeSyncApi, item
from . import TOKEN

ENV = {"BASECRM_ACCESS_TOKEN": TOKEN, "BASECRM_BASE_URL": BASE}


def run(*args: str) -> Any:
    return CliRunner().invoke(cli, ["sync", *args], env=ENV)


def test_an_integer_beyond_64_bits_is_nacked_and_named(rsps: Any, tmp_path: Path) -> None:
    db = tmp_path / "crm.sqlite"
    pages = [[item("deal", 1), item("deal", 2, custom_fields={"n": 10 ** 30})],
             [item("deal", 3), item("deal", 4, stage_id=2 ** 64)]]
    api = FakeSyncApi(rsps, pages)
    result = run("--db", str(db), "--device-uuid", DEVICE)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert "2 items could not be stored" in result.output
    assert "deal 4: stage_id: integer 18446744073709551616 does not fit" in result.output
    assert "deal 2: custom_fields: n: integer 1000000000...(31 digits) does not fit in 64 " \
           "bits" in result.output
    # the page after it went in: a later run does not stop at the same item
    assert api.acked == ["Deal-1-1", "Deal-3-1"]
    with SqliteMirror(db) as mirror:
        assert [d["id"] for d in mirror.query("deals")] == [1, 3]


def test_a_second_sync_into_the_same_file_is_refused(rsps: Any, tmp_path: Path) -> None:
    db = tmp_path / "crm.sqlite"
    FakeSyncApi(rsps, [[item("deal", 1)]])
    with SqliteMirror(db) as mirror, mirror.writer():
        result = run("--db", f"sqlite:///{db}", "--device-uuid", DEVICE)
    assert result.exit_code == 2, result.output
    assert f"another sync is running into {db}" in result.output
    assert not [c for c in rsps.calls if "/sync/" in c.request.url]  # nothing was started


def test_bad_urls_exit_2_with_one_line(tmp_path: Path) -> None:
    result = run("--db", "mysql://u:hunter2@db/crm", "--device-uuid", DEVICE)
    assert result.exit_code == 2 and "hunter2" not in result.output
    assert "no mirror for 'mysql://u:***@db/crm'" in result.output


def test_sqlite_works_without_the_postgres_extra(tmp_path: Path) -> None:
    """With SQLAlchemy and psycopg unimportable, SQLite mirrors work and PostgreSQL says why."""
    code = f"""
import sys
sys.modules["sqlalchemy"] = None
sys.modules["psycopg"] = None
from basecrm_like.sync import Mirror, MirrorError
with Mirror("sqlite:///{tmp_path}/m.sqlite") as m:
    print(m.apply([{{"data": {{"id": 1}}, "meta": {{"type": "deal"}}}}]), m.count("deals"))
try:
    Mirror("postgresql://u@h/db")
except MirrorError as exc:
    print(exc)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "[True] 1",
        "a PostgreSQL mirror needs SQLAlchemy and psycopg: pip install 'basecrm_like[postgres]'"]
