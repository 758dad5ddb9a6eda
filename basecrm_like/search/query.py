"""The query builder: filter trees written as Python expressions.

``(F("decimal_value") >= 1000) & F("stage.id").any([1, 2]) | ~F("hot").is_null()``
builds a tree of :class:`Condition` objects; :meth:`Condition.to_wire` turns it
into the Search API's JSON, naming each attribute through a resolver (which
translates v2 names and custom-field names).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from ..http.errors import InvalidArgumentError

Resolve = Callable[[str], str]
Wire = dict[str, Any]
SortSpec = Sequence["str | tuple[str, str]"]

_DIRECTIONS = {"asc": "ascending", "ascending": "ascending",
               "desc": "descending", "descending": "descending"}


def _same(name: str) -> str:
    return name


def wire_value(value: Any) -> Any:
    """A filter value as JSON: Decimals as exact text, datetimes as UTC ISO 8601."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
        return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


class Condition:
    """A node of a filter tree; combine with ``&``, ``|`` and ``~``."""

    def to_wire(self, resolve: Resolve = _same) -> Wire:
        raise NotImplementedError

    def attributes(self) -> Iterable[str]:
        """Attribute names the tree mentions (to look custom fields up before sending)."""
        return ()

    def __and__(self, other: Condition | Mapping[str, Any]) -> Condition:
        return All([self, as_condition(other)])

    def __or__(self, other: Condition | Mapping[str, Any]) -> Condition:
        return AnyOf([self, as_condition(other)])

    def __invert__(self) -> Condition:
        return Not(self)

    def __bool__(self) -> bool:
        raise InvalidArgumentError(
            "a search condition has no truth value: combine conditions with &, | and ~ "
            "(not 'and', 'or', 'not'), and wrap each comparison in parentheses")

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.to_wire()!r}>"


class Leaf(Condition):
    def __init__(self, attribute: str, operator: str, argument: Any) -> None:
        self.attribute = attribute
        self.operator = operator
        self.argument = argument

    def to_wire(self, resolve: Resolve = _same) -> Wire:
        argument = self.argument
        if isinstance(argument, dict):
            argument = {key: wire_value(value) for key, value in argument.items()}
        elif isinstance(argument, list):
            argument = [wire_value(value) for value in argument]
        else:
            argument = wire_value(argument)
        return {"filter": {"attribute": {"name": resolve(self.attribute)},
                           "parameter": {self.operator: argument}}}

    def attributes(self) -> Iterable[str]:
        return (self.attribute,)


class _Group(Condition):
    key = ""

    def __init__(self, parts: Iterable[Condition]) -> None:
        flat: list[Condition] = []
        for part in parts:  # (a & b) & c sends one "and" of three
            flat.extend(part.parts if isinstance(part, _Group) and type(part) is type(self)
                        else [part])
        self.parts: list[Condition] = flat

    def to_wire(self, resolve: Resolve = _same) -> Wire:
        return {self.key: [part.to_wire(resolve) for part in self.parts]}

    def attributes(self) -> Iterable[str]:
        return [name for part in self.parts for name in part.attributes()]


class All(_Group):
    key = "and"


class AnyOf(_Group):
    key = "or"


class Not(Condition):
    def __init__(self, part: Condition) -> None:
        self.part = part

    def to_wire(self, resolve: Resolve = _same) -> Wire:
        return {"not": self.part.to_wire(resolve)}

    def attributes(self) -> Iterable[str]:
        return self.part.attributes()


class Raw(Condition):
    """A filter already in the documented JSON shape, sent as given."""

    def __init__(self, tree: Mapping[str, Any]) -> None:
        self.tree = dict(tree)

    def to_wire(self, resolve: Resolve = _same) -> Wire:
        return self.tree


def as_condition(value: Condition | Mapping[str, Any]) -> Condition:
    if isinstance(value, Condition):
        return value
    if isinstance(value, Mapping):
        return Raw(value)
    raise InvalidArgumentError(f"expected a condition built with F(...) or a filter dict, "
                               f"got {type(value).__name__}")


class F:
    """An attribute to compare: ``F("decimal_value") >= 1000``, ``F("stage.id").any([1, 2])``.

    Names are the Search API's (``decimal_value``, ``stage.id``, ``added_at``); v2
    names (``value``, ``stage_id``) are translated. ``F("custom_fields.Industry")``
    names a custom field by its name; the service looks up its search id.
    """

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        if not isinstance(name, str) or not name:
            raise InvalidArgumentError("F() takes an attribute name, e.g. F('name')")
        self.name = name

    def __eq__(self, value: Any) -> Condition:  # type: ignore[override]
        return Leaf(self.name, "eq", value)

    def __ne__(self, value: Any) -> Condition:  # type: ignore[override]
        return Not(Leaf(self.name, "eq", value))

    def __gt__(self, value: Any) -> Condition:
        return Leaf(self.name, "range", {"gt": value})

    def __ge__(self, value: Any) -> Condition:
        return Leaf(self.name, "range", {"gte": value})

    def __lt__(self, value: Any) -> Condition:
        return Leaf(self.name, "range", {"lt": value})

    def __le__(self, value: Any) -> Condition:
        return Leaf(self.name, "range", {"lte": value})

    __hash__ = None  # type: ignore[assignment]

    def any(self, values: Iterable[Any]) -> Condition:
        """Equal to one of ``values``."""
        if isinstance(values, (str, bytes)):
            raise InvalidArgumentError("any() takes a list of values, not one string")
        return Leaf(self.name, "any", list(values))

    def between(self, low: Any = None, high: Any = None, *, inclusive: bool = True) -> Condition:
        """In a range; a bound given as None is open."""
        bounds = {}
        if low is not None:
            bounds["gte" if inclusive else "gt"] = low
        if high is not None:
            bounds["lte" if inclusive else "lt"] = high
        if not bounds:
            raise InvalidArgumentError("between() needs a low or a high bound")
        return Leaf(self.name, "range", bounds)

    def is_null(self, null: bool = True) -> Condition:
        return Leaf(self.name, "is_null", bool(null))

    def contains(self, text: str) -> Condition:
        """Holds ``text`` (ASCII case ignored)."""
        return Leaf(self.name, "contains", text)

    def starts_with(self, text: str) -> Condition:
        return Leaf(self.name, "starts_with", text)

    def __repr__(self) -> str:
        return f"F({self.name!r})"


def sort_wire(sort: SortSpec | str | None, resolve: Resolve = _same) -> list[Wire]:
    """``[("updated_at", "desc"), "name"]`` or ``"updated_at:desc,name"`` -> the wire's sort."""
    if sort is None:
        return []
    entries: Sequence[str | tuple[str, str]] = sort.split(",") if isinstance(sort, str) else sort
    out = []
    for entry in entries:
        if isinstance(entry, str):
            name, _, direction = entry.strip().partition(":")
        else:
            name, direction = entry
        order = _DIRECTIONS.get((direction or "asc").lower())
        if order is None:
            raise InvalidArgumentError(f"sort direction {direction!r} of {name!r}: use asc or desc")
        out.append({"attribute": {"name": resolve(name.strip())}, "order": order})
    return out
