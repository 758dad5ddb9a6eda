"""Code written for the official basecrm 1.x client runs unchanged on basecrm_like.

The script below uses only the official client's names, arguments and
idioms; it runs against the mock server with ``import basecrm_like as basecrm``.
"""
from __future__ import annotations

import uuid
from decimal import Decimal
from unittest import mock

import pytest

import basecrm_like as basecrm
from basecrm_like.mock import serve


@pytest.fixture(scope="module")
def server():  # type: ignore[no-untyped-def]
    with serve() as srv:
        yield srv


def test_official_style_script(server) -> None:  # type: ignore[no-untyped-def]
    client = basecrm.Client(access_token=server.token, base_url=server.url)

    coffeeshop = client.contacts.create(name="Coffee Shop", is_organization=True)
    barista = client.contacts.create({"first_name": "Bo", "last_name": "Barista",
                                      "contact_id": coffeeshop.id})
    chemex = client.deals.create(name="Chemex", contact_id=coffeeshop.id, value=99, currency="USD")
    assert isinstance(chemex.value, Decimal) and chemex.value == Decimal("99")
    assert chemex.hot is False

    fetched = client.deals.retrieve(chemex.id)
    fetched.value = Decimal("1000.99")
    updated = client.deals.update(chemex.id, fetched)  # a fetched record sent back
    assert updated.value == Decimal("1000.99")

    assert all(isinstance(d.value, Decimal) for d in client.deals.list(page=1, per_page=5))
    client.associated_contacts.create(chemex.id, contact_id=barista.id, role="involved")
    assert [a.contact_id for a in client.associated_contacts.list(chemex.id)] == [barista.id]
    note = client.notes.create(content="Likes pour-over", resource_type="contact",
                               resource_id=coffeeshop.id)
    assert client.notes.update(note.id, content="Loves pour-over").content == "Loves pour-over"
    me, account = client.users.self(), client.accounts.self()
    assert me.id and me.email and account.id and account.name
    assert [s.id for s in client.stages.list(pipeline_id=client.pipelines.list()[0].id)]

    try:
        client.contacts.create(is_organization=True)
    except basecrm.ResourceError as err:
        assert err.http_status == 422 and err.errors and err.logref
    else:  # pragma: no cover
        pytest.fail("expected a ResourceError")
    try:
        client.contacts.retrieve(10**9)
    except basecrm.RequestError as err:
        assert err.http_status == 404
    else:  # pragma: no cover
        pytest.fail("expected a RequestError")

    assert client.associated_contacts.destroy(chemex.id, barista.id) is True
    assert client.deals.destroy(chemex.id) is True

    seen = []
    sync = basecrm.Sync(client=client, device_uuid=str(uuid.uuid4()))
    sync.fetch(lambda meta, data: seen.append(meta.type) or basecrm.Sync.ACK)
    assert "contact" in seen and "note" in seen


def test_official_module_paths_exist() -> None:
    from basecrm_like.coercion import Coercion
    from basecrm_like.configuration import Configuration
    from basecrm_like.errors import RateLimitError, ResourceError
    from basecrm_like.http_client import HttpClient
    from basecrm_like.services import ContactsService, DealsService
    from basecrm_like.sync import Sync, SyncService

    assert all([Coercion, Configuration, RateLimitError, ResourceError, HttpClient,
                ContactsService, DealsService, Sync, SyncService])


def test_mocked_http_client_sees_the_official_calls() -> None:
    """Users' unit tests mock HttpClient and assert on how services call it."""
    http = mock.Mock(spec=basecrm.HttpClient)
    http.config = basecrm.Configuration(access_token="x" * 64)
    http.get.return_value = (200, {}, {"id": 1, "value": "10"})
    http.post.return_value = (200, {}, {"id": 1, "value": "10"})
    http.put.return_value = (200, {}, {"id": 1, "value": "10"})
    http.delete.return_value = (204, {}, b"")
    deals = basecrm.DealsService(http)

    deals.list(page=2)
    http.get.assert_called_with("/deals", params={"page": 2})
    deals.retrieve(1)
    http.get.assert_called_with("/deals/1")
    deals.create(name="D", contact_id=1, value=10)
    http.post.assert_called_with("/deals", body={"name": "D", "contact_id": 1, "value": "10"})
    deals.update(1, {"name": "E"})
    http.put.assert_called_with("/deals/1", body={"name": "E"})
    assert deals.destroy(1) is True
    http.delete.assert_called_with("/deals/1")
