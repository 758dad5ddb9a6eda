"""Whether a stored value already says what a row says (so the row sends nothing)."""
from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from .. import catalog
from ..support.decimals import parse_decimal

__all__ = ["same"]


def same(spec: catalog.Field | None, sent: Any, stored: Any) -> bool:
    """Whether the stored value already says what the row says."""
    if isinstance(sent, Mapping):
        # custom fields and address: the keys the row sets must match
        stored = stored if isinstance(stored, Mapping) else {}
        return all(same(None, v, stored.get(k)) for k, v in sent.items())
    if spec is not None and spec.type == "tags":
        return isinstance(stored, list) and sorted(map(str, sent)) == sorted(map(str, stored))
    if isinstance(sent, list):
        return isinstance(stored, list) and len(sent) == len(stored) and \
            all(same(None, a, b) for a, b in zip(sent, stored, strict=True))
    if sent == stored:
        return True
    if stored is None:
        return False
    if isinstance(sent, (Decimal, int, float)) and not isinstance(sent, bool):
        try:
            return parse_decimal(sent) == parse_decimal(stored)
        except ValueError:
            return False
    return _text(sent) == _text(stored)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
