"""Lazy iteration over page-numbered collections.

Only the current page is held in memory, so walking 50,000 contacts costs the
same memory as walking 100.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from ..http.errors import BadValueError

T = TypeVar("T")

DEFAULT_PER_PAGE = 100


def iterate_pages(
    fetch_page: Callable[[int, int], list[T]],
    per_page: int = DEFAULT_PER_PAGE,
    first_page: int = 1,
) -> Iterator[T]:
    """Yield items page by page, stopping on a short or empty page.

    ``fetch_page(page, per_page)`` returns one page's items.
    """
    page = first_page
    while True:
        items = fetch_page(page, per_page)
        yield from items
        if len(items) < per_page:
            return
        page += 1
        del items


def split_paging(params: dict[str, Any]) -> tuple[dict[str, Any], int, int]:
    """Take ``page`` and ``per_page`` out of list parameters, with defaults."""
    rest = dict(params)
    per_page = int(rest.pop("per_page", DEFAULT_PER_PAGE))
    page = int(rest.pop("page", 1))
    if per_page < 1:
        raise BadValueError(f"per_page must be at least 1, got {per_page}")
    return rest, page, per_page
