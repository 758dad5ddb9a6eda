from __future__ import annotations

import pytest

from basecrm_like import catalog
from basecrm_like.errors import ConfigurationError, InvalidArgumentError
from basecrm_like.http.config import Configuration
from basecrm_like.http.transport import HttpClient
from basecrm_like.services import (
    SERVICE_CLASSES,
    ContactsService,
    ReferenceCache,
    ServiceDirectory,
)

TOKEN = "d" * 64


def http() -> HttpClient:
    return HttpClient(Configuration(access_token=TOKEN, base_url="https://api.example.test"))


def test_one_service_per_resource_sharing_the_collaborators() -> None:
    cache = ReferenceCache()
    directory = ServiceDirectory(http(), cache=cache)
    assert set(directory) == set(catalog.CATALOG) and len(directory) == len(SERVICE_CLASSES)
    deals = directory["deals"]
    assert directory["deals"] is deals and deals.cache is cache
    assert deals.siblings is directory and directory["stages"].siblings is directory


def test_positional_construction_still_works_without_records() -> None:
    service = ContactsService(http())
    assert service.cache is None and service.records is None and service.siblings is None
    with pytest.raises(ConfigurationError, match="client.contacts"):
        service.get(1)


def test_bad_arguments_raise_package_errors() -> None:
    service = ContactsService(http())
    with pytest.raises(InvalidArgumentError):
        service.create({"a": 1}, {"b": 2})
    with pytest.raises(TypeError):  # still a TypeError for code that catches one
        service.create(["not", "a", "dict"])
