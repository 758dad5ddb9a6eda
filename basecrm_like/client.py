"""The Client: the composition root that builds every collaborator and passes it in."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import services
from .bulk import BulkService
from .firehose import FirehoseService
from .http.config import ClientOptions, Configuration
from .http.ratelimit import TokenBucket
from .http.transport import HttpClient
from .models import ModelFactory
from .oauth import TokenManager
from .search import SearchService
from .services import ReferenceCache, ServiceDirectory
from .support.suggest import suggestion
from .sync import SyncService

if TYPE_CHECKING:
    from typing_extensions import Unpack


class Client:
    """Entry point to every resource of the Core API v2 and to the Sync API.

    >>> client = Client(access_token="...")          # or BASECRM_ACCESS_TOKEN
    >>> client.contacts.create(last_name="Lovelace")  # doctest: +SKIP

    Options are those of :class:`~basecrm_like.Configuration`. A client is safe
    to share between threads: it holds one pooled ``requests.Session``.
    """

    # one read-only property per catalog resource, typed for editors and mypy
    accounts: services.AccountsService
    associated_contacts: services.AssociatedContactsService
    calls: services.CallsService
    call_outcomes: services.CallOutcomesService
    collaborations: services.CollaborationsService
    contacts: services.ContactsService
    custom_fields: services.CustomFieldsService
    deals: services.DealsService
    deal_sources: services.DealSourcesService
    deal_unqualified_reasons: services.DealUnqualifiedReasonsService
    documents: services.DocumentsService
    leads: services.LeadsService
    lead_conversions: services.LeadConversionsService
    lead_sources: services.LeadSourcesService
    lead_unqualified_reasons: services.LeadUnqualifiedReasonsService
    line_items: services.LineItemsService
    loss_reasons: services.LossReasonsService
    notes: services.NotesService
    orders: services.OrdersService
    pipelines: services.PipelinesService
    products: services.ProductsService
    sequences: services.SequencesService
    sequence_enrollments: services.SequenceEnrollmentsService
    sources: services.SourcesService
    stages: services.StagesService
    tags: services.TagsService
    tasks: services.TasksService
    text_messages: services.TextMessagesService
    users: services.UsersService
    visits: services.VisitsService
    visit_outcomes: services.VisitOutcomesService

    def __init__(self, **options: Unpack[ClientOptions]) -> None:
        config = Configuration(**options)
        config.validate()
        self.config = config
        self.http_client = HttpClient(
            config,
            limiter=TokenBucket(config.rate_limit) if config.rate_limit else None,
            token_source=None if config.oauth is None
            else TokenManager(config.oauth, config.token_store, config.user),
        )
        #: reference data read by models (``cache_ttl`` seconds, default 300); see basecrm_like.cache
        self.cache = ReferenceCache(ttl=config.cache_ttl)
        self._services = ServiceDirectory(self.http_client, cache=self.cache,
                                          records=ModelFactory())
        self.__sync = SyncService(self.http_client)
        self.__bulk = BulkService(self.http_client, self._services)
        self.__search = SearchService(self.http_client)
        self.__firehose = FirehoseService(self.http_client)

    def __getattr__(self, name: str) -> services.Service:
        # the services declared above: built on first use, shared afterwards
        if name in services.SERVICE_CLASSES and "_services" in self.__dict__:
            return self._services[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}"
                             f"{suggestion(name, services.SERVICE_CLASSES)}")

    def __repr__(self) -> str:
        return f"<basecrm_like.Client base_url={self.config.base_url!r}>"

    @property
    def sync(self) -> SyncService:
        """Low-level Sync API calls (``start``, ``fetch``, ``ack``)."""
        return self.__sync

    @property
    def bulk(self) -> BulkService:
        """Concurrent, rate-limited, resumable imports and exports (:mod:`basecrm_like.bulk`)."""
        return self.__bulk

    @property
    def search(self) -> SearchService:
        """Search API v3: filter trees, sorting, cursors, aggregations (:mod:`basecrm_like.search`)."""
        return self.__search

    @property
    def firehose(self) -> FirehoseService:
        """Firehose API v3 streams of every create, update and delete (:mod:`basecrm_like.firehose`)."""
        return self.__firehose

    def request(self, method: str, path: str, params: dict[str, Any] | None = None,
                body: Any = None) -> Any:
        """Call any endpoint the catalog lacks, with the same envelopes, retries and errors.

        ``path`` is relative to ``/v2`` (``"/collaborations"``); the answer is
        unwrapped like the services' (a Munch, a list of Munch, or bytes).
        """
        _, _, answer = self.http_client.request(method, path, params=params, body=body)
        return answer

