"""Validating a request body against a catalog entry, the way the API answers.

Every problem of a body is reported at once (the API's error envelope holds a
list), so a user fixing a payload sees all of them in one round trip.

Choices where the reference is unsure (documented in docs/guides/mock.rst):

- ``field`` is a JSON Pointer into the request body: ``/data/first_name``,
  ``/data/address/city``, ``/data/tags/2``.
- ``id``, ``created_at``, ``updated_at`` and ``creator_id`` are ignored when sent,
  so a fetched record can be posted back. Any other read-only attribute is
  accepted only when it equals the stored value (on create: ``null`` or the
  default), else 422
  ``unknown`` with a message saying it is read-only.
- A create-only attribute (``is_organization``, ``product_id``...) sent on update
  with a different value is 422 ``incorrect_value``; the same value is accepted.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...catalog import Resource
from . import values
from .errors import ApiError, ErrorItem, error

ECHOED = frozenset({"id", "created_at", "updated_at", "creator_id"})
ROOT = "/data"


def parse_envelope(payload: Any) -> dict[str, Any]:
    """The ``data`` object of a request body, or 400 ``invalid_payload``."""
    if not isinstance(payload, dict) or "data" not in payload:
        raise error(400, "invalid_payload", "The request body must be a JSON object "
                    'with the attributes under "data"',
                    'Wrap the attributes: {"data": {...}}')
    extra = set(payload) - {"data", "meta"}
    if extra:
        raise error(400, "invalid_payload", f"Unexpected top-level key {sorted(extra)[0]!r}",
                    'Only "data" (and optionally "meta") may appear at the top level')
    data = payload["data"]
    if not isinstance(data, dict):
        raise error(400, "invalid_payload", '"data" must be a JSON object of attributes')
    return data


class Problems:
    """Collects the 422 items of one body."""

    def __init__(self, res: Resource) -> None:
        self.res = res
        self.items: list[ErrorItem] = []

    def add(self, code: str, name: str, message: str, pointer: str = "") -> None:
        self.items.append(ErrorItem(code, message, message, self.res.type,
                                    f"{ROOT}/{name}{pointer}"))

    def raise_if_any(self) -> None:
        if self.items:
            raise ApiError(422, *self.items)


def check_body(res: Resource, data: Mapping[str, Any],
               stored: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The normalised attributes to apply; ``stored`` is None on create.

    Raises 422 with every problem found.
    """
    problems = Problems(res)
    creating = stored is None
    changes: dict[str, Any] = {}
    for name, sent in data.items():
        spec = res.field(name)
        if spec is None:
            problems.add("unknown", name, f"{name!r} is not an attribute of {res.type}")
            continue
        if name in ECHOED or (name == res.id_field and not creating):
            continue
        if spec.access == "r":
            current = values.empty(spec) if stored is None else stored.get(name)
            if sent is None or values.same(spec, sent, current):
                continue
            problems.add("unknown", name, f"{name!r} is read-only for {res.type}; "
                         "the server sets it")
            continue
        if spec.access == "c" and stored is not None:
            if values.same(spec, sent, stored.get(name)):
                continue
            problems.add("incorrect_value", name,
                         f"{name!r} can be set only when the {res.type} is created")
            continue
        try:
            changes[name] = values.check(spec, sent)
        except values.ValueProblem as exc:
            problems.add(exc.code, name, f"{name!r} {exc.message}", exc.pointer)
    problems.raise_if_any()
    check_required(res, data, changes, stored, problems)
    problems.raise_if_any()
    return changes


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def required_fields(res: Resource, record: Mapping[str, Any]) -> list[str]:
    """Attributes required for this record (``required`` plus matching ``required_if``)."""
    names = list(res.required)
    for rule in res.required_if:
        current = record.get(rule.when)
        if current is None:
            spec = res.field(rule.when)
            current = spec.default if spec else None
        if current == rule.value:
            names.extend(rule.fields)
    return names


def check_required(res: Resource, data: Mapping[str, Any], changes: Mapping[str, Any],
                   stored: Mapping[str, Any] | None, problems: Problems) -> None:
    """``missing`` for absent required attributes on create, ``blank`` for emptied ones."""
    merged = {**(stored or {}), **changes}
    for name in required_fields(res, merged):
        if stored is None and name not in data:
            problems.add("missing", name, f"{name!r} is required")
        elif name in data and _blank(data[name]):
            problems.add("blank", name, f"{name!r} cannot be blank")
    for group in res.required_any:
        if all(_blank(merged.get(name)) for name in group):
            if stored is None and not any(name in data for name in group):
                problems.add("missing", group[0], f"one of {', '.join(group)} is required")
            else:
                problems.add("blank", group[0],
                             f"one of {', '.join(group)} must be given and not blank")
