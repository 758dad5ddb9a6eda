"""Services built from the catalog: one generic implementation, one named class per resource.

Method names and positional arguments follow the official 1.x client
(``list(**params)``, ``create(*args, **kwargs)``, ``retrieve(id)``,
``update(id, *args, **kwargs)``, ``destroy(id)``; nested resources take the
parent id first, e.g. ``line_items.retrieve(order_id, id)``). A class only has
the methods of the actions its resource supports.
"""
from ..support.suggest import did_you_mean as suggest
from .base import _METHOD_ACTIONS as _METHOD_ACTIONS
from .base import RecordFactory, Records, Service, decode_value, encode_value
from .cache import ReferenceCache
from .directory import ServiceDirectory
from .named import (
    SERVICE_CLASSES,
    AccountsService,
    AssociatedContactsService,
    CallOutcomesService,
    CallsService,
    CollaborationsService,
    ContactsService,
    CustomFieldsService,
    DealSourcesService,
    DealsService,
    DealUnqualifiedReasonsService,
    DocumentsService,
    LeadConversionsService,
    LeadSourcesService,
    LeadsService,
    LeadUnqualifiedReasonsService,
    LineItemsService,
    LossReasonsService,
    NotesService,
    OrdersService,
    PipelinesService,
    ProductsService,
    SequenceEnrollmentsService,
    SequencesService,
    SourcesService,
    StagesService,
    TagsService,
    TasksService,
    TextMessagesService,
    UsersService,
    VisitOutcomesService,
    VisitsService,
)
from .pagination import iterate_pages, split_paging

__all__ = [
    "Records",
    "RecordFactory",
    "ReferenceCache",
    "SERVICE_CLASSES",
    "Service",
    "ServiceDirectory",
    "decode_value",
    "encode_value",
    "iterate_pages",
    "split_paging",
    "suggest",
    "AccountsService",
    "AssociatedContactsService",
    "CallOutcomesService",
    "CallsService",
    "CollaborationsService",
    "ContactsService",
    "CustomFieldsService",
    "DealSourcesService",
    "DealUnqualifiedReasonsService",
    "DealsService",
    "DocumentsService",
    "LeadConversionsService",
    "LeadSourcesService",
    "LeadUnqualifiedReasonsService",
    "LeadsService",
    "LineItemsService",
    "LossReasonsService",
    "NotesService",
    "OrdersService",
    "PipelinesService",
    "ProductsService",
    "SequenceEnrollmentsService",
    "SequencesService",
    "SourcesService",
    "StagesService",
    "TagsService",
    "TasksService",
    "TextMessagesService",
    "UsersService",
    "VisitOutcomesService",
    "VisitsService",
]
