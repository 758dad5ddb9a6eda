"""Checked by mypy in `make typecheck`: client options and record classes are real types.

Not collected by pytest (no test_ prefix); it only has to type-check.
"""
from __future__ import annotations

from decimal import Decimal

from munch import Munch

import basecrm_like
from basecrm_like.models import Collection, Contact, Deal, Stage


def make_client(token: str) -> basecrm_like.Client:
    return basecrm_like.Client(access_token=token, timeout=(3.05, 27), max_retries=2,
                               rate_limit=5.0, cache_ttl=60, strict=True)


def deal_value(deal: Deal) -> Decimal:
    return deal.value if deal.value is not None else Decimal("0")


def stage_of(deal: Deal) -> Stage | None:
    return deal.stage


def deals_of(contact: Contact) -> Collection[Deal]:
    return contact.deals


def hot_deal_names(client: basecrm_like.Client) -> list[str]:
    names: list[str] = []
    for deal in Deal.where(client, hot=True):
        if deal.name is not None:
            names.append(deal.name)
    return names


async def async_contact_names(client: basecrm_like.AsyncClient) -> list[str]:
    one: Munch = await client.contacts.retrieve(1)
    many: list[Munch] = await client.contacts.retrieve_many([1, 2], concurrency=2)
    names = [str(c.name) async for c in client.contacts.iterate(is_organization=True)]
    gone: bool = await client.contacts.destroy(one.id)
    return [*names, *(str(m.name) for m in many)] if gone else names


async def async_search(client: basecrm_like.AsyncClient) -> tuple[list[Munch], int, Munch]:
    from basecrm_like.search import F, SearchPage

    query = client.search.deals(F("decimal_value") >= 1000, sort=[("updated_at", "desc")])
    first: SearchPage = await query.page()
    walked = [record async for record in query.iterate()]
    stats: Munch = await query.but(per_page=10).aggregate(sum="decimal_value")
    results = await client.search.batch([query])
    return [*first.items, *walked], await query.count() + len(results), stats
