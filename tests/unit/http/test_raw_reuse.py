"""Raw responses made once per service and answered without copies or second parses."""
from __future__ import annotations

from typing import Any

import pytest

import basecrm_like
from basecrm_like.http import exchange


def test_raw_actions_are_made_once_and_meta_is_parsed_once(server: Any,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    client = basecrm_like.Client(access_token=server.token, base_url=server.url)
    raw = client.contacts.with_raw_response
    assert client.contacts.with_raw_response is raw and raw.retrieve is raw.retrieve
    assert raw.retrieve.__name__ == "retrieve"  # still the action's name and help
    created = raw.create(last_name="Once")
    parses: list[bytes] = []
    real = exchange.decode_json

    def counted(content: bytes) -> Any:
        parses.append(content)
        return real(content)

    monkeypatch.setattr(exchange, "decode_json", counted)
    assert created.meta["type"] == "contact" and created.meta["type"] == "contact"
    assert len(parses) == 1
    page = raw.list(per_page=2)
    assert isinstance(page.data, list) and [r.id for r in page.data] == \
        [r.id for r in client.contacts.list(per_page=2)]
    assert page.meta["type"] == "collection" and len(parses) == 2
