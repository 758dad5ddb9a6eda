"""Custom-field values typed by the account's own definitions.

The catalog cannot know an account's custom fields: their names and types
come from ``GET /v2/{resource_type}/custom_fields``. A CSV cell is text, so
without the definitions a number, a date or a yes/no would be sent as a
string, and the API would refuse it or store the wrong type. A cell that does
not fit its field fails its row, naming the field and the type expected.
"""
from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from ..support.decimals import parse_decimal
from .mapping import _boolean, _list
from .rows import RowError

__all__ = ["CustomFieldTypes"]


class CustomFieldTypes:
    """Coerces ``custom_fields`` values by definition (``name`` -> ``type``, ``choices``).

    Types: ``number``, ``date``, ``datetime``, ``bool``, ``list`` (one of the
    choices), ``multi_select_list`` (several, comma or semicolon separated);
    any other type (string, text, email, phone, url, address) keeps its text.
    A field the definitions do not name is sent as read.
    """

    def __init__(self, definitions: Iterable[Mapping[str, Any]]) -> None:
        self.types: dict[str, str] = {}
        self.choices: dict[str, list[str]] = {}
        for item in definitions:
            name = item.get("name")
            if not name:
                continue
            self.types[str(name)] = str(item.get("type") or "string")
            names = [str(c.get("name")) for c in item.get("choices") or ()
                     if isinstance(c, Mapping) and c.get("name") is not None]
            if names:
                self.choices[str(name)] = names

    def __repr__(self) -> str:
        return f"<CustomFieldTypes {self.types}>"

    def coerce(self, attributes: dict[str, Any]) -> RowError | None:
        """Type ``attributes["custom_fields"]`` in place; the first bad value as a RowError."""
        values = attributes.get("custom_fields")
        if not isinstance(values, dict):
            return None
        for name, raw in list(values.items()):
            kind = self.types.get(name)
            if kind is None or raw is None:
                continue
            try:
                values[name] = self.value(name, kind, raw)
            except ValueError as exc:
                return RowError("invalid_custom_field",
                                f"custom field {name!r} ({kind}): {exc}", f"custom_fields.{name}")
        return None

    def value(self, name: str, kind: str, raw: Any) -> Any:
        if kind == "number":
            if isinstance(raw, bool):
                raise ValueError(f"{raw!r} is not a number")
            try:
                number = raw if isinstance(raw, Decimal) else parse_decimal(raw)
            except ValueError:
                raise ValueError(f"{_show(raw)} is not a number") from None
            if number == number.to_integral_value():
                return int(number)
            # a JSON number when a float holds it exactly (Decimals go out as strings)
            close = float(number)
            return close if Decimal(repr(close)) == number else number
        if kind == "bool":
            return _boolean(raw)
        if kind == "date":
            try:
                return _dt.date.fromisoformat(_text(raw).strip()).isoformat()
            except ValueError:
                raise ValueError(f"{_show(raw)} is not a date (YYYY-MM-DD)") from None
        if kind == "datetime":
            text = _text(raw).strip()
            try:
                _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                raise ValueError(f"{_show(raw)} is not an ISO 8601 date and time") from None
            return text
        if kind == "list":
            return self._choice(name, _text(raw).strip())
        if kind == "multi_select_list":
            return [self._choice(name, str(v)) for v in _list(raw)]
        return raw if isinstance(raw, str) else _text(raw)

    def _choice(self, name: str, value: str) -> str:
        allowed = self.choices.get(name)
        if allowed and value not in allowed:
            raise ValueError(f"{value!r} is not one of {', '.join(allowed)}")
        return value


def _text(raw: Any) -> str:
    if isinstance(raw, (dict, list)):
        raise ValueError(f"expected text, got a JSON {type(raw).__name__}")
    return raw if isinstance(raw, str) else str(raw)


def _show(raw: Any) -> str:
    text = repr(raw)
    return text if len(text) <= 40 else text[:40] + "..."
