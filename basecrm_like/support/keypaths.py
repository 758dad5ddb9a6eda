"""Dotted key paths into nested attributes: ``custom_fields.industry``, ``address.city``.

Imports, exports, filters and upsert keys all name a nested attribute this
way; one set of rules keeps them reading the same path the same way.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: attributes whose members a key path may name
NESTED = ("custom_fields", "address")


def split(path: str) -> tuple[str, str | None]:
    """``"custom_fields.x"`` -> ``("custom_fields", "x")``; ``"email"`` -> ``("email", None)``.

    Only the first dot separates: a custom field's own name may hold dots.
    """
    head, dot, rest = path.partition(".")
    return (head, rest) if dot else (path, None)


def dig(record: Mapping[str, Any], path: str) -> Any:
    """The value a key path names in ``record``, or None when any step is missing."""
    head, rest = split(path)
    value = record.get(head)
    if rest is None:
        return value
    return value.get(rest) if isinstance(value, Mapping) else None


def nest(target: dict[str, Any], path: str, value: Any) -> None:
    """Put ``value`` where the key path names it in ``target``, creating the inner dict."""
    head, rest = split(path)
    if rest is None:
        target[head] = value
    else:
        target.setdefault(head, {})[rest] = value
