"""Run the mock server in a child process, as CI jobs and benchmarks do.

A separate process keeps the server's CPU work off the caller's GIL and lets a
test kill or restart it. Any command that prints the ready line
``listening on http://HOST:PORT`` works, so benchmarks use it for their
baseline servers too.
"""
from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

READY_PREFIX = "listening on "


def mock_command(*args: str) -> list[str]:
    """``python -m basecrm_like.mock --port 0 ARGS``: the mock on a free port."""
    return [sys.executable, "-m", "basecrm_like.mock", "--port", "0", *args]


def child_environment(**extra: str) -> dict[str, str]:
    """This environment without ``BASECRM_*`` variables, unbuffered, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BASECRM_")}
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


@dataclass
class ServerProcess:
    """A started server: its process, its URL and the ready line it printed."""

    process: subprocess.Popen[str]
    url: str
    ready_line: str

    def stop(self, timeout: float = 10.0) -> int:
        """SIGTERM, then SIGKILL if it has not exited within ``timeout``; the exit status."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout)
        return self.process.returncode


def start_process(command: Sequence[str], env: Mapping[str, str] | None = None) -> ServerProcess:
    """Start ``command`` and wait for its ready line.

    Stderr goes to a temporary file rather than a pipe nobody reads, so a
    chatty server cannot block on a full pipe; it is quoted if the start fails.
    """
    with tempfile.TemporaryFile(mode="w+") as errors:
        process = subprocess.Popen(list(command), stdout=subprocess.PIPE, stderr=errors, text=True,
                                   env=dict(env) if env is not None else child_environment())
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        if not line.startswith(READY_PREFIX):
            process.kill()
            process.wait(10)
            errors.seek(0)
            raise RuntimeError(f"{' '.join(command)} did not start (first line: {line!r}); "
                               f"stderr: {errors.read()[-2000:]}")
    # the child keeps its own descriptor of the (now unlinked) stderr file
    return ServerProcess(process, line.removeprefix(READY_PREFIX), line)


@contextlib.contextmanager
def running(command: Sequence[str], env: Mapping[str, str] | None = None) -> Iterator[ServerProcess]:
    """``start_process`` as a context manager that always stops the server."""
    server = start_process(command, env)
    try:
        yield server
    finally:
        server.stop()
