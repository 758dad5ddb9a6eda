"""Attributes and sort keys taken from the Sell reference pages, served by the mock."""
from __future__ import annotations

from typing import Any

import requests


def _get(server: Any, path: str, **params: Any) -> requests.Response:
    return requests.get(f"{server.url}/v2{path}", params=params, timeout=10,
                        headers={"Authorization": f"Bearer {server.token}",
                                 "User-Agent": "reference-attributes-test"})


def test_stages_sort_by_the_documented_keys(basecrm_mock: Any) -> None:
    by_likelihood = _get(basecrm_mock, "/stages", sort_by="likelihood:desc", per_page=100)
    assert by_likelihood.status_code == 200
    values = [item["data"]["likelihood"] for item in by_likelihood.json()["items"]]
    known = [v for v in values if v is not None]
    assert len(known) >= 2 and known == sorted(known, reverse=True)
    for key in ("pipeline_id", "name", "category"):
        assert _get(basecrm_mock, "/stages", sort_by=key).status_code == 200, key
    refused = _get(basecrm_mock, "/stages", sort_by="created_at")
    assert refused.status_code == 400


def test_account_carries_subdomain(basecrm_mock: Any) -> None:
    data = _get(basecrm_mock, "/accounts/self").json()["data"]
    assert "subdomain" in data


def test_sequences_carry_documented_attributes(basecrm_client: Any, basecrm_mock: Any) -> None:
    created = basecrm_mock.app.insert("sequences", {"name": "Welcome", "steps_total": 3,
                                                    "steps": [{"id": 1, "position": 0}]})
    again = basecrm_client.sequences.list(ids=str(created["id"]))[0]
    assert again.steps_total == 3 and again.steps == [{"id": 1, "position": 0}]
    assert hasattr(again, "creator_id")
