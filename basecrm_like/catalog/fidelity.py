"""Where each catalog resource was checked against public sources, and what is still a guess.

Pure data, read by the mock guide's table (``docs/fidelity_table.py``) and by a
test that keeps it in step with the catalog: every resource has an entry, and
every attribute named as a guess is one of the resource's attributes.

``sources`` name the public pages the attributes were compared with: the Sell
API reference (``ref:resources/<page>``), its Firehose attribute lists
(``ref:firehose/<page>``; these list each resource's attributes as the API
holds them) and the official clients' models (``clients``). ``guessed`` are
attributes that no source confirms; the mock serves them because public
integrations read them, and they may differ on a real account.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

REFERENCE = "https://developer.zendesk.com/api-reference/sales-crm/"


@dataclass(frozen=True)
class Checked:
    sources: tuple[str, ...]
    guessed: tuple[str, ...] = ()
    note: str = ""


CLIENTS = "clients"

FIDELITY: Mapping[str, Checked] = {
    "accounts": Checked(("ref:resources/accounts", CLIENTS),
                        note="subdomain added from the reference; the mock serves it as null, "
                             "as the reference documents for legacy accounts"),
    "associated_contacts": Checked(("ref:firehose/associated-contacts", CLIENTS),
                                   note="the Firehose record also has id and deal_id"),
    "calls": Checked(("ref:resources/calls", "ref:firehose/calls", CLIENTS)),
    "call_outcomes": Checked(("ref:resources/call-outcomes", CLIENTS)),
    "collaborations": Checked(("ref:resources/collaborations", "basecrm-java")),
    "contacts": Checked(("ref:firehose/contacts", "ref:requests", CLIENTS),
                        note="prospect_status 'lost' is not among the documented values"),
    "custom_fields": Checked(("ref:search/custom-fields-mapping", CLIENTS),
                             guessed=("choices", "for_company", "for_contact")),
    "deals": Checked(("ref:firehose/deals", CLIENTS),
                     guessed=("added_at", "last_activity_at"),
                     note="added_at and last_activity_at appear in public clients' answers"),
    "deal_sources": Checked(("ref:firehose/sources", CLIENTS)),
    "deal_unqualified_reasons": Checked(("ref:resources/deal-unqualified-reasons",
                                         "ref:firehose/unqualified-reasons", CLIENTS),
                                        note="the Firehose record also has resource_type "
                                             "(always deal); not served"),
    "documents": Checked((CLIENTS,), guessed=("name", "content_type", "size", "download_url"),
                         note="no reference page for documents was found in the searched "
                              "corpus"),
    "leads": Checked(("ref:firehose/leads", CLIENTS), guessed=("unqualified_reason_id",)),
    "lead_conversions": Checked(("ref:resources/lead-conversions",),
                                guessed=("owner_id", "create_deal")),
    "lead_sources": Checked(("ref:firehose/sources", CLIENTS)),
    "lead_unqualified_reasons": Checked(("ref:resources/lead-unqualified-reasons", CLIENTS)),
    "line_items": Checked(("ref:firehose/line-items", CLIENTS),
                          note="the Firehose record also has deal_id and order_id (the order is "
                               "in the path); not served. No resources page was found in the "
                               "searched corpus"),
    "loss_reasons": Checked(("ref:resources/loss-reasons", "ref:firehose/loss-reasons",
                             CLIENTS),
                            note="the Firehose record also has resource_type (always deal); "
                                 "not served"),
    "notes": Checked(("ref:resources/notes", "ref:firehose/notes", CLIENTS)),
    "orders": Checked(("ref:firehose/orders", CLIENTS),
                      note="no resources page for orders was found in the searched corpus"),
    "pipelines": Checked(("ref:resources/pipelines",),
                         note="the disabled filter comes from the reference"),
    "products": Checked(("ref:firehose/products", CLIENTS),
                        note="no resources page for products was found in the searched corpus"),
    "sequences": Checked(("ref:resources/sequences", CLIENTS),
                         note="creator_id, steps_total and steps added from the reference; the "
                              "mock's seeded sequences leave them null"),
    "sequence_enrollments": Checked(("ref:resources/sequence-enrollments",),
                                    guessed=("state",),
                                    note="the reference describes the saved steps and the "
                                         "active/finished values; the state attribute's name "
                                         "is not confirmed"),
    "sources": Checked(("ref:firehose/sources", CLIENTS)),
    "stages": Checked(("ref:resources/stages", "ref:firehose/stages", CLIENTS),
                      note="sort_by gained pipeline_id, name, category and likelihood from "
                           "the reference"),
    "tags": Checked(("ref:resources/tags", CLIENTS)),
    "tasks": Checked(("ref:resources/tasks", "ref:firehose/tasks", CLIENTS)),
    "text_messages": Checked(("ref:resources/text-messages", CLIENTS)),
    "users": Checked(("ref:resources/users", "ref:firehose/users", CLIENTS, "basecrm-java"),
                     guessed=("identity_type",)),
    "visits": Checked(("ref:resources/visits", CLIENTS),
                      note="the reference caps page at 100; the mock does not"),
    "visit_outcomes": Checked(("ref:firehose/visits", CLIENTS),
                              note="only the Firehose visit page (its outcome object: id, "
                                   "name) was found in the searched corpus"),
}


def source_url(source: str) -> str:
    """A source as a link target (``ref:...`` pages) or as it is written."""
    return REFERENCE + source[4:] if source.startswith("ref:") else source
