from __future__ import annotations

import pytest

from basecrm_like import Error, catalog, resources


def test_compatibility_path_is_the_catalog() -> None:
    assert resources.RESOURCES is catalog.RESOURCES and resources.get is catalog.get


def test_unknown_resource_is_a_package_error_and_a_key_error() -> None:
    with pytest.raises(catalog.UnknownResourceError) as info:
        catalog.get("deal")
    assert isinstance(info.value, Error) and isinstance(info.value, KeyError)
    assert str(info.value) == "no resource 'deal' in the catalog; did you mean 'deals'?"


def test_lookups() -> None:
    assert catalog.by_type("deal") is catalog.get("deals")
    assert catalog.get("line_items").parent_params == ("order_id",)
    assert catalog.get("deals").model_name == "Deal"
    sources = {(res.name, f.name) for res, f in catalog.reverse_links("contacts")}
    assert ("deals", "contact_id") in sources and ("notes", "resource_id") in sources
