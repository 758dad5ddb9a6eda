"""Values on the wire: JSON out with exact decimals, query parameters, and the
official ``Coercion`` for money-like values.

The API sends decimals as strings; a float in between would turn 1000.99 into
1000.9900000000000090949470177292823791503906250 somewhere down the line.
"""
from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from munch import Munch

from ..support.decimals import parse_decimal


class _JSONEncoder(json.JSONEncoder):
    """Decimals go out as exact strings; dates as ISO 8601."""

    def default(self, o: Any) -> Any:
        if isinstance(o, Decimal):
            return str(o)
        if isinstance(o, (_dt.datetime, _dt.date)):
            return o.isoformat()
        if isinstance(o, (set, frozenset)):
            return sorted(o)
        return super().default(o)


def encode_json(value: Any) -> str:
    return json.dumps(value, cls=_JSONEncoder, separators=(",", ":"), ensure_ascii=False)


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (_dt.datetime, _dt.date)):
        return value.isoformat()
    return str(value)


def encode_params(params: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    """Flatten query parameters the way the API reads them.

    ``{"custom_fields": {"industry": "Retail"}}`` -> ``custom_fields[industry]=Retail``,
    ``{"ids": [1, 2]}`` -> ``ids=1,2``, booleans -> ``true``/``false``, None dropped.
    """
    out: list[tuple[str, str]] = []

    def add(key: str, value: Any) -> None:
        if value is None:
            return
        if isinstance(value, Mapping):
            for sub, item in value.items():
                add(f"{key}[{sub}]", item)
        elif isinstance(value, (list, tuple, set, frozenset)):
            out.append((key, ",".join(_scalar(v) for v in value)))
        else:
            out.append((key, _scalar(value)))

    for key, value in (params or {}).items():
        add(key, value)
    return out




def decode_json(content: bytes) -> Any:
    """Parse an answer straight into Munch objects: far cheaper than munchify afterwards."""
    return json.loads(content, object_hook=Munch)


class Coercion:
    """Same names and behaviour as the official client's ``Coercion``."""

    @staticmethod
    def to_decimal(value: Any) -> Decimal:
        """Coerce a value into a Decimal; floats go through ``str`` to stay as written."""
        return parse_decimal(value)

    @staticmethod
    def to_string(value: Any) -> str:
        """Coerce a value into the string the API expects for a decimal field."""
        return str(value)
