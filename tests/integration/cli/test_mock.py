"""``python -m basecrm_like mock``: the ready line, the access log, a clean stop."""
from __future__ import annotations

import signal
import subprocess
import sys

import requests

from basecrm_like.mock import DEV_TOKEN
from basecrm_like.mock.process import READY_PREFIX, child_environment


def test_serves_logs_each_request_and_stops_cleanly_on_sigterm() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "basecrm_like", "mock", "--port", "0", "--seed", "2", "--verbose"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=child_environment())
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        assert line.startswith(f"{READY_PREFIX}http://127.0.0.1:"), line
        answer = requests.get(f"{line.removeprefix(READY_PREFIX)}/v2/contacts", timeout=10,
                              headers={"Authorization": f"Bearer {DEV_TOKEN}"})
        assert answer.status_code == 200 and answer.json()["meta"]["count"] == 2
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=10)
    assert process.returncode == 0 and out == ""
    assert "GET /v2/contacts -> 200 in " in err and "started in " in err
