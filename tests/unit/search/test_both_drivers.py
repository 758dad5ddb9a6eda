"""The blocking and the async search run the same plans: over test doubles of the two
HTTP clients they send the same calls and make the same results of the same answers."""
from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from munch import Munch

from basecrm_like.errors import UnexpectedResponseError
from basecrm_like.http.exchange import ApiResponse
from basecrm_like.search import AsyncSearchService, F, SearchService

BASE = "https://api.example.test"
FIELDS = {"items": [{"data": {"name": "Industry", "search_api_id": "custom_fields.12"}}]}


def answer(body: Any, content_type: str = "application/json") -> ApiResponse:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return ApiResponse(200, {"Content-Type": content_type, "X-Request-Id": "r1"}, None, content)


def search_page(ids: list[int], cursor: str | None) -> ApiResponse:
    items = [{"data": {"id": n, "decimal_value": 0.1, "score": 1.5,
                       "custom_fields": {"12": "Retail"}}} for n in ids]
    return answer({"items": [{"successful": True, "items": items, "meta": {
        "count": len(ids), "total_count": 3, "links": {"next_page": cursor}}}]})


class Recorder:
    """Both doubles' memory: the calls made and the answers still to give."""

    def __init__(self, answers: list[Any]) -> None:
        self.config = SimpleNamespace(base_url=BASE)
        self.calls: list[tuple[Any, ...]] = []
        self.answers = list(answers)

    def redact(self, text: str) -> str:
        return text

    def answer(self, *call: Any) -> Any:
        self.calls.append(call)
        return self.answers.pop(0)


class BlockingDouble(Recorder):
    def request(self, method: str, url: str, raw: bool = False) -> Any:
        return self.answer("request", method, url, raw)

    def exchange(self, method: str, url: str, **kwargs: Any) -> Any:
        return self.answer("exchange", method, url, kwargs)


class AsyncDouble(Recorder):
    async def request(self, method: str, url: str, raw: bool = False) -> Any:
        await asyncio.sleep(0)
        return self.answer("request", method, url, raw)

    async def exchange(self, method: str, url: str, **kwargs: Any) -> Any:
        await asyncio.sleep(0)
        return self.answer("exchange", method, url, kwargs)


def script() -> list[Any]:
    return [(200, {}, Munch.fromDict(FIELDS)), search_page([1, 2], "c1"), search_page([3], None),
            answer({"items": [{"successful": False, "error": {"code": "unknown_attribute"}}]})]


def run_blocking() -> tuple[list[Any], list[Any], list[Any]]:
    http = BlockingDouble(script())
    search = SearchService(http)
    query = search.deals(F("custom_fields.Industry") == "Retail", per_page=2,
                         projection=["custom_fields.Industry"])
    records = list(query.iterate())
    [failed] = search.batch([query])
    return http.calls, records, [failed.successful, failed.error.code if failed.error else None]


def run_async() -> tuple[list[Any], list[Any], list[Any]]:
    async def main() -> tuple[list[Any], list[Any], list[Any]]:
        http = AsyncDouble(script())
        search = AsyncSearchService(http)  # type: ignore[arg-type]
        query = search.deals(F("custom_fields.Industry") == "Retail", per_page=2,
                             projection=["custom_fields.Industry"])
        records = [record async for record in query.aiterate()]
        [failed] = await search.batch([query])
        return http.calls, records, [failed.successful,
                                     failed.error.code if failed.error else None]

    return asyncio.run(main())


def test_both_clients_send_the_same_calls_and_decode_the_same_results() -> None:
    calls, records, failure = run_blocking()
    assert run_async() == (calls, records, failure)
    # what both sent: the custom fields once, then each page with the cursor of the last
    assert [call[:3] for call in calls] == [
        ("request", "GET", f"{BASE}/v3/deals/custom_fields"),
        ("exchange", "POST", f"{BASE}/v3/deals/search"),
        ("exchange", "POST", f"{BASE}/v3/deals/search"),
        ("exchange", "POST", f"{BASE}/v3/deals/search")]
    second = calls[2][3]["body"]["items"][0]["data"]
    assert second["cursor"] == "c1" and second["query"]["filter"]["filter"]["attribute"] == {
        "name": "custom_fields.12"}
    assert [record.id for record in records] == [1, 2, 3]
    assert records[0].decimal_value == Decimal("0.1") and records[0].score == 1.5
    assert isinstance(records[0].decimal_value, Decimal) and isinstance(records[0].score, float)
    assert records[0].custom_fields == {"Industry": "Retail"}
    assert failure == [False, "unknown_attribute"]


def test_an_answer_that_is_not_json_is_the_same_typed_error_on_both() -> None:
    html = answer(b"<html>maintenance</html>", "text/html")
    with pytest.raises(UnexpectedResponseError, match="text/html") as blocking:
        SearchService(BlockingDouble([html])).deals().page()
    with pytest.raises(UnexpectedResponseError, match="text/html") as awaited:
        asyncio.run(AsyncSearchService(AsyncDouble([html])).deals().page())  # type: ignore[arg-type]
    assert str(awaited.value) == str(blocking.value)


def test_tasks_asking_at_once_read_the_custom_fields_once() -> None:
    async def main() -> tuple[list[Any], list[Any]]:
        http = AsyncDouble([(200, {}, Munch.fromDict(FIELDS))])
        search = AsyncSearchService(http)  # type: ignore[arg-type]
        found = await asyncio.gather(*(search.custom_fields("deals") for _ in range(5)))
        search.forget_custom_fields()
        http.answers.append((200, {}, Munch.fromDict(FIELDS)))
        found.append(await search.custom_fields("deals"))
        return http.calls, found

    calls, found = asyncio.run(main())
    assert found == [{"Industry": "custom_fields.12"}] * 6
    assert [call[:3] for call in calls] == [("request", "GET", f"{BASE}/v3/deals/custom_fields")] * 2
