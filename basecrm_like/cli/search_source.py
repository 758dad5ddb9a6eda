"""Records chosen by a Search API v3 query, for commands that take ``--where``/``--sort``.

The search yields ids in the asked order, a page at a time; the full v2
records are then read by id (100 a request), so the output has the same
columns as any other export and can be imported back.
"""
from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

from ..catalog import Resource
from ..catalog.search import SEARCHABLE
from ..search import parse_sort, parse_where

IDS_PER_REQUEST = 100


def search_records(client: Any, res: Resource, where: str | None,
                   sort: str | None) -> Iterator[Any]:
    """Every record matching ``where`` in ``sort`` order; ValueError for a bad expression
    (an :class:`~basecrm_like.search.ExpressionError` points at the column)."""
    if res.name not in SEARCHABLE:
        raise ValueError(f"--where and --sort use the Search API, which searches "
                         f"{', '.join(SEARCHABLE)}; {res.name} is not one of them")
    condition = parse_where(where) if where else None
    order = parse_sort(sort) if sort else None
    query = client.search.query(res.name, condition, sort=order, per_page=IDS_PER_REQUEST)
    return _full_records(client, res, (hit.id for hit in query.iterate()))


def _full_records(client: Any, res: Resource, ids: Iterator[int]) -> Iterator[Any]:
    service = getattr(client, res.name)
    while True:
        chunk = list(itertools.islice(ids, IDS_PER_REQUEST))
        if not chunk:
            return
        found = {record.id: record for record in
                 service.list(ids=chunk, per_page=IDS_PER_REQUEST)}
        # a record deleted between the search and the read is skipped
        yield from (found[id_] for id_ in chunk if id_ in found)
