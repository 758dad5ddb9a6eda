"""Exact decimal numbers from text: money must not pass through a float."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any


def parse_decimal(value: Any) -> Decimal:
    """``value`` as an exact, finite Decimal; floats go through ``str`` to stay as written.

    Raises ValueError for text that is not a number, for NaN and infinities,
    and for booleans (``True`` is not an amount).
    """
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, bool):
        raise ValueError(f"{value!r} is not a decimal number")
    else:
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise ValueError(f"cannot read {value!r} as a decimal number") from None
    if not number.is_finite():
        raise ValueError(f"{value!r} is not a finite decimal number")
    return number
