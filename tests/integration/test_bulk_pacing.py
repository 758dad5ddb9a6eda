"""Bulk work paces itself without slowing down the client it was handed.

An export, or an import with a rate of its own, used to install a 10 requests/s
throttle on the client's HTTP layer for good; every ordinary call made on that
client afterwards was paced too.
"""
from __future__ import annotations

import time

import basecrm_like
from basecrm_like.mock import serve

CALLS = 40
#: the pace an export used to leave behind, in requests per second
OLD_PACE = 10.0


def timed_lists(client: basecrm_like.Client) -> float:
    started = time.monotonic()
    for _ in range(CALLS):
        client.stages.list()
    return time.monotonic() - started


def test_an_export_and_a_paced_import_leave_the_client_as_fast_as_before() -> None:
    with serve(seed=20) as server:
        client = basecrm_like.Client(access_token=server.token, base_url=server.url)
        before = timed_lists(client)

        exported = list(client.bulk.export_records("contacts"))
        summary = client.bulk.import_records(
            "contacts", [{"last_name": f"Paced {i}"} for i in range(3)], rate=5)
        after = timed_lists(client)

    assert exported and summary.counts["created"] == 3
    # nothing was attached to the client: no limiter on its HTTP layer, none for bulk work
    assert client.http_client.limiter is None and client.bulk.limiter is None
    # paced at the old 10 requests/s, 40 calls could not take less than 3.9 s
    assert after < (CALLS - 1) / OLD_PACE / 2, (before, after)


def test_the_client_rate_limit_is_the_one_bulk_work_uses_by_default() -> None:
    with serve(seed=0) as server:
        client = basecrm_like.Client(access_token=server.token, base_url=server.url,
                                     rate_limit=1000)
        limiter = client.http_client.limiter
        summary = client.bulk.import_records(
            "contacts", [{"last_name": f"Shared {i}"} for i in range(3)], rate=None)
    assert client.bulk.limiter is limiter is client.http_client.limiter
    # 3 creates and the custom field definitions
    assert summary.requests == 3 + 1 and limiter is not None and limiter.acquired >= 3
