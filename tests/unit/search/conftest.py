from __future__ import annotations

from collections.abc import Iterator

import pytest
import responses

import basecrm_like

BASE = "https://api.example.test"


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


@pytest.fixture
def responses_client() -> basecrm_like.Client:
    return basecrm_like.Client(access_token="t" * 64, base_url=BASE, max_retries=0)
