"""What the commands share: the client from their options, the failure line, signals."""
from __future__ import annotations

import os
import signal
import threading

import pytest

from basecrm_like.cli.shared import (
    EXIT_CANNOT_RUN,
    fail_to_run,
    make_client,
    stop_on_signals,
)

from . import BASE, TOKEN


def test_options_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BASECRM_ACCESS_TOKEN", "e" * 64)
    monkeypatch.setenv("BASECRM_BASE_URL", "https://env.example.test")
    assert make_client(None, None).config.base_url == "https://env.example.test"
    client = make_client(TOKEN, BASE)
    assert client.config.access_token == TOKEN and client.config.base_url == BASE


def test_failing_to_run_is_one_line_on_stderr_and_status_2(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert fail_to_run("sync", "no access token") == EXIT_CANNOT_RUN == 2
    out, err = capsys.readouterr()
    assert out == "" and err == "basecrm-like sync: no access token\n"


def test_outside_the_main_thread_the_handlers_are_left_alone() -> None:
    before = signal.getsignal(signal.SIGTERM)
    seen: list[object] = []

    def work() -> None:
        with stop_on_signals("sync", "the page in hand", lambda: None):
            seen.append(signal.getsignal(signal.SIGTERM))

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert seen == [before]


def test_the_first_signal_asks_to_stop_and_a_second_ctrl_c_aborts(
        capsys: pytest.CaptureFixture[str]) -> None:
    before = signal.getsignal(signal.SIGINT)
    stops: list[bool] = []
    with pytest.raises(KeyboardInterrupt):
        with stop_on_signals("import", "the rows in flight", lambda: stops.append(True)) as names:
            os.kill(os.getpid(), signal.SIGTERM)
            assert stops == [True] and names == ["SIGTERM"]
            os.kill(os.getpid(), signal.SIGINT)
    assert "basecrm-like import: stopping after the rows in flight" in capsys.readouterr().err
    assert signal.getsignal(signal.SIGINT) is before
