"""The API's envelopes: ``{"data": ...}`` around what we send, ``items``/``data`` around answers."""
from __future__ import annotations

from typing import Any

from munch import Munch, munchify


def wrap_envelope(body: Any) -> dict[str, Any]:
    return {"data": body}


def unwrap_envelope(body: Any) -> Any:
    """A collection becomes a list of Munch, a single resource one Munch."""
    if isinstance(body, dict):
        if "items" in body and isinstance(body["items"], list):
            return [_munch(item.get("data", item)) for item in body["items"]]
        if "data" in body:
            return _munch(body["data"])
    return _munch(body)


def _munch(value: Any) -> Any:
    # answers are parsed straight into Munch; munchify only what came from elsewhere
    return value if isinstance(value, Munch) else munchify(value)
