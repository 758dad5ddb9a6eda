"""What only the async search has: ``async for`` over every page and awaited batches,
driven by a real event loop (the shared behaviour runs on both clients elsewhere)."""
from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import pytest

from basecrm_like import AsyncClient
from basecrm_like.search import F, SearchQueryError


@pytest.fixture
def deal_ids(basecrm_client: Any) -> list[int]:
    org = basecrm_client.contacts.create(name="Jacquard Looms", is_organization=True)
    return [basecrm_client.deals.create(name=f"Loom {n}", contact_id=org.id,
                                        value=Decimal(f"{n}.05"), hot=n % 2 == 0).id
            for n in range(7)]


def test_async_for_walks_every_page(basecrm_mock: Any, deal_ids: list[int]) -> None:
    async def main() -> tuple[list[Any], list[Any], list[Any]]:
        async with AsyncClient(access_token=basecrm_mock.token, base_url=basecrm_mock.url,
                               max_retries=0) as client:
            query = client.search.deals(F("decimal_value") >= 0, per_page=2, sort="id",
                                        projection=["decimal_value"])
            first = await query.page()
            walked = [record async for record in query.iterate()]
            again = [record async for record in query]  # __aiter__ is iterate()
            return [first], walked, again

    [first], walked, again = asyncio.run(main())
    assert len(first.items) == 2 and first.next_cursor  # 7 records: 4 pages of 2
    assert [record.id for record in walked] == deal_ids
    assert [record.id for record in again] == deal_ids
    assert [record.decimal_value for record in walked] == [Decimal(f"{n}.05") for n in range(7)]
    assert all(isinstance(record.decimal_value, Decimal) for record in walked)


def test_an_awaited_batch_answers_each_query(basecrm_mock: Any, deal_ids: list[int]) -> None:
    async def main() -> tuple[list[Any], Any, int]:
        async with AsyncClient(access_token=basecrm_mock.token, base_url=basecrm_mock.url,
                               max_retries=0) as client:
            search = client.search
            hot, bad = search.deals(F("hot") == True), search.deals(F("nope") == 1)  # noqa: E712
            orgs = search.contacts(F("is_organization") == True)  # noqa: E712
            results = await search.batch([hot, bad, orgs])
            raw = await search.with_raw_response.batch([hot])
            return results, raw, await hot.count()

    results, raw, hot_count = asyncio.run(main())
    assert [result.successful for result in results] == [True, False, True]
    assert results[0].page is not None and results[0].page.total_count == 4 == hot_count
    assert isinstance(results[1].error, SearchQueryError) and "nope" in str(results[1].error)
    assert results[2].page is not None and results[2].page.total_count == 1
    assert raw.status == 200 and raw.request_id
    assert raw.data[0].page.total_count == 4
