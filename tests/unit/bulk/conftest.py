"""Shared by the bulk tests: contacts served in memory by a fake API, and rows of people."""
from __future__ import annotations

import json
import random
import re
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses

from basecrm_like import resources

BASE = "https://api.example.test/v2"
V3 = "https://api.example.test/v3"
STAMP = "2024-01-01T00:00:00Z"
CONTACTS = resources.get("contacts")


class FakeApi:
    """Contacts in memory; ``fail`` maps (method, n-th call) to an HTTP status.

    n = 0 means every call; status 200 answers an HTML page, -1 cuts the answer
    short after applying the request.
    """

    def __init__(self, rsps: responses.RequestsMock) -> None:
        self.records: list[dict[str, Any]] = []
        self.calls: list[tuple[str, str]] = []
        self.fail: dict[tuple[str, int], int] = {}
        self.delay = 0.0
        self.lock = threading.Lock()
        rsps.add_callback(responses.GET, f"{BASE}/contacts", self.list)
        rsps.add_callback(responses.POST, f"{BASE}/contacts", self.create)
        rsps.add_callback(responses.POST, f"{BASE}/contacts/upsert", self.upsert)
        rsps.add_callback(responses.PUT, re.compile(rf"{BASE}/contacts/\d+$"), self.update)
        #: custom field definitions of contacts
        self.definitions: list[dict[str, Any]] = []
        rsps.add_callback(responses.GET, f"{BASE}/contact/custom_fields", self.custom_fields)
        # Search v3: ``any`` filters on one attribute, every record whole, one page
        rsps.add_callback(responses.POST, f"{V3}/contacts/search", self.search)
        rsps.add_callback(responses.GET, f"{V3}/contacts/custom_fields",
                          lambda request: (200, {"Content-Type": "application/json"},
                                           b'{"items": []}'))

    def _count(self, what: str, request: Any) -> tuple[int, dict, bytes] | None:
        with self.lock:
            self.calls.append((what, request.url))
            n = sum(1 for c in self.calls if c[0] == what)
        if self.delay:
            time.sleep(random.uniform(0, self.delay))
        status = self.fail.get((what, n), self.fail.get((what, 0)))
        if status == 200:       # a success that is not the API's JSON (a proxy's page)
            return 200, {"Content-Type": "text/html"}, b"<html>hello</html>"
        if status == -1:        # the answer is cut after the server applied the request
            if what in ("create", "upsert"):
                self._store(json.loads(request.body)["data"], None)
            raise requests.exceptions.ChunkedEncodingError("Connection broken: IncompleteRead")
        if status == 429:
            return 429, {"Retry-After": "0"}, b"{}"
        if status is not None:
            body = {"errors": [{"error": {"code": "server_error", "message": "boom"}}]}
            return status, {"Content-Type": "application/json"}, json.dumps(body).encode()
        return None

    @staticmethod
    def _query(request: Any) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(urlsplit(request.url).query).items()}

    def _match(self, query: dict[str, str]) -> list[dict[str, Any]]:
        return [r for r in self.records if all(
            str(r.get(k)) == v for k, v in query.items()
            if k not in ("page", "per_page", "sort_by"))]

    def list(self, request: Any) -> tuple[int, dict, bytes]:
        failed = self._count("list", request)
        if failed:
            return failed
        query = self._query(request)
        page, per_page = int(query.get("page", 1)), int(query.get("per_page", 25))
        found = self._match(query)[(page - 1) * per_page:page * per_page]
        items = [{"data": r, "meta": {"type": "contact"}} for r in found]
        return 200, {"Content-Type": "application/json"}, json.dumps({"items": items}).encode()

    def _store(self, data: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
        if data.get("last_name") == "REJECT":
            return {"_error": True}
        with self.lock:
            if existing is None:
                existing = {"id": len(self.records) + 1, "created_at": STAMP, "updated_at": STAMP}
                self.records.append(existing)
            else:
                existing["updated_at"] = "2024-02-02T00:00:00Z"
            existing.update(data)
            return dict(existing)

    def _reply(self, record: dict[str, Any]) -> tuple[int, dict, bytes]:
        if record.get("_error"):
            body = {"errors": [{"error": {"code": "blank", "message": "is bad",
                                          "field": "/last_name", "resource": "contact"}}]}
            return 422, {"Content-Type": "application/json"}, json.dumps(body).encode()
        return 200, {"Content-Type": "application/json"}, json.dumps(
            {"data": record, "meta": {"type": "contact"}}).encode()

    def create(self, request: Any) -> tuple[int, dict, bytes]:
        failed = self._count("create", request)
        if failed:
            return failed
        return self._reply(self._store(json.loads(request.body)["data"], None))

    def upsert(self, request: Any) -> tuple[int, dict, bytes]:
        failed = self._count("upsert", request)
        if failed:
            return failed
        found = self._match(self._query(request))
        return self._reply(self._store(json.loads(request.body)["data"],
                                       found[0] if found else None))

    def update(self, request: Any) -> tuple[int, dict, bytes]:
        failed = self._count("update", request)
        if failed:
            return failed
        wanted = int(urlsplit(request.url).path.rsplit("/", 1)[1])
        found = [r for r in self.records if r["id"] == wanted]
        if not found:
            body = {"errors": [{"error": {"code": "not_found", "message": "no such contact"}}]}
            return 404, {"Content-Type": "application/json"}, json.dumps(body).encode()
        return self._reply(self._store(json.loads(request.body)["data"], found[0]))

    def custom_fields(self, request: Any) -> tuple[int, dict, bytes]:
        items = [{"data": d, "meta": {"type": "custom_field"}} for d in self.definitions]
        return 200, {"Content-Type": "application/json"}, json.dumps({"items": items}).encode()

    def search(self, request: Any) -> tuple[int, dict, bytes]:
        failed = self._count("search", request)
        if failed:
            return failed
        answers = []
        for item in json.loads(request.body)["items"]:
            query = item["data"]["query"]
            if "filter" not in query:       # a walk over every record, page by page
                with self.lock:
                    every = sorted((dict(r) for r in self.records), key=lambda r: r["id"])
                start, size = int(item["data"].get("cursor") or 0), item["data"]["per_page"]
                found = every[start:start + size]
                more = {"next_page": str(start + size)} if start + size < len(every) else {}
                answers.append({"successful": True, "items": [{"data": r} for r in found],
                                "meta": {"count": len(found), "total_count": len(every),
                                         "links": more}})
                continue
            leaf = query["filter"]["filter"]
            name, values = leaf["attribute"]["name"], leaf["parameter"]["any"]
            with self.lock:
                found = [dict(r) for r in self.records if str(r.get(name)) in values]
            answers.append({"successful": True, "items": [{"data": r} for r in found],
                            "meta": {"count": len(found), "links": {}}})
        return 200, {"Content-Type": "application/json"}, json.dumps({"items": answers}).encode()

    def count(self, what: str) -> int:
        return sum(1 for c in self.calls if c[0] == what)


@pytest.fixture
def api() -> Iterator[FakeApi]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield FakeApi(rsps)


def people(n: int, start: int = 0) -> list[dict[str, str]]:
    return [{"first_name": f"F{i}", "last_name": f"L{i}", "email": f"p{i}@example.com"}
            for i in range(start, start + n)]

