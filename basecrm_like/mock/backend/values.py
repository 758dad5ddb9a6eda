"""Checking and normalising one attribute value against its catalog field type.

Normalising on the way in (decimals to exact strings, datetimes to UTC with a
``Z``) means the store holds one spelling per value, so filters, sorting and
"is this the stored value?" comparisons need no special cases later.
"""
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from ...catalog import ADDRESS_KEYS, Field

TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


class ValueProblem(Exception):
    """A value that does not fit its field; ``pointer`` is relative to the field."""

    def __init__(self, code: str, message: str, pointer: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.pointer = pointer


def now_iso() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime(TIMESTAMP_FORMAT)


def format_timestamp(moment: dt.datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(dt.timezone.utc).strftime(TIMESTAMP_FORMAT)


def decimal_string(value: Any) -> str:
    """An exact decimal as the API writes it: ``"1000.99"``, never exponent notation."""
    if isinstance(value, bool):
        raise ValueProblem("invalid_type", "must be a decimal number or a string holding one")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueProblem("incorrect_value", "must be a finite decimal number")
        number = Decimal(repr(value))
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            raise ValueProblem("incorrect_value", f"{value!r} is not a decimal number") from None
    else:
        raise ValueProblem("invalid_type", "must be a decimal number or a string holding one")
    if not number.is_finite():
        raise ValueProblem("incorrect_value", "must be a finite decimal number")
    return format(number, "f")


INT64 = 2 ** 63 - 1


def _integer(value: Any, spec: Field) -> Any:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueProblem("invalid_type", "must be an integer")
    if not -INT64 <= value <= INT64:
        raise ValueProblem("incorrect_value", "is out of range (64-bit integers only)")
    return value


def _string(value: Any, spec: Field) -> Any:
    if not isinstance(value, str):
        raise ValueProblem("invalid_type", "must be a string")
    return value


def _boolean(value: Any, spec: Field) -> Any:
    if not isinstance(value, bool):
        raise ValueProblem("invalid_type", "must be true or false")
    return value


def _number(value: Any, spec: Field) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueProblem("invalid_type", "must be a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueProblem("incorrect_value", "must be a finite number")
    return value


def _decimal(value: Any, spec: Field) -> Any:
    return decimal_string(value)


def _datetime(value: Any, spec: Field) -> Any:
    if not isinstance(value, str):
        raise ValueProblem("invalid_type", "must be an ISO 8601 timestamp string")
    text = value.strip()
    try:
        if len(text) == 10:  # a bare date reads as midnight UTC
            moment = dt.datetime.combine(dt.date.fromisoformat(text), dt.time(),
                                         tzinfo=dt.timezone.utc)
        else:
            moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueProblem("incorrect_value",
                           f"{value!r} is not an ISO 8601 timestamp like 2026-01-01T00:00:00Z") from None
    return format_timestamp(moment)


def _date(value: Any, spec: Field) -> Any:
    if not isinstance(value, str):
        raise ValueProblem("invalid_type", "must be a date string YYYY-MM-DD")
    try:
        if len(value) != 10:
            raise ValueError
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise ValueProblem("incorrect_value", f"{value!r} is not a date like 2026-01-31") from None


def _address(value: Any, spec: Field) -> Any:
    if not isinstance(value, dict):
        raise ValueProblem("invalid_type", "must be an object with " + ", ".join(ADDRESS_KEYS))
    out: dict[str, Any] = {}
    for key, item in value.items():
        if key not in ADDRESS_KEYS:
            raise ValueProblem("unknown", f"unknown address attribute {key!r}; the attributes are "
                               + ", ".join(ADDRESS_KEYS), f"/{key}")
        if item is not None and not isinstance(item, str):
            raise ValueProblem("invalid_type", "must be a string", f"/{key}")
        out[key] = item
    return out


def _tags(value: Any, spec: Field) -> Any:
    if not isinstance(value, list):
        raise ValueProblem("invalid_type", "must be a list of strings")
    for index, item in enumerate(value):
        if not isinstance(item, str):
            raise ValueProblem("invalid_type", "must be a string", f"/{index}")
    return list(value)


_SCALARS = (str, int, float, bool)


def _custom_fields(value: Any, spec: Field) -> Any:
    if not isinstance(value, dict):
        raise ValueProblem("invalid_type", "must be an object of custom field name -> value")
    for key, item in value.items():
        ok = item is None or isinstance(item, _SCALARS) or (
            isinstance(item, list) and all(isinstance(v, _SCALARS) for v in item))
        if not ok:
            raise ValueProblem("invalid_type", "must be a string, number, boolean or list of them",
                               f"/{key}")
    return dict(value)


def _integer_list(value: Any, spec: Field) -> Any:
    if not isinstance(value, list):
        raise ValueProblem("invalid_type", "must be a list of integers")
    for index, item in enumerate(value):
        if isinstance(item, bool) or not isinstance(item, int):
            raise ValueProblem("invalid_type", "must be an integer", f"/{index}")
        if not -INT64 <= item <= INT64:
            raise ValueProblem("incorrect_value", "is out of range", f"/{index}")
    return list(value)


def _object(value: Any, spec: Field) -> Any:
    if not isinstance(value, dict):
        raise ValueProblem("invalid_type", "must be an object")
    return dict(value)


def _object_list(value: Any, spec: Field) -> Any:
    if not isinstance(value, list):
        raise ValueProblem("invalid_type", "must be a list of objects")
    out = []
    for index, item in enumerate(value):
        if not isinstance(item, dict):
            raise ValueProblem("invalid_type", "must be an object", f"/{index}")
        item = dict(item)
        for key in spec.decimal_keys:
            if item.get(key) is not None:
                try:
                    item[key] = decimal_string(item[key])
                except ValueProblem as exc:
                    raise ValueProblem(exc.code, exc.message, f"/{index}/{key}") from None
        out.append(item)
    return out


_CHECKERS: dict[str, Callable[[Any, Field], Any]] = {
    "integer": _integer, "string": _string, "boolean": _boolean, "number": _number,
    "decimal": _decimal, "datetime": _datetime, "date": _date, "address": _address,
    "tags": _tags, "custom_fields": _custom_fields, "integer_list": _integer_list,
    "object": _object, "object_list": _object_list,
}

#: what a list or object field holds when nothing (or null) was sent
_EMPTY: dict[str, Callable[[], Any]] = {
    "tags": list, "integer_list": list, "object_list": list, "custom_fields": dict,
    "address": lambda: dict.fromkeys(ADDRESS_KEYS),
}


def check(spec: Field, value: Any) -> Any:
    """The normalised value, or :class:`ValueProblem`. ``None`` clears any field."""
    if value is None:
        return empty(spec)
    normalised = _CHECKERS[spec.type](value, spec)
    if spec.enum and normalised not in spec.enum:
        raise ValueProblem("incorrect_value",
                           f"{value!r} is not one of: {', '.join(spec.enum)}")
    return normalised


def empty(spec: Field) -> Any:
    """The value of a field nobody set: its catalog default, or an empty list/object."""
    if spec.default is not None:
        return spec.default
    maker = _EMPTY.get(spec.type)
    return maker() if maker else None


def same(spec: Field, sent: Any, stored: Any) -> bool:
    """Whether a sent value means the stored one (so echoing a record back is harmless)."""
    if sent == stored:
        return True
    try:
        return bool(check(spec, sent) == stored)
    except ValueProblem:
        return False
