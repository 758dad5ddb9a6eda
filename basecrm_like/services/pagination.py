"""Lazy iteration over page-numbered collections.

Only the current page is held in memory, so walking 50,000 contacts costs the
same memory as walking 100.
"""
from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
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
    page: int | None = first_page
    while page is not None:
        items = fetch_page(page, per_page)
        yield from items
        page = following_page(page, len(items), per_page)
        del items


async def aiterate_pages(
    fetch_page: Callable[[int, int], Awaitable[list[T]]],
    per_page: int = DEFAULT_PER_PAGE,
    first_page: int = 1,
) -> AsyncIterator[T]:
    """:func:`iterate_pages` for an awaited ``fetch_page``: ``async for item in ...``."""
    page: int | None = first_page
    while page is not None:
        items = await fetch_page(page, per_page)
        for item in items:
            yield item
        page = following_page(page, len(items), per_page)


def following_page(page: int, received: int, per_page: int) -> int | None:
    """The page after ``page``, or None when it came back short (the last one)."""
    return None if received < per_page else page + 1


def split_paging(params: dict[str, Any]) -> tuple[dict[str, Any], int, int]:
    """Take ``page`` and ``per_page`` out of list parameters, with defaults."""
    rest = dict(params)
    per_page = int(rest.pop("per_page", DEFAULT_PER_PAGE))
    page = int(rest.pop("page", 1))
    if per_page < 1:
        raise BadValueError(f"per_page must be at least 1, got {per_page}")
    return rest, page, per_page
