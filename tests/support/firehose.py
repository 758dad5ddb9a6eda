"""Helpers of the Firehose tests: a writer process that keeps changing records, and
the server's own list of events to compare consumers with.

``python -m tests.support.firehose write URL TOKEN STOP_FILE SEED`` writes until
STOP_FILE exists; errors (faults are on) are ignored: a write that failed
before it was applied has no event, one that failed after has one, and the
server's stream is the reference either way.
"""
from __future__ import annotations

import json
import random
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import basecrm_like
from basecrm_like.errors import Error


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
