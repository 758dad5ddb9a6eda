"""A mirror kept current from the Firehose: a full load, then events; and the
``sync --via firehose`` command SIGKILLed at random points while another process
writes with faults on still ends equal to the server record by record."""
from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path

import basecrm_like
from basecrm_like.mock import serve
from basecrm_like.sync import SqliteMirror

from ...support.firehose import (
    ROOT,
    cli,
    file_state,
    kill_at_random_points,
    mirror_records,
    server_records,
    write_forever,
    writer_process,
)

RESOURCES = ("contacts", "deals")


def assert_mirror_equals_server(mirror: SqliteMirror, client: basecrm_like.Client) -> None:
    for resource in RESOURCES:
        assert mirror_records(mirror, resource) == server_records(client, resource), resource


def test_a_full_load_then_events_keep_the_mirror_equal_to_the_server(tmp_path: Path) -> None:
    with serve(seed=120, faults="error=0.1,drop=0.05", fault_seed=2) as server:
        client = basecrm_like.Client(access_token=server.token, base_url=server.url,
                                     backoff_factor=0.01, max_retries=8)
        mirror = SqliteMirror(tmp_path / "m.db")
        stop = tmp_path / "stop"
        writer = threading.Thread(target=write_forever, args=(client, stop, 3, 0.0))
        writer.start()   # writes race the full load: they come again from the stream
        try:
            feed = client.firehose.mirror(mirror, list(RESOURCES), limit=25)
            summary = feed.run()
            assert summary.loaded >= 120   # the seeded contacts (more than one list page)
            time.sleep(0.5)
        finally:
            stop.touch()
            writer.join()
        again = client.firehose.mirror(mirror, list(RESOURCES)).run()
        assert again.loaded == 0 and again.applied > 0 and again.deleted > 0
        server.app.set_faults(None)
        assert_mirror_equals_server(mirror, client)


def test_the_mirror_survives_sigkill_at_random_points(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    with serve(seed=30, faults="error=0.1,drop=0.05", fault_seed=9) as server:
        once = cli("sync", "--via", "firehose", "--db", str(path), "--resource", "contacts",
                   "--resource", "deals", "--token", server.token, "--base-url", server.url,
                   "--no-progress")
        with writer_process(server.url, server.token, tmp_path / "stop", 4) as writes:
            kills = kill_at_random_points(
                [*once, "--follow", "--poll-interval", "0.2"],
                lambda: file_state(path, Path(f"{path}-wal")), seed=5)
        finish = subprocess.run(once, cwd=ROOT, capture_output=True, text=True)  # faults on
        server.app.set_faults(None)
        client = basecrm_like.Client(access_token=server.token, base_url=server.url)
        assert finish.returncode == 0, finish.stderr
        assert "synced via firehose" in finish.stdout
        assert kills == 10 and writes[0] > 0
        with SqliteMirror(path) as mirror:
            assert_mirror_equals_server(mirror, client)
