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
from typing import Any

from munch import Munch

from ..catalog.search import SEARCHABLE, WITH_SCHEMA, search_attributes, v2_to_v3
from ..http.answers import EXCERPT, is_json_type
from ..http.errors import InvalidArgumentError, RequestError, UnexpectedResponseError
from ..http.exchange import ApiResponse
from ..http.raw import RawResponses
from ..http.transport import HttpClient
from ..support.decimals import parse_decimal
from .query import Condition, SortSpec, Wire, as_condition, sort_wire

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

    query: SearchQuery
    page: SearchPage | None = None
    error: SearchQueryError | None = None

    @property
    def successful(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class SearchQuery:
    """A search on one resource; immutable, so it can be reused and varied with :meth:`but`."""

    service: SearchService = field(repr=False)
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

    def but(self, **changes: Any) -> SearchQuery:
        """A copy with some options changed."""
        return replace(self, **changes)

    def to_wire(self, cursor: str | None = None) -> Wire:
        """The query as the ``data`` of one batch item."""
        resolve = self.service.resolver(self.resource, self._names())
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

    def _names(self) -> list[str]:
        names = list(self.projection) + [entry if isinstance(entry, str) else entry[0]
                                         for entry in self.sort]
        names += [name for name, _ in self.aggregations]
        if self.where is not None:
            names += list(self.where.attributes())
        return names

    # -- sending --------------------------------------------------------------------------
    def page(self, cursor: str | None = None) -> SearchPage:
        """One page: the first, or the one ``cursor`` (a ``next_cursor``) points at."""
        result = self.service.send([(self, cursor)])[0]
        if result.error is not None:
            raise result.error
        assert result.page is not None
        return result.page

    def iterate(self) -> Iterator[Munch]:
        """Every matching record, following cursors lazily (one page in memory at a time)."""
        query = self if self.per_page else self.but(per_page=ITERATE_PER_PAGE)
        cursor: str | None = None
        while True:
            page = query.page(cursor)
            yield from page.items
            if not page.next_cursor or not page.items:
                return
            cursor = page.next_cursor

    def __iter__(self) -> Iterator[Munch]:
        return self.iterate()

    def count(self) -> int:
        """How many records match (no records are sent)."""
        return int(self.but(per_page=0, hits=False).page().total_count or 0)

    def aggregate(self, *attributes: str, **kinds: str | Sequence[str]) -> Munch:
        """Statistics of the matching records, without the records.

        ``aggregate(sum="decimal_value", terms=["stage.id", "owner.id"])``; a bare
        attribute (``aggregate("decimal_value")``) gets every statistic. Answers a
        Munch per attribute with ``min``, ``max``, ``sum``, ``avg``, ``count`` and
        ``terms`` as asked (Decimals where the attribute is a decimal).
        """
        wanted: list[tuple[str, str | None]] = [(name, None) for name in attributes]
        for kind, names in kinds.items():
            if kind not in AGGREGATIONS:
                raise InvalidArgumentError(f"unknown aggregation {kind!r}; use one of "
                                           f"{', '.join(AGGREGATIONS)}")
            for name in [names] if isinstance(names, str) else names:
                wanted.append((name, kind))
        if not wanted:
            raise InvalidArgumentError("aggregate() needs at least one attribute")
        page = self.but(aggregations=tuple(wanted), hits=False, per_page=0).page()
        return page.aggregations


class SearchService:
    """``client.search.deals(F("decimal_value") >= 1000, sort=[("updated_at", "desc")])``."""

    def __init__(self, http_client: HttpClient) -> None:
        self._http = http_client
        self._custom: dict[str, dict[str, str]] = {}
        self._lock = threading.Lock()

    @property
    def http_client(self) -> HttpClient:
        return self._http

    @property
    def with_raw_response(self) -> RawResponses:
        """:meth:`batch` answering with the whole
        :class:`~basecrm_like.http.exchange.ApiResponse`, the results as ``data``."""
        return RawResponses(self, SERVICE_ACTIONS)

    def query(self, resource: str, where: Condition | Mapping[str, Any] | None = None, *,
              projection: Iterable[str] = (), sort: SortSpec | str | None = None,
              per_page: int | None = None, page: int | None = None,
              offset: int | None = None) -> SearchQuery:
        if resource not in SEARCHABLE:
            raise InvalidArgumentError(f"the Search API searches {', '.join(SEARCHABLE)}, "
                                       f"not {resource!r}")
        if isinstance(sort, str):
            sort = [part for part in sort.split(",") if part.strip()]
        return SearchQuery(self, resource, None if where is None else as_condition(where),
                           tuple(projection), tuple(sort or ()), per_page, page, offset)

    def deals(self, where: Condition | Mapping[str, Any] | None = None,
              **options: Any) -> SearchQuery:
        return self.query("deals", where, **options)

    def leads(self, where: Condition | Mapping[str, Any] | None = None,
              **options: Any) -> SearchQuery:
        return self.query("leads", where, **options)

    def contacts(self, where: Condition | Mapping[str, Any] | None = None,
                 **options: Any) -> SearchQuery:
        return self.query("contacts", where, **options)

    def notes(self, where: Condition | Mapping[str, Any] | None = None,
              **options: Any) -> SearchQuery:
        return self.query("notes", where, **options)

    def tasks(self, where: Condition | Mapping[str, Any] | None = None,
              **options: Any) -> SearchQuery:
        return self.query("tasks", where, **options)

    # -- custom fields ----------------------------------------------------------------------
    def custom_fields(self, resource: str) -> dict[str, str]:
        """Custom field name -> search id (``custom_fields.<id>``), read once and cached."""
        if resource not in WITH_SCHEMA:
            return {}
        with self._lock:
            if resource not in self._custom:
                _, _, body = self._http.request("GET", self._url(f"/{resource}/custom_fields"),
                                                raw=True)
                self._custom[resource] = {item.data.name: item.data.search_api_id
                                          for item in body.get("items", [])}
            return self._custom[resource]

    def forget_custom_fields(self) -> None:
        """Read the custom-field mapping again on next use (after fields were added)."""
        with self._lock:
            self._custom.clear()

    def resolver(self, resource: str, names: Iterable[str] = ()) -> Any:
        """A function from the names a caller writes to the Search API's names."""
        renamed = v2_to_v3(resource)
        custom = self.custom_fields(resource) if any(
            name.startswith("custom_fields.") for name in names) else {}

        def resolve(name: str) -> str:
            if name.startswith("custom_fields."):
                key = name.split(".", 1)[1]
                return custom.get(key, name)
            return renamed.get(name, name)
        return resolve

    # -- sending ------------------------------------------------------------------------------
    def batch(self, queries: Iterable[SearchQuery]) -> list[BatchResult]:
        """Run several queries in one request per resource; a result per query, in order.

        A refused query answers ``BatchResult(error=SearchQueryError(...))`` while the
        others still run; transport and HTTP errors raise as usual.
        """
        return self.send([(query, None) for query in queries])

    def send(self, requests: Sequence[tuple[SearchQuery, str | None]]) -> list[BatchResult]:
        results: list[BatchResult | None] = [None] * len(requests)
        by_resource: dict[str, list[int]] = {}
        for index, (query, _) in enumerate(requests):
            by_resource.setdefault(query.resource, []).append(index)
        for resource, indexes in by_resource.items():
            items = [{"data": requests[i][0].to_wire(requests[i][1])} for i in indexes]
            answer = self._http.exchange("POST", self._url(f"/{resource}/search"),
                                         body={"items": items}, envelope=False, parse=False)
            headers, body = answer.headers, self._decode(answer, resource)
            answers = body.get("items", []) if isinstance(body, Mapping) else []
            for index, answer in zip(indexes, answers, strict=False):
                results[index] = self._result(requests[index][0], answer, headers)
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

    def _result(self, query: SearchQuery, answer: Munch, headers: Any) -> BatchResult:
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
