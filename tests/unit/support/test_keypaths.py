from __future__ import annotations

from basecrm_like.support import keypaths


def test_split() -> None:
    assert keypaths.split("custom_fields.external.id") == ("custom_fields", "external.id")
    assert keypaths.split("email") == ("email", None)
    assert keypaths.split("address.") == ("address", "")


def test_dig() -> None:
    record = {"address": {"city": "Oslo"}, "email": "a@b.c", "custom_fields": None}
    assert keypaths.dig(record, "address.city") == "Oslo"
    assert keypaths.dig(record, "email") == "a@b.c"
    assert keypaths.dig(record, "custom_fields.x") is None
    assert keypaths.dig(record, "address.zip") is None


def test_nest() -> None:
    out: dict = {}
    keypaths.nest(out, "custom_fields.Segment", "SMB")
    keypaths.nest(out, "custom_fields.Tier", "1")
    keypaths.nest(out, "name", "Ann")
    assert out == {"custom_fields": {"Segment": "SMB", "Tier": "1"}, "name": "Ann"}
