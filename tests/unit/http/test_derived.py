"""Derived clients: their settings, what they share with the parent, what they make late."""
from __future__ import annotations

from typing import Any

import pytest

import basecrm_like
from basecrm_like.errors import ConfigurationError
from basecrm_like.http.config import Configuration
from basecrm_like.http.derived import CHECKS, derived_config
from basecrm_like.http.exchange import RequestEvent

TOKEN = "d" * 64


def parent(**options: Any) -> basecrm_like.Client:
    return basecrm_like.Client(access_token=TOKEN, base_url="http://api.test", tracing=False,
                               **options)


def test_derived_config_copies_and_leaves_the_parent() -> None:
    config = Configuration(access_token=TOKEN, base_url="http://api.test", headers={"A": "1"})
    config.validate()
    derived = derived_config(config, timeout=4, max_retries=0)
    assert (derived.timeout, derived.max_retries) == (4, 0)
    assert (config.timeout, config.max_retries) == (30, 3)
    assert derived.headers == {"A": "1"} and derived.access_token == TOKEN
    assert vars(derived).keys() == vars(config).keys()
    derived.user_agent = "other"
    assert config.user_agent != "other"


@pytest.mark.parametrize(("option", "value", "message"), [
    ("timeout", -1, "timeout must be a positive number"),
    ("timeout", float("inf"), "timeout must be a finite number"),
    ("max_retries", -2, "max_retries must be a whole number"),
    ("max_retries", True, "max_retries must be a whole number"),
    ("headers", {"X-Team": 5}, "headers must map header names to strings"),
])
def test_each_changed_option_is_checked(option: str, value: Any, message: str) -> None:
    client = parent()
    with pytest.raises(ConfigurationError, match=message):
        client.with_options(**{option: value})
    assert option in CHECKS


def test_a_derived_client_shares_what_it_can_and_makes_the_rest_on_first_use() -> None:
    client = parent(hooks={"request": [lambda event: None]})
    derived = client.with_options(timeout=5)
    assert derived.http_client.hooks is client.http_client.hooks
    assert derived.http_client.session is client.http_client.session
    assert derived.cache is client.cache and derived._records is client._records
    # nothing made before it is asked for
    assert not {"sync", "bulk", "search", "firehose", "contacts"} & vars(derived).keys()
    contacts = derived.contacts
    assert contacts.http_client is derived.http_client
    assert contacts is not client.contacts and client.contacts.http_client is client.http_client
    assert derived.contacts is contacts and vars(derived)["contacts"] is contacts
    for name in ("sync", "bulk", "search", "firehose"):
        made = getattr(derived, name)
        assert getattr(derived, name) is made
        assert made.http_client is derived.http_client
    assert derived.bulk.services["contacts"] is contacts


def test_added_hooks_are_merged_not_shared() -> None:
    seen: list[str] = []
    client = parent(hooks={"request": [lambda event: seen.append("parent")]})
    derived = client.with_options(hooks={"request": [lambda event: seen.append("derived")]})
    assert derived.http_client.hooks is not client.http_client.hooks
    assert repr(derived.http_client.hooks) == "<Hooks request=2>"
    assert repr(client.http_client.hooks) == "<Hooks request=1>"
    derived.http_client.hooks.emit(RequestEvent("request", "GET", "http://api.test/v2/x"))
    assert seen == ["parent", "derived"]
