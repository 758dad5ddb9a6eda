"""Search API v3: a query builder, cursor paging, aggregations and batches.

>>> from basecrm_like.search import F
>>> big = (F("decimal_value") >= 1000) & F("stage.id").any([1, 2])
>>> client.search.deals(big, sort=[("updated_at", "desc")]).iterate()  # doctest: +SKIP
"""
from .async_service import AsyncSearchQuery, AsyncSearchService
from .expression import ExpressionError, parse_sort, parse_where
from .query import Condition, F, Raw
from .service import BatchResult, SearchPage, SearchQuery, SearchQueryError, SearchService

__all__ = ["AsyncSearchQuery", "AsyncSearchService", "BatchResult", "Condition", "ExpressionError", "F", "Raw", "SearchPage",
           "SearchQuery", "SearchQueryError", "SearchService", "parse_sort", "parse_where"]
