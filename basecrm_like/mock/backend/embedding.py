"""Embedding the related records that ``includes`` asked for (checked by :mod:`.includes`)."""
from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from ...catalog import CATALOG, Include
from .store import Store, dumps

#: the most related records one ``many`` include embeds per record
MAX_EMBEDDED = 1000


def _related(store: Store, record: Mapping[str, Any], inc: Include) -> Any:
    target = CATALOG[inc.target]
    if inc.many:
        rows = store.select(target, ["parent = ?"], [record.get("id")], "id ASC", MAX_EMBEDDED)
        return [json.loads(row) for row in rows]
    related_id = record.get(inc.via)
    if not isinstance(related_id, int):
        return None
    return store.get(target, related_id)


def embed(store: Store, raws: Sequence[str], wanted: Sequence[Include]) -> list[str]:
    """The stored record texts with the ``wanted`` includes added to each."""
    if not wanted:
        return list(raws)
    out = []
    for raw in raws:
        record = json.loads(raw)
        for inc in wanted:
            record[inc.name] = _related(store, record, inc)
        out.append(dumps(record))
    return out
