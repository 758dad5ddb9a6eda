"""Checks and conversions that services apply to what goes in and what comes out.

Kept apart from :mod:`.base` so the rules read in one place: which list
parameters a resource accepts, how a bad value is reported, and how dates are
returned when the client asks for ``parse_dates``.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from ..catalog import Field, Resource
from ..http.errors import Error
from ..support.suggest import did_you_mean

__all__ = ["UnknownFilterError", "InvalidValueError", "PAGING_PARAMS", "list_parameter_names",
           "check_list_params", "encode_checked", "parse_date_fields", "format_date_value"]

#: parameters every list accepts besides the resource's filters
PAGING_PARAMS = ("page", "per_page", "sort_by")


class UnknownFilterError(Error, ValueError):
    """A list parameter the resource does not accept, caught before any request.

    The API would answer 400 with every name it knows; this names the likely
    one instead. ``strict=False`` on the client sends unknown names as they are.
    """

    def __init__(self, name: str, resource: str, known: tuple[str, ...],
                 suggestion: str | None) -> None:
        self.name = name
        self.resource = resource
        self.suggestion = suggestion
        hint = f"did you mean {suggestion!r}? " if suggestion else ""
        super().__init__(f"{resource} cannot be filtered on {name!r}; {hint}"
                         f"the filters are: {', '.join(known)}")


class InvalidValueError(Error, ValueError):
    """An attribute's value cannot be sent as its catalog type (``value="abc"`` for a decimal)."""

    def __init__(self, resource: str, field: str, reason: str) -> None:
        self.resource = resource
        self.field = field
        super().__init__(f"{resource}.{field}: {reason.rstrip('.')}")


def list_parameter_names(res: Resource) -> tuple[str, ...]:
    """The names a list of ``res`` takes at the top level, sorted, without repeats.

    A bracketed filter such as ``address[city]`` is passed as ``address={...}``,
    so its head counts; custom fields are one ``custom_fields={...}`` parameter.
    """
    names = {name.partition("[")[0] for name in res.filters}
    names.update(PAGING_PARAMS)
    if res.has_custom_fields:
        names.add("custom_fields")
    return tuple(sorted(names))


def check_list_params(res: Resource, params: Mapping[str, Any]) -> None:
    """Raise :class:`UnknownFilterError` for the first parameter ``res`` does not accept."""
    known = list_parameter_names(res)
    for name in params:
        head = name.partition("[")[0]
        if head not in known:
            raise UnknownFilterError(name, res.name, known, did_you_mean(name, known))


def encode_checked(res: Resource, spec: Field, value: Any, encode: Any) -> Any:
    """``encode(spec, value)``, with dates sent as text and a bad value named by resource and field."""
    if isinstance(value, dt.date):
        value = format_date_value(value)
    try:
        return encode(spec, value)
    except InvalidValueError:
        raise
    except (ValueError, ArithmeticError) as exc:
        raise InvalidValueError(res.model_name, spec.name,
                                f"{value!r} is not a valid {spec.type} ({exc})") from None


def format_date_value(value: dt.date) -> str:
    """A date or datetime as the API writes it (UTC datetimes with ``Z``)."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc)
            return value.replace(tzinfo=None).isoformat(timespec="seconds") + "Z"
        return value.isoformat(timespec="seconds")
    return value.isoformat()


def parse_date_fields(res: Resource, record: Any) -> Any:
    """The ``date`` and ``datetime`` attributes of ``record`` as ``date`` / aware ``datetime``.

    A value that does not parse is left as the API sent it: a surprising string
    is better than an answer lost to an exception.
    """
    if not isinstance(record, dict):
        return record
    for spec in res.fields:
        value = record.get(spec.name)
        if not isinstance(value, str):
            continue
        if spec.type == "datetime":
            record[spec.name] = _parse_datetime(value)
        elif spec.type == "date":
            record[spec.name] = _parse_date(value)
    return record


def _parse_datetime(text: str) -> Any:
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.timezone.utc)


def _parse_date(text: str) -> Any:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return text
