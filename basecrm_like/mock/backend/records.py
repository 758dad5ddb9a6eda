"""Creating, updating and deleting records: defaults, server-set attributes,
foreign keys, resource rules and cascades, in one place for every resource.

Handlers, upsert, lead conversions and the seed all go through here, so a
record made any way looks the same and feeds Sync the same way.
"""
from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from ...catalog import CATALOG, POLYMORPHIC, POLYMORPHIC_TYPES, RESOURCES, Field, Resource
from . import rules, values
from .errors import ApiError, ErrorItem, error
from .events import SYSTEM
from .store import Parent, Store
from .validation import ROOT
from .values import now_iso


@functools.cache
def _defaults(name: str) -> tuple[dict[str, Any], tuple[Field, ...]]:
    """Immutable defaults of a catalog resource, and the fields whose empty value is a
    fresh list or dict (built per record, so records never share one). Keyed by name:
    hashing a whole Resource on every record would cost more than the cache saves."""
    fixed: dict[str, Any] = {}
    fresh: list[Field] = []
    for spec in CATALOG[name].fields:
        value = values.empty(spec)
        if isinstance(value, (list, dict)):
            fresh.append(spec)
        fixed[spec.name] = value
    return fixed, tuple(fresh)


def new_record(res: Resource, changes: Mapping[str, Any], *, id: int | None, user_id: int,
               now: str) -> dict[str, Any]:
    """Every catalog attribute, from ``changes`` or its default, plus server-set ones."""
    fixed, fresh = _defaults(res.name)
    record = dict(fixed)
    for spec in fresh:
        record[spec.name] = values.empty(spec)
    for name, value in changes.items():
        if name in record:
            record[name] = value
    address = res.field("address")
    if address is not None and "address" in changes and changes["address"] is not None:
        record["address"] = {**values.empty(address), **changes["address"]}
    if "id" in record:
        record["id"] = id
    for stamp in ("created_at", "updated_at"):
        if stamp in record:
            record[stamp] = now
    if "creator_id" in record:
        record["creator_id"] = user_id
    if "owner_id" in record and record["owner_id"] is None:
        record["owner_id"] = user_id
    return record


def as_given(res: Resource, values: Mapping[str, Any], *, id: int | None, user_id: int,
             now: str) -> dict[str, Any]:
    """A record holding ``values`` as given, server-set attributes included (for the
    seed and for tests that store what the API would not accept); defaults fill the rest."""
    record = new_record(res, values, id=id, user_id=user_id, now=now)
    record.update({k: v for k, v in values.items() if k in record})
    return record


def insert_as_given(store: Store, res: Resource, values: Mapping[str, Any],
                    parent: Parent = 0) -> dict[str, Any]:
    """Store a record bypassing the API's rules; an ``id`` in ``values`` is kept and
    later fresh ids come after it. It feeds Sync like any write."""
    new_id = values.get("id")
    if new_id is not None:
        store.reserve_id(res, int(new_id))
    elif res.id_field == "id":
        new_id = store.next_id(res)
    record = as_given(res, values, id=new_id, user_id=1,
                      now=values.get("created_at") or now_iso())
    store.insert(res, record, parent)
    return record


def merged(res: Resource, old: Mapping[str, Any], changes: Mapping[str, Any],
           data: Mapping[str, Any]) -> dict[str, Any]:
    """``old`` with ``changes`` applied the way PUT does: partial, address and
    custom fields merged key by key (a null custom field value removes it), tags replaced."""
    record = dict(old)
    for name, value in changes.items():
        spec = res.field(name)
        if spec is not None and data.get(name) is not None:
            if spec.type == "address":
                value = {**(old.get(name) or values.empty(spec)), **value}
            elif spec.type == "custom_fields":
                value = {k: v for k, v in {**(old.get(name) or {}), **value}.items()
                         if v is not None}
        record[name] = value
    return record


def check_refs(store: Store, res: Resource, record: Mapping[str, Any],
               changed: Mapping[str, Any]) -> None:
    """422 naming each foreign key (among the changed attributes) that points nowhere."""
    items: list[ErrorItem] = []
    for spec in res.foreign_keys:
        if spec.access == "r":
            continue
        value = record.get(spec.name)
        if spec.ref == POLYMORPHIC:
            type_field = "resource_type"
            if spec.name not in changed and type_field not in changed:
                continue
            if value is None:
                continue
            kind = record.get(type_field)
            if kind is None:
                items.append(ErrorItem("missing", f"{type_field!r} is required with {spec.name!r}",
                                       resource=res.type, field=f"{ROOT}/{type_field}"))
                continue
            target_name = POLYMORPHIC_TYPES.get(str(kind))
        else:
            if spec.name not in changed or value is None:
                continue
            target_name = spec.ref
        target = CATALOG.get(target_name or "")
        if target is None or store.exists(target, value):
            continue
        items.append(ErrorItem(
            "incorrect_value", f"{spec.name!r} points to {target.type} {value}, which does not exist",
            resource=res.type, field=f"{ROOT}/{spec.name}"))
    if items:
        raise ApiError(422, *items)


def create(store: Store, res: Resource, changes: Mapping[str, Any], *, parent: Parent = 0,
           user_id: int, now: str) -> dict[str, Any]:
    """Insert a new record built from validated ``changes``; returns it."""
    if res.id_field == "id":
        new_id: int | None = store.next_id(res)
    else:
        new_id = None
    record = new_record(res, changes, id=new_id, user_id=user_id, now=now)
    check_refs(store, res, record, changes)
    rules.before_save(_save(store, parent, user_id, now), res, record, None)
    if res.id_field != "id" and store.get_raw(res, record[res.id_field], parent) is not None:
        raise error(422, "already_exists",
                    f"{res.id_field} {record[res.id_field]} is already attached here",
                    resource=res.type, field=f"{ROOT}/{res.id_field}")
    store.insert(res, record, parent)
    return record


def update(store: Store, res: Resource, old: Mapping[str, Any], changes: Mapping[str, Any],
           data: Mapping[str, Any], *, parent: Parent = 0, user_id: int,
           now: str) -> dict[str, Any]:
    """Apply validated ``changes`` to ``old``; an update that changes nothing writes nothing."""
    record = merged(res, old, changes, data)
    check_refs(store, res, record, changes)
    rules.before_save(_save(store, parent, user_id, now), res, record, old)
    if record == old:
        return record
    if "updated_at" in record:
        record["updated_at"] = now
    store.replace(res, record, parent)
    return record


def _save(store: Store, parent: Parent, user_id: int, now: str) -> rules.Save:
    def create_dependent(res: Resource, changes: Mapping[str, Any]) -> dict[str, Any]:
        with store.caused_by(SYSTEM):
            return create(store, res, changes, user_id=user_id, now=now)

    return rules.Save(store, parent, user_id, now, create_dependent)


def children_of(res: Resource) -> list[Resource]:
    """Nested resources whose path starts at ``res`` (associated contacts of deals...)."""
    prefix = f"{res.path}/{{"
    return [child for child in RESOURCES if child.path.startswith(prefix)]


def destroy(store: Store, res: Resource, id: Any, parent: Parent = 0) -> bool:
    """Delete a record and what hangs under it (a deal's associated contacts, an
    order's line items), each child feeding Sync like any delete."""
    if not store.delete(res, id, parent):
        return False
    with store.caused_by(SYSTEM):
        for child in children_of(res):
            for child_id in store.child_ids(child, id):
                store.delete(child, child_id, id)
    return True
