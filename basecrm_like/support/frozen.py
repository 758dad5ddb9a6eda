"""Frozen dataclasses made and copied cheaply, for values built on every request.

A frozen dataclass's ``__init__`` sets each field through ``object.__setattr__``
(its own ``__setattr__`` refuses), which makes an answer of nine fields cost
about four times a plain object. :func:`build` hands the instance its
dictionary whole instead and :func:`replaced` copies one the same way; the result
is the same value (equal, same ``repr``, still read-only, ``dataclasses.replace``
still works). Only for classes without ``__post_init__``, ``slots``, fields
left out of ``__init__`` or default factories, which is checked once per class.
"""
from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

T = TypeVar("T")

#: per class: the defaults of its fields that have one, and the names of its fields in order
_LAYOUTS: dict[type, tuple[dict[str, Any], tuple[str, ...]]] = {}


def _layout(cls: type) -> tuple[dict[str, Any], tuple[str, ...]]:
    layout = _LAYOUTS.get(cls)
    if layout is None:
        fields = dataclasses.fields(cls)
        if hasattr(cls, "__post_init__") or hasattr(cls, "__slots__") \
                or any(not f.init or f.default_factory is not dataclasses.MISSING
                       for f in fields):
            raise TypeError(f"{cls.__name__} needs its own __init__; build() cannot make it")
        defaults = {f.name: f.default for f in fields if f.default is not dataclasses.MISSING}
        layout = _LAYOUTS[cls] = (defaults, tuple(f.name for f in fields))
    return layout


def build(cls: type[T], fields: dict[str, Any]) -> T:
    """``cls(**fields)`` for a frozen dataclass, without its per-field ``__init__``.

    ``fields`` becomes the instance's dictionary (pass a new one). Every field
    given in the order of the class is the quick case."""
    defaults, names = _layout(cls)
    if tuple(fields) != names:  # in another order, some left to their defaults, or a mistake
        _check(cls, names, defaults, fields)
        fields = {**defaults, **fields}
    value = object.__new__(cls)
    object.__setattr__(value, "__dict__", fields)
    return value


def replaced(value: T, **changes: Any) -> T:
    """``dataclasses.replace(value, **changes)`` for a frozen dataclass made by
    :func:`build` or its own ``__init__``: its fields copied, derived values not."""
    cls = type(value)
    _, names = _layout(cls)
    if not changes.keys() <= set(names):
        raise TypeError(f"{cls.__name__}: unknown fields {sorted(changes.keys() - set(names))}")
    state = value.__dict__
    return build(cls, {**{name: state[name] for name in names}, **changes})


def _check(cls: type, names: tuple[str, ...], defaults: dict[str, Any],
           fields: dict[str, Any]) -> None:
    unknown = sorted(fields.keys() - set(names))
    missing = sorted(set(names) - defaults.keys() - fields.keys())
    if unknown or missing:
        raise TypeError(f"{cls.__name__}: unknown fields {unknown}, missing fields {missing}")
