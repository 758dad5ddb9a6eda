"""``basecrm-like firehose`` in-process: JSON Lines out, Ctrl-C prints the saved
position, and the next run resumes from --state."""
from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path

import pytest

import basecrm_like
from basecrm_like.cli.firehose import run_firehose
from basecrm_like.mock import serve


def test_ctrl_c_prints_the_saved_position_and_the_next_run_resumes(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    state = tmp_path / "state.json"
    with serve() as server:
        client = basecrm_like.Client(access_token=server.token, base_url=server.url)

        def write_then_interrupt() -> None:
            time.sleep(0.5)
            client.tags.create(name="first", resource_type="lead")
            time.sleep(0.5)
            os.kill(os.getpid(), signal.SIGINT)

        threading.Thread(target=write_then_interrupt).start()
        status = run_firehose(("tags",), "top", True, 0.05, "-", str(state), 100,
                              server.token, server.url, False)
        first = capsys.readouterr()
        saved = json.loads(state.read_text())["positions"]["default:tags"]
        client.tags.create(name="second", resource_type="lead")
        again = run_firehose(("tags",), "top", False, 1.0, "-", str(state), 100,
                             server.token, server.url, False)
        second = capsys.readouterr()
    assert status == 130
    (line,) = first.out.splitlines()
    event = json.loads(line)
    assert (event["resource"], event["data"]["name"], event["meta"]["event_type"]) == (
        "tags", "first", "created")
    assert f"saved position tags={saved} in {state}" in first.err
    assert again == 0
    assert [json.loads(line)["data"]["name"] for line in second.out.splitlines()] == ["second"]


def test_a_bad_state_file_or_resource_cannot_run(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    state = tmp_path / "state.json"
    state.write_text("{broken")
    with serve() as server:
        assert run_firehose(("tags",), "tail", False, 1.0, "-", str(state), 100, server.token,
                            server.url, False) == 2
        assert "state.json" in capsys.readouterr().err
        assert run_firehose(("no such",), "tail", False, 1.0, "-", None, 100, server.token,
                            server.url, False) == 2
        assert "not a resource name" in capsys.readouterr().err
