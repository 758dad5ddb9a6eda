"""The search tests run against the mock once per client: blocking and async."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.support.clients import client_kind, make_client

__all__ = ["client_kind", "make_client", "search_client"]


@pytest.fixture
def search_client(make_client: Callable[..., Any], basecrm_mock: Any) -> Any:
    """A Client, or an AsyncClient behind blocking calls, bound to the mock."""
    return make_client(access_token=basecrm_mock.token, base_url=basecrm_mock.url,
                       max_retries=0, timeout=10)
