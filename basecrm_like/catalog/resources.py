"""The catalog: one declarative entry per Core API v2 resource.

Both sides read it: the client builds its services, attribute checks and Decimal
coercion from it, and the mock server builds its routes, storage and validation
from it. Adding a resource is one entry here. Pure data: it imports nothing of
the package but the support helpers.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..support.errors import Error
from ..support.suggest import suggestion
from .schema import POLYMORPHIC, POLYMORPHIC_TYPES, Field, RequiredIf, Resource


# -- shorthands ---------------------------------------------------------------------
def rw(name: str, type: str = "string", **kw: Any) -> Field:
    return Field(name, type, "rw", **kw)


def co(name: str, type: str = "string", **kw: Any) -> Field:
    return Field(name, type, "c", **kw)


def ro(name: str, type: str = "string", **kw: Any) -> Field:
    return Field(name, type, "r", **kw)


ID = ro("id", "integer")
CREATOR = ro("creator_id", "integer", ref="users")
CREATED = ro("created_at", "datetime")
UPDATED = ro("updated_at", "datetime")
STAMPS = (CREATED, UPDATED)
OWNER = rw("owner_id", "integer", ref="users")
RESOURCE_REF = (rw("resource_type", enum=("lead", "contact", "deal")),
                rw("resource_id", "integer", ref=POLYMORPHIC))
CRUD = frozenset({"list", "create", "retrieve", "update", "destroy"})
LIST = frozenset({"list"})
ADDRESS_FILTERS = tuple(f"address[{k}]" for k in ("city", "postal_code", "state", "country"))
SOCIAL = tuple(rw(n) for n in ("website", "email", "phone", "mobile", "fax", "twitter",
                                "facebook", "linkedin", "skype"))


def _named(name: str, type_: str, path: str, actions: frozenset[str], *extra: Field,
           **kw: Any) -> Resource:
    """The many small "id + name" resources: sources, reasons, outcomes."""
    writable = "name" if actions - {"list", "retrieve"} else "r"
    name_field = rw("name") if writable == "name" else ro("name")
    return Resource(
        name=name, type=type_, path=path, actions=actions,
        fields=(ID, name_field, *extra, CREATOR, *STAMPS),
        filters=("ids", "name") if actions != LIST else ("ids",),
        sort_by=("id", "name", "created_at", "updated_at"),
        required=("name",) if writable == "name" else (),
        reference_data=True, **kw,
    )


RESOURCES: tuple[Resource, ...] = (
    Resource(
        name="accounts", type="account", path="/accounts", actions=frozenset({"self"}),
        fields=(ID, rw("name"), rw("currency"), rw("time_format", enum=("12H", "24H")),
                rw("timezone"), rw("phone"), rw("subdomain"), *STAMPS),
        synced=False, description="The account the token belongs to.",
    ),
    Resource(
        name="associated_contacts", type="associated_contact",
        path="/deals/{deal_id}/associated_contacts",
        actions=frozenset({"list", "create", "destroy"}),
        fields=(co("contact_id", "integer", ref="contacts"), rw("role", default="involved"),
                *STAMPS),
        required=("contact_id",), id_field="contact_id", synced=False,
        description="Contacts attached to a deal besides its primary contact.",
    ),
    Resource(
        name="calls", type="call", path="/calls", actions=CRUD,
        fields=(ID, rw("user_id", "integer", ref="users"), rw("summary"), rw("recording_url"),
                rw("outcome_id", "integer", ref="call_outcomes"), rw("duration", "integer"),
                rw("phone_number"), rw("incoming", "boolean", default=False),
                rw("missed", "boolean", default=False), rw("external_id"),
                rw("resource_type", enum=("lead", "contact")),
                rw("resource_id", "integer", ref=POLYMORPHIC),
                rw("associated_deal_ids", "integer_list"), rw("made_at", "datetime"), UPDATED),
        filters=("ids", "resource_type", "resource_id"),
        sort_by=(), default_sort="made_at:desc",
        required=("phone_number", "incoming"),
    ),
    Resource(
        name="call_outcomes", type="call_outcome", path="/call_outcomes", actions=LIST,
        fields=(ID, ro("name"), CREATOR, *STAMPS), reference_data=True,
        description="Always sorted by id ascending; only page and per_page.",
    ),
    Resource(
        name="collaborations", type="collaboration", path="/collaborations",
        actions=frozenset({"list", "create", "retrieve", "destroy"}),
        fields=(ID, CREATOR,
                co("resource_type", enum=("lead", "contact", "sales_account", "deal")),
                co("resource_id", "integer", ref=POLYMORPHIC),
                co("collaborator_id", "integer", ref="users"), *STAMPS),
        filters=("ids", "creator_id", "resource_type", "resource_id"),
        required=("resource_type", "resource_id", "collaborator_id"), synced=False,
        description="Users following a lead, contact or deal besides its owner.",
    ),
    Resource(
        name="contacts", type="contact", path="/contacts", actions=CRUD | {"upsert"},
        fields=(ID, CREATOR, OWNER, co("is_organization", "boolean", default=False),
                rw("contact_id", "integer", ref="contacts"), ro("parent_organization_id", "integer"),
                rw("name"), rw("first_name"), rw("last_name"), rw("title"), rw("description"),
                rw("industry"), *SOCIAL, rw("address", "address"),
                rw("billing_address", "address"), rw("shipping_address", "address"),
                rw("customer_status", enum=("none", "current", "past")),
                rw("prospect_status", enum=("none", "current", "lost")),
                rw("tags", "tags"), rw("custom_fields", "custom_fields"), *STAMPS),
        filters=("ids", "creator_id", "owner_id", "contact_id", "is_organization", "name",
                 "first_name", "last_name", "email", "phone", "mobile", "customer_status",
                 "prospect_status", *ADDRESS_FILTERS, "includes"),
        sort_by=("id", "name", "first_name", "last_name", "created_at", "updated_at"),
        default_sort="last_name:asc",
        required_if=(RequiredIf("is_organization", True, ("name",)),
                     RequiredIf("is_organization", False, ("last_name",))),
        description="People and organizations.",
    ),
    Resource(
        name="custom_fields", type="custom_field", path="/{resource_type}/custom_fields",
        actions=LIST,
        fields=(ID, ro("name"), ro("type", enum=(
            "address", "bool", "date", "datetime", "email", "list", "multi_select_list",
            "number", "phone", "string", "text", "url")),
                ro("choices", "object_list"), ro("for_company", "boolean"),
                ro("for_contact", "boolean"), *STAMPS),
        filters=("ids",), reference_data=True, synced=False,
        description="Custom field definitions per resource type (lead, contact, deal, "
                    "prospect_and_customer), e.g. GET /v2/deal/custom_fields.",
    ),
    Resource(
        name="deals", type="deal", path="/deals", actions=CRUD | {"upsert"},
        fields=(ID, CREATOR, OWNER, rw("name"), rw("value", "decimal", default="0"),
                rw("currency", default="USD"), rw("hot", "boolean", default=False),
                rw("stage_id", "integer", ref="stages"),
                rw("contact_id", "integer", ref="contacts"),
                ro("organization_id", "integer", ref="contacts"),
                rw("source_id", "integer", ref="deal_sources"),
                rw("loss_reason_id", "integer", ref="loss_reasons"),
                rw("unqualified_reason_id", "integer", ref="deal_unqualified_reasons"),
                ro("dropbox_email"), rw("last_stage_change_at", "datetime"),
                ro("last_stage_change_by_id", "integer", ref="users"),
                ro("last_activity_at", "datetime"), rw("estimated_close_date", "date"),
                rw("customized_win_likelihood", "integer"), rw("added_at", "datetime"),
                rw("added_on", "date"),
                rw("tags", "tags"), rw("custom_fields", "custom_fields"), *STAMPS),
        filters=("ids", "creator_id", "owner_id", "contact_id", "organization_id", "stage_id",
                 "source_id", "hot", "estimated_close_date", "name", "includes"),
        sort_by=("id", "name", "value", "created_at", "updated_at", "estimated_close_date",
                 "last_stage_change_at"),
        required=("name", "contact_id"),
        description="Sales opportunities; value is an exact decimal.",
    ),
    _named("deal_sources", "deal_source", "/deal_sources", CRUD,
           rw("resource_type", enum=("deal",), default="deal")),
    _named("deal_unqualified_reasons", "deal_unqualified_reason", "/deal_unqualified_reasons",
           CRUD),
    Resource(
        name="documents", type="document", path="/documents",
        actions=frozenset({"list", "retrieve"}),
        fields=(ID, ro("resource_type", enum=("lead", "contact", "sales_account", "deal")),
                ro("resource_id", "integer", ref=POLYMORPHIC), ro("name"), ro("content_type"),
                ro("size", "integer"), ro("download_url"), CREATOR, *STAMPS),
        filters=("ids", "resource_type", "resource_id"), synced=False,
        description="Files attached to leads, contacts and deals (read-only through the API).",
    ),
    Resource(
        name="leads", type="lead", path="/leads", actions=CRUD | {"upsert"},
        fields=(ID, CREATOR, OWNER, rw("first_name"), rw("last_name"), rw("organization_name"),
                rw("title"), rw("description"), rw("industry"), *SOCIAL,
                rw("source_id", "integer", ref="lead_sources"),
                rw("unqualified_reason_id", "integer", ref="lead_unqualified_reasons"),
                rw("status", default="New"), rw("address", "address"), rw("tags", "tags"),
                rw("custom_fields", "custom_fields"), *STAMPS),
        filters=("ids", "creator_id", "owner_id", "source_id", "first_name", "last_name",
                 "organization_name", "email", "phone", "mobile", "status", *ADDRESS_FILTERS),
        sort_by=("id", "first_name", "last_name", "organization_name", "created_at",
                 "updated_at"),
        default_sort="updated_at:asc",
        required_any=(("last_name", "organization_name"),),
        description="Prospects not yet qualified.",
    ),
    Resource(
        name="lead_conversions", type="lead_conversion", path="/lead_conversions",
        actions=frozenset({"list", "create"}),
        fields=(ID, co("lead_id", "integer", ref="leads"),
                co("owner_id", "integer", ref="users"), co("create_deal", "boolean", default=False),
                ro("individual_id", "integer", ref="contacts"),
                ro("organization_id", "integer", ref="contacts"),
                ro("deal_id", "integer", ref="deals"), CREATOR, CREATED),
        filters=("lead_id", "individual_id", "organization_id", "deal_id", "cursor"),
        default_sort="id:desc", required=("lead_id",), max_per_page=200, max_page=50,
        synced=False,
        description="Records of leads converted into contacts and deals.",
    ),
    _named("lead_sources", "lead_source", "/lead_sources", CRUD,
           rw("resource_type", enum=("lead",), default="lead")),
    Resource(
        name="lead_unqualified_reasons", type="lead_unqualified_reason",
        path="/lead_unqualified_reasons", actions=LIST,
        fields=(ID, ro("name"), CREATOR, *STAMPS), reference_data=True,
    ),
    Resource(
        name="line_items", type="line_item", path="/orders/{order_id}/line_items",
        actions=frozenset({"list", "create", "retrieve", "destroy"}),
        fields=(ID, co("product_id", "integer", ref="products"), rw("value", "decimal"),
                rw("variation", "decimal", default="0"), co("currency"),
                rw("quantity", "integer", default=1), ro("name"), ro("sku"), ro("description"),
                ro("price", "decimal"), *STAMPS),
        filters=("ids", "quantity", "value"),
        sort_by=("id", "value", "quantity", "created_at", "updated_at"),
        required=("product_id", "value", "currency"),
        description="Products on an order; created from a product and never updated.",
    ),
    _named("loss_reasons", "loss_reason", "/loss_reasons", CRUD),
    Resource(
        name="notes", type="note", path="/notes", actions=CRUD,
        fields=(ID, CREATOR, rw("content"), *RESOURCE_REF,
                rw("is_important", "boolean", default=False), rw("tags", "tags"),
                rw("type", enum=("regular", "restricted"), default="regular"), *STAMPS),
        filters=("ids", "creator_id", "q", "resource_type", "resource_id", "includes"),
        sort_by=("id", "resource_type", "created_at", "updated_at"),
        default_sort="updated_at:asc",
        required=("content", "resource_type", "resource_id"),
    ),
    Resource(
        name="orders", type="order", path="/orders", actions=CRUD,
        fields=(ID, co("deal_id", "integer", ref="deals"), rw("discount", "integer", default=0),
                *STAMPS),
        filters=("ids", "deal_id"), sort_by=("id", "created_at", "updated_at"),
        required=("deal_id",),
    ),
    Resource(
        name="pipelines", type="pipeline", path="/pipelines", actions=LIST,
        fields=(ID, ro("name"), ro("disabled", "boolean", default=False), *STAMPS),
        filters=("ids", "name", "disabled"), reference_data=True,
    ),
    Resource(
        name="products", type="product", path="/products", actions=CRUD,
        fields=(ID, rw("name"), rw("description"), rw("sku"), rw("active", "boolean", default=True),
                rw("cost", "decimal"), rw("cost_currency"),
                rw("prices", "object_list", decimal_keys=("amount",)),
                rw("max_discount", "integer"), rw("max_markup", "integer"), *STAMPS),
        filters=("ids", "name", "sku", "active"),
        sort_by=("id", "name", "sku", "created_at", "updated_at"),
        required=("name",),
    ),
    Resource(
        name="sequences", type="sequence", path="/sequences", actions=LIST,
        fields=(ID, ro("name"), CREATOR, ro("steps_total", "integer"), ro("steps", "object_list"),
                *STAMPS),
        filters=("ids", "name"), reference_data=True, synced=False,
    ),
    Resource(
        name="sequence_enrollments", type="sequence_enrollment", path="/sequence_enrollments",
        actions=frozenset({"list", "create", "retrieve", "update"}),
        fields=(ID, co("sequence_id", "integer", ref="sequences"),
                co("resource_type", enum=("lead", "contact")),
                co("resource_id", "integer", ref=POLYMORPHIC),
                rw("state", enum=("active", "finished"), default="active"),
                ro("steps", "object_list"), *STAMPS),
        filters=("ids", "sequence_id", "resource_type", "resource_id", "state"),
        required=("sequence_id", "resource_type", "resource_id"), synced=False,
        description="A lead or contact going through a sequence (Reach add-on).",
    ),
    _named("sources", "source", "/sources", CRUD,
           rw("resource_type", enum=("deal", "lead"), default="deal")),
    Resource(
        name="stages", type="stage", path="/stages", actions=LIST,
        fields=(ID, ro("name"), ro("category", enum=("incoming", "in_progress", "won", "lost",
                                                     "unqualified")),
                ro("active", "boolean", default=True), ro("likelihood", "integer"),
                ro("pipeline_id", "integer", ref="pipelines"), ro("position", "integer"),
                *STAMPS),
        filters=("ids", "pipeline_id", "name", "active"),
        sort_by=("id", "position", "pipeline_id", "name", "category", "likelihood"),
        reference_data=True,
    ),
    Resource(
        name="tags", type="tag", path="/tags", actions=CRUD,
        fields=(ID, CREATOR, rw("name"), rw("resource_type", enum=("contact", "lead", "deal")),
                *STAMPS),
        filters=("ids", "creator_id", "name", "resource_type"),
        sort_by=("id", "name", "created_at", "updated_at"), default_sort="updated_at:asc",
        required=("name", "resource_type"),
    ),
    Resource(
        name="tasks", type="task", path="/tasks", actions=CRUD,
        fields=(ID, CREATOR, OWNER, rw("content"), rw("due_date", "datetime"),
                rw("remind_at", "datetime"), rw("completed", "boolean", default=False),
                ro("completed_at", "datetime"), ro("overdue", "boolean", default=False),
                *RESOURCE_REF, *STAMPS),
        filters=("ids", "creator_id", "owner_id", "completed", "overdue", "remind", "q", "type",
                 "resource_type", "resource_id"),
        sort_by=("id", "resource_type", "completed_at", "due_date", "created_at", "updated_at"),
        default_sort="updated_at:asc", required=("content",),
    ),
    Resource(
        name="text_messages", type="text_message", path="/text_messages",
        actions=frozenset({"list", "retrieve"}),
        fields=(ID, ro("content"), ro("incoming", "boolean"), ro("sent_at", "datetime"),
                ro("resource_type", enum=("lead", "contact", "none")),
                ro("resource_id", "integer", ref=POLYMORPHIC), ro("resource_phone_number"),
                ro("user_id", "integer", ref="users"), ro("user_phone_number"),
                ro("associated_deal_ids", "integer_list"), *STAMPS),
        filters=("ids", "resource_type", "resource_id"), default_sort="id:desc",
        sort_by=("id", "sent_at"), synced=False,
    ),
    Resource(
        name="users", type="user", path="/users", actions=frozenset({"list", "retrieve", "self"}),
        fields=(ID, ro("name"), ro("email"), ro("role", enum=("user", "admin")),
                ro("roles", "object_list"),
                ro("status", enum=("active", "inactive"), default="active"),
                ro("invited", "boolean", default=True),
                ro("confirmed", "boolean", default=True), ro("phone_number"), ro("timezone"),
                ro("team_name"), ro("group", "object"), ro("reports_to", "integer", ref="users"),
                ro("zendesk_user_id"), ro("identity_type", enum=("person", "integration")),
                ro("deleted_at", "datetime"), *STAMPS),
        filters=("ids", "name", "email", "role", "status", "confirmed", "zendesk_user_ids"),
        sort_by=("id", "name", "email", "created_at", "updated_at"), reference_data=True,
    ),
    Resource(
        name="visits", type="visit", path="/visits", actions=LIST,
        fields=(ID, CREATOR, ro("outcome_id", "integer", ref="visit_outcomes"),
                ro("resource_type", enum=("lead", "contact")),
                ro("resource_id", "integer", ref=POLYMORPHIC), ro("resource_address"),
                ro("summary"), ro("visited_at", "datetime"),
                ro("rep_location_verification_status",
                   enum=("verified", "resource_location_too_far", "location_unknown",
                         "location_services_disabled")), *STAMPS),
        filters=("outcome_id", "creator_id", "resource_id", "resource_type",
                 "rep_location_verification_status"),
        sort_by=("id", "visited_at"), synced=False,
    ),
    Resource(
        name="visit_outcomes", type="visit_outcome", path="/visit_outcomes", actions=LIST,
        fields=(ID, ro("name"), *STAMPS), reference_data=True,
    ),
)

CATALOG: dict[str, Resource] = {r.name: r for r in RESOURCES}
BY_TYPE: dict[str, Resource] = {r.type: r for r in RESOURCES}


class UnknownResourceError(Error, KeyError):
    """A resource name the catalog lacks; also a ``KeyError``, as a catalog miss always was."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def get(name: str) -> Resource:
    """The entry for a resource name (``"contacts"``), with a clear error otherwise."""
    try:
        return CATALOG[name]
    except KeyError:
        raise UnknownResourceError(f"no resource {name!r} in the catalog"
                                   f"{suggestion(name, CATALOG)}") from None


def by_type(type_: str) -> Resource | None:
    """The entry for a singular type (``"deal"``), as used in ``meta.type`` and Sync."""
    return BY_TYPE.get(type_)


def reverse_links(target: str) -> Iterator[tuple[Resource, Field]]:
    """Resources with a listable foreign key to ``target``: ``contact.deals`` and such."""
    for res in RESOURCES:
        if "list" not in res.actions or res.parent_params:
            continue
        for f in res.foreign_keys:
            if f.name in res.filters and (
                f.ref == target or (f.ref == POLYMORPHIC and target in POLYMORPHIC_TYPES.values())
            ):
                yield res, f
