"""Which related records ``?includes=`` loads, per resource: pure data.

The public reference documents the parameter once, for
``GET /v2/contacts/{id}?includes=organization`` (the requests page: "return
those resources as well"), and lets each endpoint list the names it supports.
Deals take ``associated_contacts`` (public clients send it on deal lists and
retrievals). Notes list the parameter as "not supported at the moment", and no
other endpoint documents it, so every other use is refused with the API's 400.

How the real API lays the included records out is not shown anywhere. Our
choice: each included name becomes one more attribute of the record's
``data``, holding the related record (``null`` when there is none) or the list
of related records, in the same shape as their own ``data``.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .schema import Resource


@dataclass(frozen=True)
class Include:
    """One name ``includes`` accepts on a resource.

    ``target`` is the catalog resource of the included records. A single record
    (``many=False``) is the ``target`` whose id is in the attribute ``via``; a
    list (``many=True``) is every ``target`` nested under this record (their
    path's parent is the record's id).
    """

    name: str
    target: str
    many: bool
    via: str = ""
    source: str = ""


INCLUDES: Mapping[str, tuple[Include, ...]] = {
    "contacts": (Include("organization", "contacts", many=False, via="contact_id",
                         source="reference, Requests: GET /v2/contacts/2?includes=organization"),),
    "deals": (Include("associated_contacts", "associated_contacts", many=True,
                      source="public clients: GET /v2/deals[/{id}]?includes=associated_contacts"),),
}

#: resources whose documentation lists ``includes`` but supports no name yet
NOT_SUPPORTED: Mapping[str, str] = {
    "notes": "official clients' documentation: \"Not supported at the moment\"",
}


def includes_of(res: Resource) -> tuple[Include, ...]:
    """The names ``?includes=`` accepts on ``res`` (empty: the parameter is refused)."""
    return INCLUDES.get(res.name, ())


def include_names(res: Resource) -> tuple[str, ...]:
    return tuple(inc.name for inc in includes_of(res))
