"""``client.search``: queries against the Search API v3 over the client's HTTP core.

The service sends through the same :class:`~basecrm_like.http.transport.HttpClient`
as every other service, so retries, rate limiting, OAuth renewal, logging and
typed errors apply unchanged. Searches are lazy: building one sends nothing;
:meth:`SearchQuery.page`, :meth:`~SearchQuery.iterate`, :meth:`~SearchQuery.aggregate`
and :meth:`SearchService.batch` send.

Answers are decoded with every JSON number that has a fraction or exponent read as
a Decimal first: attributes the catalog marks as decimals (``decimal_value``) stay
exact to the last digit, the other numbers become floats.
"""
from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from munch import Munch

from ..catalog.search import SEARCHABLE, WITH_SCHEMA, search_attributes, v2_to_v3
from ..http.answers import EXCERPT, is_json_type
from ..http.errors import InvalidArgumentError, RequestError, UnexpectedResponseError
from ..http.exchange import ApiResponse
from ..http.plans import Call, Plan, run_plan
from ..http.raw import RawResponses
from ..http.transport import HttpClient
from ..support.decimals import parse_decimal
from .query import Condition, SortSpec, Wire, as_condition, sort_wire

if TYPE_CHECKING:
    from typing_extensions import Self

T = TypeVar("T")

AGGREGATIONS = ("min", "max", "sum", "avg", "count", "terms")
ITERATE_PER_PAGE = 200
#: the actions of ``query.with_raw_response`` and ``client.search.with_raw_response``
QUERY_ACTIONS = frozenset({"page", "count", "aggregate"})
SERVICE_ACTIONS = frozenset({"batch"})


class SearchQueryError(RequestError):
    """One query of a search was refused (``successful: false``); the others may have run."""


@dataclass
class SearchPage:
    """One page of results. ``next_cursor`` is None on the last page."""

    items: list[Munch]
    count: int
    total_count: int | None
    next_cursor: str | None
    prev_cursor: str | None
    aggregations: Munch
    meta: Munch

    def __iter__(self) -> Iterator[Munch]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


