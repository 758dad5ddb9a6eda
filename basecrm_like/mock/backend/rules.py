"""Behaviour of particular resources that the catalog cannot express as data.

Each rule runs inside the request's transaction, after the generic checks and
before the record is stored, and may raise a 422. Keep rules to what the real
API does visibly: derived attributes, copied product data, stage defaults.
"""
from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from ...catalog import CATALOG, Resource
from .errors import error
from .store import Parent, Store
from .validation import ROOT


@dataclass(frozen=True)
class Save:
    """The write a rule runs in. ``create`` makes a dependent record (a lead
    conversion's contacts) through the same path as any create, rules included."""

    store: Store
    parent: Parent
    user_id: int
    now: str
    create: Callable[[Resource, Mapping[str, Any]], dict[str, Any]]


Rule = Callable[[Save, Resource, dict[str, Any], "dict[str, Any] | None"], None]


def before_save(save: Save, res: Resource, record: dict[str, Any],
                old: Mapping[str, Any] | None) -> None:
    """Apply the rule of ``res`` (if it has one) to ``record`` before it is stored."""
    func = RULES.get(res.name)
    if func is not None:
        func(save, res, record, None if old is None else dict(old))


def _invalid(res: Resource, name: str, message: str, code: str = "incorrect_value") -> Exception:
    return error(422, code, message, resource=res.type, field=f"{ROOT}/{name}")


def _contact(save: Save, res: Resource, record: dict[str, Any], old: dict[str, Any] | None) -> None:
    if record.get("is_organization"):
        if record.get("contact_id") is not None:
            raise _invalid(res, "contact_id", "an organization cannot belong to another "
                           "organization; contact_id is for individuals")
        record["parent_organization_id"] = None
        return
    parts = [record.get("first_name"), record.get("last_name")]
    record["name"] = " ".join(p for p in parts if p) or record.get("name")
    parent_id = record.get("contact_id")
    if parent_id is not None and (old is None or old.get("contact_id") != parent_id):
        parent = save.store.get(CATALOG["contacts"], parent_id)
        if parent is not None and not parent.get("is_organization"):
            raise _invalid(res, "contact_id", f"contact {parent_id} is not an organization")
    record["parent_organization_id"] = parent_id


def default_stage_id(store: Store) -> int | None:
    """The first stage (by position) of the default pipeline (the first enabled one)."""
    pipelines = store.select(CATALOG["pipelines"],
                             ["coalesce(json_extract(data, '$.disabled'), 0) = 0"], [], "id ASC", 1)
    if not pipelines:
        return None
    pipeline_id = json.loads(pipelines[0])["id"]
    stages = store.select(CATALOG["stages"], ["json_extract(data, '$.pipeline_id') = ?"],
                          [pipeline_id], "json_extract(data, '$.position') ASC, id ASC", 1)
    return int(json.loads(stages[0])["id"]) if stages else None


def dropbox_email(deal_id: int) -> str:
    """The address that files mail under a deal (an .invalid domain: never deliverable)."""
    return f"deal{deal_id}@dropbox.mock.invalid"


def _deal(save: Save, res: Resource, record: dict[str, Any], old: dict[str, Any] | None) -> None:
    store, now = save.store, save.now
    if record.get("stage_id") is None:
        record["stage_id"] = old["stage_id"] if old and old.get("stage_id") else default_stage_id(store)
    if record.get("value") is None:
        record["value"] = "0"
    contact = store.get(CATALOG["contacts"], record["contact_id"]) if record.get("contact_id") else None
    if contact is None:
        record["organization_id"] = None
    elif contact.get("is_organization"):
        record["organization_id"] = contact["id"]
    else:
        record["organization_id"] = contact.get("contact_id")
    if old is None or old.get("stage_id") != record["stage_id"]:
        if old is None or record.get("last_stage_change_at") == old.get("last_stage_change_at"):
            record["last_stage_change_at"] = now
        record["last_stage_change_by_id"] = save.user_id
    if old is None:
        record["dropbox_email"] = dropbox_email(record["id"])
    if record != old:
        record["last_activity_at"] = now


