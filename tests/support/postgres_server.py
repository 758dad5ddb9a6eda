"""A throwaway PostgreSQL server for tests and benchmarks, from the installed server binaries.

``initdb`` + ``pg_ctl`` in a temporary directory, listening on loopback on a
free port (and a Unix socket in the same directory), trust authentication,
stopped and deleted at the end. The binaries are looked up on the PATH, then
in ``/usr/lib/postgresql/*/bin`` (where Debian puts them). When none are
found, :func:`postgres_server` skips with a reason saying how to install them.

Run as root (as in CI containers), the server runs as the ``postgres`` user,
since PostgreSQL refuses to run as root.
"""
from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

INSTALL_HINT = ("PostgreSQL server binaries (initdb, pg_ctl) not found; install them with "
                "`apt-get install postgresql` (Debian/Ubuntu) or `brew install postgresql`, "
                "or put their directory on the PATH")


def find_binaries() -> Path | None:
    """The directory holding initdb and pg_ctl, or None."""
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(found).parent
    for bindir in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if os.access(os.path.join(bindir, "pg_ctl"), os.X_OK):
            return Path(bindir)
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PostgresServer:
    host: str
    port: int
    user: str
    datadir: Path

    def url(self, database: str = "postgres", driver: str = "postgresql") -> str:
        return f"{driver}://{self.user}@{self.host}:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """A fresh database on this server; its URL."""
        import psycopg

        with psycopg.connect(self.url(),
                             autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


def _run(cmd: list[str], as_user: str | None) -> None:
    if as_user is not None:
        cmd = ["runuser", "-u", as_user, "--", *cmd]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                   timeout=120)


@contextlib.contextmanager
def running_postgres(fsync: bool = False) -> Iterator[PostgresServer]:
    """Start a throwaway server; stop it and delete its files on exit.

    ``fsync=False`` (the default for tests) trades crash durability of the
    server itself for speed; a benchmark passes ``fsync=True``.
    """
    bindir = find_binaries()
    if bindir is None:
        raise FileNotFoundError(INSTALL_HINT)
    as_user = None
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            raise FileNotFoundError("running as root and there is no postgres user to run "
                                    "the server as; " + INSTALL_HINT) from None
        as_user = "postgres"
    tmp = tempfile.mkdtemp(prefix="pg-test-")
    datadir = Path(tmp) / "data"
    if as_user is not None:
        entry = pwd.getpwnam(as_user)
        os.chown(tmp, entry.pw_uid, entry.pw_gid)
    port = free_port()
    options = (f"-p {port} -k {tmp} -c listen_addresses=127.0.0.1 "
               f"-c fsync={'on' if fsync else 'off'} -c max_connections=50")
    try:
        _run([str(bindir / "initdb"), "-D", str(datadir), "-U", "postgres", "-A", "trust",
              "--no-sync", "-E", "UTF8", "--locale=C"], as_user)
        _run([str(bindir / "pg_ctl"), "-D", str(datadir), "-o", options, "-l",
              str(Path(tmp) / "log"), "-w", "-t", "60", "start"], as_user)
        try:
            yield PostgresServer("127.0.0.1", port, "postgres", datadir)
        finally:
            _run([str(bindir / "pg_ctl"), "-D", str(datadir), "-m", "immediate", "-w",
                  "stop"], as_user)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One throwaway PostgreSQL for the test session; skips when not installed."""
    if find_binaries() is None:
        pytest.skip(INSTALL_HINT)
    pytest.importorskip("sqlalchemy", reason="pip install 'basecrm_like[postgres]'")
    pytest.importorskip("psycopg", reason="pip install 'basecrm_like[postgres]'")
    with running_postgres() as server:
        yield server


_counter = iter(range(1, 1_000_000))


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """The URL of a fresh, empty database on the session's server."""
    return postgres_server.create_database(f"t{os.getpid()}_{next(_counter)}")
