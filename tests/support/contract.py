"""The contract suite's target: the mock by default, a real account on request.

With ``BASECRM_CONTRACT_URL`` and ``BASECRM_CONTRACT_TOKEN`` set, tests marked
``contract`` talk to that account (a sandbox). They then create only records
whose names carry this run's id, delete them when the test ends (newest first,
a record already gone is fine), and read only what they created or what every
account has (the token's user), so no other data is touched.
"""
from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

import basecrm_like

URL_VARIABLE = "BASECRM_CONTRACT_URL"
TOKEN_VARIABLE = "BASECRM_CONTRACT_TOKEN"


def real_account() -> tuple[str, str] | None:
    url, token = os.environ.get(URL_VARIABLE), os.environ.get(TOKEN_VARIABLE)
    return (url, token) if url and token else None


@dataclass
class ContractTarget:
    """A client plus the bookkeeping that keeps a real account clean."""

    client: Any
    run_id: str
    real: bool
    created: list[tuple[str, int]] = field(default_factory=list)
    #: the API's base URL and token, for tests that speak HTTP themselves
    url: str = ""
    token: str = ""

    def name(self, label: str) -> str:
        """A record name that says which run made it."""
        return f"{label} [{self.run_id}]"

    def create(self, resource: str, **attributes: Any) -> Any:
        """Create through the client and remember it for the clean-up."""
        record = getattr(self.client, resource).create(**attributes)
        self.created.append((resource, record.id))
        return record

    def adopt_answer(self, path: str, record: dict[str, Any]) -> None:
        """Remember what a successful ``POST /v2/...`` made, from its path and answer.

        Nested records (line items, associated contacts) go with their parent; a lead
        conversion cannot be deleted, but the contacts and deal it made can."""
        parts = [part for part in path.split("?")[0].split("/") if part][1:]
        if parts[:1] == ["lead_conversions"]:
            self.adopt("contacts", record.get("individual_id"))
            self.adopt("contacts", record.get("organization_id"))
            self.adopt("deals", record.get("deal_id"))
        elif len(parts) == 1 or (len(parts) == 2 and parts[1] == "upsert"):
            if (parts[0], record.get("id")) not in self.created:
                self.adopt(parts[0], record.get("id"))

    def adopt(self, resource: str, record_id: int | None) -> None:
        """Remember a record the API created on the test's behalf (a conversion's contact)."""
        if record_id is not None:
            self.created.append((resource, record_id))

    def clean_up(self) -> list[str]:
        """Delete what this run created, newest first; the failures, as text."""
        failures = []
        for resource, record_id in reversed(self.created):
            service = getattr(self.client, resource)
            try:
                service.destroy(record_id)
            except basecrm_like.RequestError as exc:
                if exc.http_status != 404:
                    failures.append(f"{resource} {record_id}: {exc}")
        self.created.clear()
        return failures


@pytest.fixture
def contract(request: pytest.FixtureRequest) -> Iterator[ContractTarget]:
    """The target of a ``contract`` test (the ``basecrm_mock`` server unless a real
    account is configured)."""
    if request.node.get_closest_marker("contract") is None:
        raise pytest.UsageError(f"{request.node.nodeid} uses the contract fixture without "
                                "the contract marker")
    run_id = f"bcl-{uuid.uuid4().hex[:12]}"
    account = real_account()
    if account is not None:
        url, token = account
        client = basecrm_like.Client(access_token=token, base_url=url, max_retries=3,
                                     timeout=30)
        target = ContractTarget(client, run_id, real=True, url=url.rstrip("/"), token=token)
    else:
        server = request.getfixturevalue("basecrm_mock")
        target = ContractTarget(request.getfixturevalue("basecrm_client"), run_id, real=False,
                                url=server.url, token=server.token)
    try:
        yield target
    finally:
        failures = target.clean_up()
        if failures:
            pytest.fail("could not delete records this run created:\n" + "\n".join(failures))