@dataclass
class BatchResult:
    """The outcome of one query of :meth:`SearchService.batch`: a page or an error."""

    query: QueryCore
    page: SearchPage | None = None
    error: SearchQueryError | None = None

    @property
    def successful(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class QueryCore:
    """What a search is, whichever client sends it: its options, its wire form and each
    action as a plan (:mod:`basecrm_like.http.plans`) that :class:`SearchQuery` runs over
    the blocking client and :class:`~basecrm_like.search.async_service.AsyncSearchQuery`
    awaits."""

    service: SearchCore[Any] = field(repr=False)
    resource: str
    where: Condition | None = None
    projection: tuple[str, ...] = ()
    sort: tuple[str | tuple[str, str], ...] = ()
    per_page: int | None = None
    page_number: int | None = None
    offset: int | None = None
    aggregations: tuple[tuple[str, str | None], ...] = ()
    hits: bool = True

    @property
    def with_raw_response(self) -> RawResponses:
        """:meth:`page`, :meth:`count` and :meth:`aggregate` answering with the whole
        :class:`~basecrm_like.http.exchange.ApiResponse` of the search request (status,
        headers, ``request_id``), their usual result as ``data``."""
        return RawResponses(self, QUERY_ACTIONS)

    def but(self, **changes: Any) -> Self:
        """A copy with some options changed."""
        return replace(self, **changes)

    def _names(self) -> list[str]:
        names = list(self.projection) + [entry if isinstance(entry, str) else entry[0]
                                         for entry in self.sort]
        names += [name for name, _ in self.aggregations]
        if self.where is not None:
            names += list(self.where.attributes())
        return names

    # -- the actions as plans: written once, run or awaited by the subclasses ---------------
    def _wire_plan(self, cursor: str | None = None) -> Plan[Wire]:
        resolve = yield from self.service._resolver_plan(self.resource, self._names())
        body: Wire = {}
        if self.projection:
            body["projection"] = [{"name": resolve(name)} for name in self.projection]
        if self.where is not None:
            body["filter"] = self.where.to_wire(resolve)
        if self.sort:
            body["sort"] = sort_wire(list(self.sort), resolve)
        data: Wire = {"query": body}
        if self.aggregations:
            data["aggregations"] = [
                {"attribute": {"name": resolve(name)}, **({"aggregation_type": kind} if kind
                                                          else {})}
                for name, kind in self.aggregations]
        if not self.hits:
            data["hits"] = False
        for key, value in (("per_page", self.per_page), ("page", self.page_number),
                           ("offset", self.offset), ("cursor", cursor)):
            if value is not None:
                data[key] = value
        return data

    def _page_plan(self, cursor: str | None = None) -> Plan[SearchPage]:
        result = (yield from self.service._send_plan([(self, cursor)]))[0]
        if result.error is not None:
            raise result.error
        assert result.page is not None
        return result.page

    def _walking(self) -> Self:
        """The query :meth:`iterate` pages through (the largest pages unless told)."""
        return self if self.per_page else self.but(per_page=ITERATE_PER_PAGE)

    def _count_plan(self) -> Plan[int]:
        page = yield from self.but(per_page=0, hits=False)._page_plan()
        return int(page.total_count or 0)

    def _aggregate_plan(self, attributes: tuple[str, ...],
                        kinds: Mapping[str, str | Sequence[str]]) -> Plan[Munch]:
        wanted: list[tuple[str, str | None]] = [(name, None) for name in attributes]
        for kind, names in kinds.items():
            if kind not in AGGREGATIONS:
                raise InvalidArgumentError(f"unknown aggregation {kind!r}; use one of "
                                           f"{', '.join(AGGREGATIONS)}")
            for name in [names] if isinstance(names, str) else names:
                wanted.append((name, kind))
        if not wanted:
            raise InvalidArgumentError("aggregate() needs at least one attribute")
        page = yield from self.but(aggregations=tuple(wanted), hits=False,
                                   per_page=0)._page_plan()
        return page.aggregations


QC = TypeVar("QC", bound="QueryCore")


def following(query: QC, page: SearchPage) -> tuple[QC, str] | None:
    """The query and cursor for the page after ``page`` of ``query``; None after the last.

    A walk that started at a page or an offset goes on by cursor alone: the API
    refuses a cursor beside either.
    """
    cursor = page.next_cursor if page.next_cursor and page.items else None
    if cursor is None:
        return None
    if query.page_number is not None or query.offset is not None:
        query = query.but(page_number=None, offset=None)
    return query, cursor


@dataclass(frozen=True)
class SearchQuery(QueryCore):
    """A search on one resource; immutable, so it can be reused and varied with :meth:`but`."""

    service: SearchService = field(repr=False)

    def to_wire(self, cursor: str | None = None) -> Wire:
        """The query as the ``data`` of one batch item."""
        return self.service._run(self._wire_plan(cursor))

    def page(self, cursor: str | None = None) -> SearchPage:
        """One page: the first, or the one ``cursor`` (a ``next_cursor``) points at."""
        return self.service._run(self._page_plan(cursor))

    def iterate(self) -> Iterator[Munch]:
        """Every matching record, following cursors lazily (one page in memory at a time)."""
        query, cursor = self._walking(), None
        while True:
            page = query.page(cursor)
            yield from page.items
            if (step := following(query, page)) is None:
                return
            query, cursor = step

    def __iter__(self) -> Iterator[Munch]:
        return self.iterate()

    def count(self) -> int:
        """How many records match (no records are sent)."""
        return self.service._run(self._count_plan())

    def aggregate(self, *attributes: str, **kinds: str | Sequence[str]) -> Munch:
        """Statistics of the matching records, without the records.

        ``aggregate(sum="decimal_value", terms=["stage.id", "owner.id"])``; a bare
        attribute (``aggregate("decimal_value")``) gets every statistic. Answers a
        Munch per attribute with ``min``, ``max``, ``sum``, ``avg``, ``count`` and
        ``terms`` as asked (Decimals where the attribute is a decimal).
        """
        return self.service._run(self._aggregate_plan(attributes, kinds))


Q = TypeVar("Q", bound=QueryCore)


class SearchCore(Generic[Q]):
    """What the search service is, whichever client it belongs to: the query builders,
    the custom-field cache and the requests as plans, run by :class:`SearchService`
    and awaited by :class:`~basecrm_like.search.async_service.AsyncSearchService`."""

    query_class: type[Q]

    def __init__(self, http_client: Any) -> None:
        self._http = http_client
        self._custom: dict[str, dict[str, str]] = {}
        self._lock = threading.Lock()

    @property
    def http_client(self) -> Any:
        """The client's HTTP core, shared with every other service."""
        return self._http

    @property
    def with_raw_response(self) -> RawResponses:
        """:meth:`batch` answering with the whole
        :class:`~basecrm_like.http.exchange.ApiResponse`, the results as ``data``."""
        return RawResponses(self, SERVICE_ACTIONS)

    def query(self, resource: str, where: Condition | Mapping[str, Any] | None = None, *,
              projection: Iterable[str] = (), sort: SortSpec | str | None = None,
              per_page: int | None = None, page: int | None = None,
              offset: int | None = None) -> Q:
        if resource not in SEARCHABLE:
            raise InvalidArgumentError(f"the Search API searches {', '.join(SEARCHABLE)}, "
                                       f"not {resource!r}")
        if isinstance(sort, str):
            sort = [part for part in sort.split(",") if part.strip()]
        return self.query_class(self, resource, None if where is None else as_condition(where),
                                tuple(projection), tuple(sort or ()), per_page, page, offset)

    def deals(self, where: Condition | Mapping[str, Any] | None = None, **options: Any) -> Q:
        return self.query("deals", where, **options)

    def leads(self, where: Condition | Mapping[str, Any] | None = None, **options: Any) -> Q:
        return self.query("leads", where, **options)

    def contacts(self, where: Condition | Mapping[str, Any] | None = None,
                 **options: Any) -> Q:
        return self.query("contacts", where, **options)

    def notes(self, where: Condition | Mapping[str, Any] | None = None, **options: Any) -> Q:
        return self.query("notes", where, **options)

    def tasks(self, where: Condition | Mapping[str, Any] | None = None, **options: Any) -> Q:
        return self.query("tasks", where, **options)

    def forget_custom_fields(self) -> None:
        """Read the custom-field mapping again on next use (after fields were added)."""
        with self._lock:
            self._custom.clear()

    # -- the requests as plans ----------------------------------------------------------------
    def _custom_fields_plan(self, resource: str) -> Plan[dict[str, str]]:
        """Custom field name -> search id (``custom_fields.<id>``), read once and cached."""
        if resource not in WITH_SCHEMA:
            return {}
        if resource not in self._custom:
            _, _, body = yield Call("request", "GET", {"raw": True},
                                    (self._url(f"/{resource}/custom_fields"),))
            self._custom[resource] = {item.data.name: item.data.search_api_id
                                      for item in body.get("items", [])}
        return self._custom[resource]

    def _resolver_plan(self, resource: str, names: Iterable[str] = ()) -> Plan[Any]:
        """A function from the names a caller writes to the Search API's names."""
        renamed = v2_to_v3(resource)
        custom: dict[str, str] = {}
        if any(name.startswith("custom_fields.") for name in names):
            custom = yield from self._custom_fields_plan(resource)

        def resolve(name: str) -> str:
            if name.startswith("custom_fields."):
                key = name.split(".", 1)[1]
                return custom.get(key, name)
            return renamed.get(name, name)
        return resolve

    def _send_plan(self, requests: Sequence[tuple[QueryCore, str | None]]
                   ) -> Plan[list[BatchResult]]:
        results: list[BatchResult | None] = [None] * len(requests)
        by_resource: dict[str, list[int]] = {}
        for index, (query, _) in enumerate(requests):
            by_resource.setdefault(query.resource, []).append(index)
        for resource, indexes in by_resource.items():
            items = []
            for i in indexes:
                items.append({"data": (yield from requests[i][0]._wire_plan(requests[i][1]))})
            answer = yield Call("exchange", "POST", {"body": {"items": items}, "envelope": False,
                                                     "parse": False},
                                (self._url(f"/{resource}/search"),))
            headers, body = answer.headers, self._decode(answer, resource)
            answers = body.get("items", []) if isinstance(body, Mapping) else []
            for index, item in zip(indexes, answers, strict=False):
                results[index] = self._result(requests[index][0], item, headers)
        return [result if result is not None else BatchResult(
            requests[i][0], error=SearchQueryError(200, None, [{"code": "missing_answer",
                                                                 "message": "no answer"}]))
                for i, result in enumerate(results)]

    def _decode(self, answer: ApiResponse, resource: str) -> Any:
        """The answer's JSON with exact numbers (see the module's note on decimals)."""

        def unexpected(reason: str) -> UnexpectedResponseError:
            excerpt = self._http.redact(answer.content[:EXCERPT].decode("utf-8", "replace"))
            return UnexpectedResponseError(answer.status, reason, method="POST",
                                           path=f"/v3/{resource}/search", headers=answer.headers,
                                           body_excerpt=excerpt)

        content_type = answer.headers.get("Content-Type", "")
        if not is_json_type(content_type):
            raise unexpected(f"the body is {content_type or 'unlabelled'!s}, not the API's JSON")
        try:
            return json.loads(answer.content, object_hook=Munch, parse_float=Decimal)
        except RecursionError:
            raise unexpected("the JSON body nests too deeply to parse") from None
        except (ValueError, UnicodeDecodeError) as exc:
            raise unexpected(f"the body labelled JSON is not valid JSON ({exc})") from None

    def _result(self, query: QueryCore, answer: Munch, headers: Any) -> BatchResult:
        if not answer.get("successful", True):
            raw = answer.get("error") or (answer.get("errors") or [{}])[0]
            return BatchResult(query, error=SearchQueryError(
                400, headers.get("X-Request-Id") if headers else None, [raw]))
        meta = answer.get("meta") or Munch()
        links = meta.get("links") or Munch()
        decoder = _Decoder(query.resource, self._custom.get(query.resource, {}))
        return BatchResult(query, page=SearchPage(
            items=[decoder.record(item.get("data", item)) for item in answer.get("items", [])],
            count=int(meta.get("count", 0)), total_count=meta.get("total_count"),
            next_cursor=links.get("next_page"), prev_cursor=links.get("prev_page"),
            aggregations=decoder.aggregations(meta.get("aggregations") or Munch()), meta=meta))

    def _url(self, path: str) -> str:
        return f"{self._http.config.base_url}/v3{path}"


class SearchService(SearchCore[SearchQuery]):
    """``client.search.deals(F("decimal_value") >= 1000, sort=[("updated_at", "desc")])``."""

    query_class = SearchQuery

    if TYPE_CHECKING:
        @property
        def http_client(self) -> HttpClient: ...

    def _run(self, plan: Plan[T]) -> T:
        return run_plan(plan, self._http)

    def custom_fields(self, resource: str) -> dict[str, str]:
        """Custom field name -> search id (``custom_fields.<id>``), read once and cached."""
        return self._run(self._custom_fields_plan(resource))

    def _custom_fields_plan(self, resource: str) -> Plan[dict[str, str]]:
        # run without an event loop, the plan may hold the lock: threads asking at once
        # read the mapping once
        with self._lock:
            return (yield from super()._custom_fields_plan(resource))

    def resolver(self, resource: str, names: Iterable[str] = ()) -> Any:
        """A function from the names a caller writes to the Search API's names."""
        return self._run(self._resolver_plan(resource, names))

    def batch(self, queries: Iterable[SearchQuery]) -> list[BatchResult]:
        """Run several queries in one request per resource; a result per query, in order.

        A refused query answers ``BatchResult(error=SearchQueryError(...))`` while the
        others still run; transport and HTTP errors raise as usual.
        """
        return self.send([(query, None) for query in queries])

    def send(self, requests: Sequence[tuple[SearchQuery, str | None]]) -> list[BatchResult]:
        return self._run(self._send_plan(requests))


class _Decoder:
    """Answers into records: decimals as Decimal, custom fields under their names."""

    def __init__(self, resource: str, custom: Mapping[str, str]) -> None:
        self.decimals = {name for name, attr in search_attributes(resource).items()
                         if attr.storage == "decimal"}
        self.custom_names = {search_id.split(".", 1)[1]: name for name, search_id in custom.items()}

    def record(self, data: Munch) -> Munch:
        exact = {name: data[name] for name in self.decimals if data.get(name) is not None}
        _floats(data)
        for name, value in exact.items():
            data[name] = parse_decimal(value)
        fields = data.get("custom_fields")
        if isinstance(fields, dict) and self.custom_names:
            data["custom_fields"] = Munch({self.custom_names.get(key, key): value
                                           for key, value in fields.items()})
        return data

    def aggregations(self, found: Munch) -> Munch:
        for name, stats in found.items():
            if name not in self.decimals:
                _floats(stats)
                continue
            for key in ("min", "max", "sum", "avg"):
                if stats.get(key) is not None:
                    stats[key] = parse_decimal(stats[key])
            for term in stats.get("terms") or ():
                term["term"] = parse_decimal(term["term"])
        return Munch({self._custom_name(name): stats for name, stats in found.items()})

    def _custom_name(self, name: str) -> str:
        if name.startswith("custom_fields."):
            key = name.split(".", 1)[1]
            return f"custom_fields.{self.custom_names.get(key, key)}"
        return name


def _floats(value: Any) -> None:
    """Decimals the decoder read inside ``value`` (a dict or list) back into floats."""
    pairs = value.items() if isinstance(value, dict) else enumerate(value)
    for key, item in list(pairs):
        if isinstance(item, Decimal):
            value[key] = float(item)
        elif isinstance(item, (dict, list)):
            _floats(item)
