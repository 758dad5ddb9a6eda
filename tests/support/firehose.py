"""Helpers of the Firehose tests: a writer process that keeps changing records, and
the server's own list of events to compare consumers with.

``python -m tests.support.firehose write URL TOKEN STOP_FILE SEED`` writes until
STOP_FILE exists; errors (faults are on) are ignored: a write that failed
before it was applied has no event, one that failed after has one, and the
server's stream is the reference either way.
"""
from __future__ import annotations

import contextlib
import json
import random
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import basecrm_like
from basecrm_like.errors import Error
from basecrm_like.mock.process import child_environment

ROOT = Path(__file__).resolve().parents[2]


class DictStore:
    """A checkpoint store of the user's own, through the two-method protocol."""

    def __init__(self) -> None:
        self.saved: dict[str, str] = {}

    def load(self, key: str) -> str | None:
        return self.saved.get(key)

    def save(self, key: str, position: str) -> None:
        self.saved[key] = position


def cli(*args: str) -> list[str]:
    """The ``basecrm-like`` command of this interpreter."""
    return [sys.executable, "-c", "from basecrm_like.cli import main; main()", *args]


@contextlib.contextmanager
def writer_process(url: str, token: str, stop_file: Path, seed: int) -> Iterator[list[int]]:
    """Another process writing until the block ends; yields a list that then holds
    how many writes it made."""
    writer = subprocess.Popen(
        [sys.executable, "-m", "tests.support.firehose", "write", url, token, str(stop_file),
         str(seed)], cwd=ROOT, env=child_environment(), stdout=subprocess.PIPE, text=True)
    made: list[int] = []
    try:
        yield made
    finally:
        stop_file.touch()
        made.append(int(writer.communicate(timeout=60)[0]))


def kill_at_random_points(command: list[str], progress: Callable[[], object], *,
                          trials: int = 10, seed: int = 0) -> int:
    """Start ``command``, wait until ``progress()`` changes (it is working), wait a
    random moment more and SIGKILL it; ``trials`` times. Returns how many died by SIGKILL."""
    rng = random.Random(seed)
    kills = 0
    for _ in range(trials):
        before = progress()
        process = subprocess.Popen(command, cwd=ROOT, env=child_environment(),
                                   stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while progress() == before and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.02)
        time.sleep(rng.uniform(0, 0.3))
        process.kill()
        process.wait()
        kills += process.returncode == -9
    return kills


def file_state(*paths: Path) -> tuple[object, ...]:
    """Sizes and modification times of files (None for a missing one)."""
    return tuple((p.stat().st_size, p.stat().st_mtime_ns) if p.exists() else None
                 for p in paths)


def write_forever(client: basecrm_like.Client, stop_file: Path, seed: int,
                  pause: float = 0.01) -> int:
    """Create, update and delete contacts and deals until ``stop_file`` exists."""
    rng = random.Random(seed)
    contacts: list[int] = []
    deals: list[int] = []
    writes = 0
    while not stop_file.exists():
        try:
            roll = rng.random()
            if not contacts or roll < 0.2:
                contacts.append(client.contacts.create(last_name=f"w{rng.randrange(10**6)}").id)
            elif roll < 0.4 or not deals:
                deals.append(client.deals.create(name=f"d{rng.randrange(10**6)}",
                                                 contact_id=rng.choice(contacts)).id)
            elif roll < 0.6:
                client.contacts.update(rng.choice(contacts), title=f"t{rng.randrange(100)}")
            elif roll < 0.9:
                client.deals.update(rng.choice(deals), value=rng.randrange(1, 10**5))
            else:
                deals.remove(target := rng.choice(deals))
                client.deals.destroy(target)
            writes += 1
        except Error:
            pass
        time.sleep(pause)
    return writes


def server_events(client: basecrm_like.Client, resources: Iterable[str]) -> list[Any]:
    """Every retained event of ``resources``, read from tail to top."""
    return list(client.firehose.stream_many(list(resources)))


def jsonl_event_ids(path: Path) -> list[str]:
    """The event ids of a JSON Lines output, in file order (every line must parse)."""
    if not path.exists():
        return []
    return [json.loads(line)["meta"]["event_id"] for line in path.read_text().splitlines()]


def mirror_records(mirror: Any, resource: str) -> dict[int, dict[str, Any]]:
    """The live records of a mirror's table by id, as JSON-ready values."""
    return {int(r["id"]): json.loads(json.dumps(r, default=str, sort_keys=True))
            for r in mirror.query(resource)}


def server_records(client: basecrm_like.Client, resource: str) -> dict[int, dict[str, Any]]:
    """Every record of ``resource`` as the v2 list shows it, by id, as JSON-ready values."""
    return {int(r["id"]): json.loads(json.dumps(r, default=str, sort_keys=True))
            for r in getattr(client, resource).list_all()}


def main(argv: list[str]) -> int:
    what, url, token, *rest = argv
    assert what == "write", what
    client = basecrm_like.Client(access_token=token, base_url=url, backoff_factor=0.01)
    stop_file, seed = rest
    print(write_forever(client, Path(stop_file), int(seed), pause=0.05))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
