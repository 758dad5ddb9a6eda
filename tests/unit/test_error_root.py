"""Bad arguments raise the package's own errors, which one ``except basecrm_like.Error`` catches
and which stay the ``ValueError``/``TypeError`` older code catches."""
from __future__ import annotations

import pytest

import basecrm_like
from basecrm_like.oauth import Token
from basecrm_like.ratelimit import TokenBucket


def test_bad_values_are_errors_of_the_package_and_value_errors(client: basecrm_like.Client) -> None:
    calls = [
        lambda: client.contacts.upsert({}, last_name="x"),
        lambda: TokenBucket(-1),
        lambda: list(client.contacts.iterate(per_page=0)),
        lambda: Token(access_token="a\nb"),
        lambda: client.contacts.list(emial="x"),
        lambda: client.deals.create(name="x", value="abc"),
    ]
    for call in calls:
        with pytest.raises(basecrm_like.Error) as caught:
            call()
        assert isinstance(caught.value, ValueError), caught.value
