"""Exact conversions for money-like values (deal values, prices).

The API sends decimals as strings; a float in between would turn 1000.99 into
1000.9900000000000090949470177292823791503906250 somewhere down the line.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any


class Coercion:
    """Same names and behaviour as the official client's ``Coercion``."""

    @staticmethod
    def to_decimal(value: Any) -> Decimal:
        """Coerce a value into a Decimal; floats go through ``str`` to stay as written."""
        if isinstance(value, Decimal):
            return value
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise ValueError(f"cannot read {value!r} as a decimal number") from None
        if not number.is_finite():
            raise ValueError(f"{value!r} is not a finite decimal number")
        return number

    @staticmethod
    def to_string(value: Any) -> str:
        """Coerce a value into the string the API expects for a decimal field."""
        return str(value)
