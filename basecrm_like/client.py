"""The Client: the composition root that builds every collaborator and passes it in."""
from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

from . import services
from .bulk import BulkService
from .firehose import FirehoseService
from .http.config import ClientOptions, Configuration
from .http.exchange import ApiResponse
from .http.shared_ratelimit import build_limiter, derived_http_client
from .http.transport import KEEP, HttpClient
from .models import ModelFactory
from .oauth import TokenManager
from .search import SearchService
from .services import ReferenceCache, ServiceDirectory
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
        self._compose(HttpClient(
            config,
            limiter=build_limiter(config.rate_limit, config.rate_limit_store),
            token_source=None if config.oauth is None
            else TokenManager(config.oauth, config.token_store, config.user),
        ), ReferenceCache(ttl=config.cache_ttl))

    def _compose(self, http_client: HttpClient, cache: ReferenceCache,
                 records: ModelFactory | None = None) -> None:
        # sync, bulk, search, firehose and each resource's service are made on first use
        self.config = http_client.config
        self.http_client = http_client
        #: reference data read by models (``cache_ttl`` seconds, default 300); see basecrm_like.cache
        self.cache = cache
        self._records = records or ModelFactory()
        self._services = ServiceDirectory(http_client, cache=cache, records=self._records)

    def with_options(self, *, timeout: Any = KEEP, max_retries: Any = KEEP,
                     headers: dict[str, str] | None = None, rate_limit: Any = KEEP,
                     hooks: dict[str, Any] | None = None) -> Client:
        """A client for some calls with other settings; this one is left unchanged.

        It shares the connection pool, the token (and its refreshes) and the
        reference cache; ``headers`` and ``hooks`` add to this client's. A
        ``rate_limit`` (requests per second; 0 or None for none) draws from
        the same ``rate_limit_store`` when one is set, else from a bucket of
        its own::

            client.with_options(timeout=5, max_retries=0).contacts.retrieve(1)
        """
        http_client = derived_http_client(self.http_client, timeout=timeout,
                                          max_retries=max_retries, headers=headers,
                                          rate_limit=rate_limit, hooks=hooks)
        derived = object.__new__(Client)
        derived._compose(http_client, self.cache, self._records)
        return derived

    def __getattr__(self, name: str) -> services.Service:
        # the services declared above: built on first use, shared afterwards
        if "_services" not in self.__dict__:
            raise AttributeError(name)
        return self._services.attribute_of(self, name)

    def __repr__(self) -> str:
        return f"<basecrm_like.Client base_url={self.config.base_url!r}>"

    @cached_property
    def sync(self) -> SyncService:
        """Low-level Sync API calls (``start``, ``fetch``, ``ack``)."""
        return SyncService(self.http_client)

    @cached_property
    def bulk(self) -> BulkService:
        """Concurrent, rate-limited, resumable imports and exports (:mod:`basecrm_like.bulk`)."""
        return BulkService(self.http_client, self._services)

    @cached_property
    def search(self) -> SearchService:
        """Search API v3: filter trees, sorting, cursors, aggregations (:mod:`basecrm_like.search`)."""
        return SearchService(self.http_client)

    @cached_property
    def firehose(self) -> FirehoseService:
        """Firehose API v3 streams of every create, update and delete (:mod:`basecrm_like.firehose`)."""
        return FirehoseService(self.http_client)

    def request(self, method: str, path: str, params: dict[str, Any] | None = None,
                body: Any = None, raw: bool = False) -> Any:
        """Call any endpoint the catalog lacks, with the same envelopes, retries, rate
        limit, hooks, redaction and errors.

        ``path`` is relative to ``/v2`` (``"/collaborations"``) unless it names
        its version (``"/v2/..."``, ``"/v3/deals"``). The answer is unwrapped like
        the services' (a Munch, a list of Munch, or bytes). ``raw=True`` returns
        the :class:`~basecrm_like.http.exchange.ApiResponse` with the body
        unparsed (``.content``, ``.json()``) and the body sent as given.
        """
        if raw:
            return self.http_client.exchange(method, path, params=params, body=body,
                                             envelope=False, parse=False)
        return self.http_client.exchange(method, path, params=params, body=body).data

    def request_with_response(self, method: str, path: str, params: dict[str, Any] | None = None,
                              body: Any = None) -> ApiResponse:
        """:meth:`request` with the whole answer: ``data`` unwrapped as usual, plus
        status, headers, request id, attempts and ``meta``."""
        return self.http_client.exchange(method, path, params=params, body=body)