def _task(save: Save, res: Resource, record: dict[str, Any], old: dict[str, Any] | None) -> None:
    now = save.now
    if record.get("completed"):
        if not record.get("completed_at"):
            record["completed_at"] = now
    else:
        record["completed_at"] = None
    due = record.get("due_date")
    record["overdue"] = bool(due and not record.get("completed") and _before(due, now))


def _before(a: str, b: str) -> bool:
    def parse(text: str) -> dt.datetime:
        return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ")
    try:
        return parse(a) < parse(b)
    except ValueError:
        return False


def _line_item(save: Save, res: Resource, record: dict[str, Any],
               old: dict[str, Any] | None) -> None:
    """Name, SKU, description and price come from the product, in the line item's currency."""
    if old is not None:
        return
    product = save.store.get(CATALOG["products"], record["product_id"])
    if product is None:  # check_refs already answered 422; kept for safety
        raise _invalid(res, "product_id", f"product {record['product_id']} does not exist")
    if not product.get("active", True):
        raise _invalid(res, "product_id", f"product {product['id']} is inactive; "
                       "line items can be created only from active products")
    currency = record.get("currency")
    prices = {p.get("currency"): p.get("amount") for p in product.get("prices") or []
              if isinstance(p, dict)}
    if currency not in prices:
        have = ", ".join(str(c) for c in prices) or "none"
        raise _invalid(res, "currency", f"product {product['id']} has no price in {currency} "
                       f"(prices in: {have})")
    record["price"] = prices[currency]
    for name in ("name", "sku", "description"):
        record[name] = product.get(name)


def _lead_conversion(save: Save, res: Resource, record: dict[str, Any],
                     old: dict[str, Any] | None) -> None:
    """Converting a lead makes an individual (and its organization when the lead names one)."""
    if old is not None:
        return
    store = save.store
    lead_id = record["lead_id"]
    done = store.select(res, ["json_extract(data, '$.lead_id') = ?"], [lead_id], "id ASC", 1)
    if done:
        raise _invalid(res, "lead_id", f"lead {lead_id} has already been converted",
                       code="already_exists")
    lead = store.get(CATALOG["leads"], lead_id)
    if lead is None:
        raise _invalid(res, "lead_id", f"lead {lead_id} does not exist")
    contacts = CATALOG["contacts"]
    # owner_id defaults to the converting user; another one asks for that owner
    if record.get("owner_id") not in (None, save.user_id):
        lead = {**lead, "owner_id": record["owner_id"]}
    shared = {k: lead.get(k) for k in ("owner_id", "description", "industry", "website",
                                       "email", "phone", "mobile", "fax", "twitter", "facebook",
                                       "linkedin", "skype", "address", "tags", "custom_fields")
              if lead.get(k) not in (None, [], {})}
    organization_id = None
    if lead.get("organization_name"):
        org = save.create(contacts, {**shared, "is_organization": True,
                                     "name": lead["organization_name"]})
        organization_id = org["id"]
    individual_id = None
    if lead.get("last_name"):
        person = save.create(contacts, {
            **shared, "is_organization": False, "first_name": lead.get("first_name"),
            "last_name": lead["last_name"], "title": lead.get("title"),
            "contact_id": organization_id})
        individual_id = person["id"]
    record["individual_id"] = individual_id
    record["organization_id"] = organization_id
    record["deal_id"] = _conversion_deal(save, lead, record, organization_id or individual_id)
    # request options, not attributes of the conversion
    record.pop("create_deal", None)
    record.pop("owner_id", None)


def _conversion_deal(save: Save, lead: Mapping[str, Any], record: Mapping[str, Any],
                     contact_id: int | None) -> int | None:
    """The deal a conversion opens when asked to (``create_deal``), on the new
    organization, else the individual; named after the lead."""
    if not record.get("create_deal") or contact_id is None:
        return None
    name = lead.get("organization_name") or " ".join(
        part for part in (lead.get("first_name"), lead.get("last_name")) if part)
    deal = save.create(CATALOG["deals"], {
        "name": name, "contact_id": contact_id,
        "owner_id": lead.get("owner_id"),
        "tags": list(lead.get("tags") or [])})
    return int(deal["id"])


#: the resources with a rule, and the rule
RULES: Mapping[str, Rule] = MappingProxyType({
    "contacts": _contact, "deals": _deal, "tasks": _task, "line_items": _line_item,
    "lead_conversions": _lead_conversion,
})
