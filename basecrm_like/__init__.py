"""basecrm_like: a Python SDK for the Base CRM (Zendesk Sell) Core API v2, Sync API and OAuth2.

A drop-in for the official ``basecrm`` 1.x package::

    import basecrm_like as basecrm

    client = basecrm.Client(access_token="<64-character personal access token>")
    coffeeshop = client.contacts.create(name="Coffee Shop", is_organization=True)
    deal = client.deals.create(name="Chemex", contact_id=coffeeshop.id, value="99.90")
"""
from typing import TYPE_CHECKING

from .client import Client
from .http.config import Configuration
from .http.encoding import Coercion
from .http.errors import (
    BaseError,
    ConfigurationError,
    ConnectionError,
    Error,
    RateLimitError,
    RequestError,
    ResourceError,
    ServerError,
    TimeoutError,
    UnknownAttributeError,
)
from .http.transport import HttpClient
from .services import (
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
    Service,
    SourcesService,
    StagesService,
    TagsService,
    TasksService,
    TextMessagesService,
    UsersService,
    VisitOutcomesService,
    VisitsService,
)
from .sync import Sync, SyncService
from .version import VERSION

if TYPE_CHECKING:
    from .async_client import AsyncClient


def __getattr__(name: str) -> object:
    # AsyncClient needs the async extra (httpx): imported when first asked for
    if name == "AsyncClient":
        from .async_client import AsyncClient
        return AsyncClient
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = [
    "VERSION", "Error", "Client", "AsyncClient", "Coercion", "Configuration", "HttpClient", "Service", "Sync", "SyncService",
    "BaseError", "ConfigurationError", "ConnectionError", "RateLimitError", "RequestError",
    "ResourceError", "ServerError", "TimeoutError", "UnknownAttributeError",
    "AccountsService", "AssociatedContactsService", "CallOutcomesService", "CallsService",
    "CollaborationsService", "ContactsService", "CustomFieldsService", "DealSourcesService",
    "DealsService",
    "DealUnqualifiedReasonsService", "DocumentsService", "LeadConversionsService",
    "LeadSourcesService", "LeadsService", "LeadUnqualifiedReasonsService", "LineItemsService",
    "LossReasonsService", "NotesService", "OrdersService", "PipelinesService", "ProductsService",
    "SequenceEnrollmentsService", "SequencesService", "SourcesService", "StagesService",
    "TagsService", "TasksService", "TextMessagesService", "UsersService", "VisitOutcomesService",
    "VisitsService",
]
