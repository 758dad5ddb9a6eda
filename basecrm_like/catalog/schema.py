"""The shape of a catalog entry: resources, their fields and their rules.

Field types: ``integer``, ``string``, ``boolean``, ``decimal`` (exact, sent as a
string), ``number`` (float), ``datetime`` (ISO 8601 UTC), ``date`` (YYYY-MM-DD),
``address`` (object of strings), ``tags`` (list of strings), ``custom_fields``
(object), ``integer_list``, ``object``, ``object_list``.

Field access: ``rw`` writable, ``c`` writable on create only, ``r`` read-only.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

FIELD_TYPES = frozenset({
    "integer", "string", "boolean", "decimal", "number", "datetime", "date",
    "address", "tags", "custom_fields", "integer_list", "object", "object_list",
})
ACTIONS = frozenset({"list", "create", "retrieve", "update", "destroy", "upsert", "self"})
ADDRESS_KEYS = ("line1", "city", "postal_code", "state", "country")
#: resource_type values (as used by notes, tasks, calls, ...) -> catalog name
POLYMORPHIC_TYPES = {"lead": "leads", "contact": "contacts", "deal": "deals"}
#: the ``ref`` of a polymorphic foreign key: it points where ``resource_type`` says
POLYMORPHIC = "*"


@dataclass(frozen=True)
class Field:
    name: str
    type: str = "string"
    access: str = "rw"
    enum: tuple[str, ...] = ()
    ref: str | None = None
    default: Any = None
    #: for decimal members of lists of objects, e.g. product ``prices[].amount``
    decimal_keys: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        assert self.type in FIELD_TYPES, self.type
        assert self.access in ("rw", "c", "r"), self.access

    @property
    def writable_on_create(self) -> bool:
        return self.access in ("rw", "c")


@dataclass(frozen=True)
class RequiredIf:
    """``fields`` are required on create when attribute ``when`` equals ``value``
    (an absent ``when`` reads as its field's default)."""

    when: str
    value: Any
    fields: tuple[str, ...]


@dataclass(frozen=True)
class Resource:
    name: str
    type: str
    path: str
    actions: frozenset[str]
    fields: tuple[Field, ...]
    filters: tuple[str, ...] = ()
    sort_by: tuple[str, ...] = ()
    default_sort: str = "id:asc"
    required: tuple[str, ...] = ()
    #: at least one attribute of each group is required on create
    required_any: tuple[tuple[str, ...], ...] = ()
    required_if: tuple[RequiredIf, ...] = ()
    max_per_page: int = 100
    #: the highest ``page`` accepted; beyond it the list pages on with ``cursor`` (None: no cap)
    max_page: int | None = None
    #: rarely changing data that the model layer may cache
    reference_data: bool = False
    #: the attribute that identifies a member (associated contacts use contact_id)
    id_field: str = "id"
    #: Sync API delivers changes of this resource
    synced: bool = True
    description: str = ""
    _by_name: dict[str, Field] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        assert self.actions <= ACTIONS, self.actions - ACTIONS
        self._by_name.update({f.name: f for f in self.fields})

    # -- derived names ----------------------------------------------------------
    @cached_property
    def model_name(self) -> str:
        """``deal_unqualified_reason`` -> ``DealUnqualifiedReason``."""
        return "".join(part.capitalize() for part in self.type.split("_"))

    @cached_property
    def service_name(self) -> str:
        """``deal_unqualified_reasons`` -> ``DealUnqualifiedReasonsService``."""
        return "".join(part.capitalize() for part in self.name.split("_")) + "Service"

    @cached_property
    def parent_params(self) -> tuple[str, ...]:
        """Placeholders of a nested path, e.g. ``("deal_id",)``."""
        return tuple(
            part[1:-1] for part in self.path.split("/") if part.startswith("{") and part.endswith("}")
        )

    @cached_property
    def member_path(self) -> str:
        return f"{self.path}/{{{self.id_field}}}"

    # -- fields -----------------------------------------------------------------
    def field(self, name: str) -> Field | None:
        return self._by_name.get(name)

    @cached_property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    @cached_property
    def writable(self) -> frozenset[str]:
        return frozenset(f.name for f in self.fields if f.writable_on_create)

    @cached_property
    def decimal_fields(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.type == "decimal" or f.decimal_keys)

    @cached_property
    def has_custom_fields(self) -> bool:
        return "custom_fields" in self._by_name

    @cached_property
    def foreign_keys(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.ref)


