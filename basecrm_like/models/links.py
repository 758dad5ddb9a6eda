"""Links between records, named from the catalog: ``deal.stage``, ``contact.deals``."""
from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass

from .. import catalog
from ..catalog import POLYMORPHIC, Field, Resource


@dataclass(frozen=True)
class Link:
    """A foreign key seen as an object: ``deal.stage`` reads ``stage_id``."""

    name: str
    #: the foreign key attribute on this resource
    field: str
    #: the catalog name of the target; None when ``resource_type`` decides
    target: str | None


@dataclass(frozen=True)
class ReverseLink:
    """Records of another resource that point at this one: ``contact.deals``."""

    name: str
    #: the catalog name of the records listed
    source: str
    #: the filter naming this record (None for a nested path)
    field: str | None = None
    #: also filter on ``resource_type=<this type>``
    polymorphic: bool = False
    #: listed under this record's path (``/deals/{deal_id}/associated_contacts``)
    nested: bool = False


# -- the naming rules ---------------------------------------------------------------
def _stem(field_name: str) -> str:
    return field_name[:-3] if field_name.endswith("_id") else field_name


def forward_links(res: Resource, reserved: Container[str] = ()) -> dict[str, Link]:
    """The links of a resource's foreign keys (targets under a nested path are left out);
    ``reserved`` names (the record class's own API) are never used."""
    links: dict[str, Link] = {}
    for f in res.foreign_keys:
        if f.ref == POLYMORPHIC:
            links[_stem(f.name)] = Link(_stem(f.name), f.name, None)
        elif f.ref is not None and not catalog.get(f.ref).parent_params:
            name = _stem(f.name) if f.name.endswith("_id") \
                else f"{f.name}_{catalog.get(f.ref).type}"
            links[name] = Link(name, f.name, f.ref)
    return {name: link for name, link in links.items() if not _taken(res, name, reserved)}


def reverse_links(target: Resource, reserved: Container[str] = ()) -> dict[str, ReverseLink]:
    """The collections of records pointing at ``target``, named by the rules of the
    :mod:`models <basecrm_like.models>` docs."""
    by_source: dict[str, list[tuple[Resource, Field]]] = {}
    for res, f in catalog.reverse_links(target.name):
        if f.ref == POLYMORPHIC:
            kind = res.field("resource_type")
            if kind is None or "resource_type" not in res.filters or (
                    kind.enum and target.type not in kind.enum):
                continue
        by_source.setdefault(res.name, []).append((res, f))
    out: dict[str, ReverseLink] = {}
    for source, pairs in by_source.items():
        names = [f.name for _, f in pairs]
        own = f"{target.type}_id"
        primary = own if own in names else next(
            (f.name for _, f in pairs if f.ref == POLYMORPHIC), names[0] if len(names) == 1 else None)
        for _, f in pairs:
            name = source if f.name == primary else f"{_stem(f.name)}_{source}"
            out[name] = ReverseLink(name, source, f.name, polymorphic=f.ref == POLYMORPHIC)
    for res in catalog.RESOURCES:
        if "list" in res.actions and len(res.parent_params) == 1 \
                and res.path.split("/{", 1)[0] == target.path:
            out[res.name] = ReverseLink(res.name, res.name, nested=True)
    forward = forward_links(target, reserved)
    return {name: rl for name, rl in out.items()
            if not _taken(target, name, reserved) and name not in forward}


def _taken(res: Resource, name: str, reserved: Container[str]) -> bool:
    return name == "id" or res.field(name) is not None or name in reserved
