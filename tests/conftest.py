"""Shared fixtures: a valid-looking token and a client for unit tests."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings

import basecrm_like

TOKEN = "t" * 64
BASE = "https://api.example.test"

# Helpers and CI share two cores: wall-clock deadlines would make property tests flaky.
settings.register_profile("shared-machine", deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("shared-machine")


@pytest.fixture(autouse=True)
def isolated_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never pick up a developer's real token or API address."""
    monkeypatch.delenv("BASECRM_ACCESS_TOKEN", raising=False)
    monkeypatch.delenv("BASECRM_BASE_URL", raising=False)


@pytest.fixture
def token() -> str:
    return TOKEN


@pytest.fixture
def client() -> basecrm_like.Client:
    return basecrm_like.Client(access_token=TOKEN, base_url=BASE, max_retries=0)
