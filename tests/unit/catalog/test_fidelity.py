"""The record of what was checked against the reference stays in step with the catalog."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from basecrm_like.catalog import CATALOG, INCLUDES, RESOURCES
from basecrm_like.catalog.fidelity import FIDELITY, source_url

ROOT = Path(__file__).resolve().parents[3]


def test_every_resource_says_what_it_was_checked_against() -> None:
    assert set(FIDELITY) == set(CATALOG)
    assert all(entry.sources for entry in FIDELITY.values())


@pytest.mark.parametrize("name", sorted(FIDELITY))
def test_guessed_attributes_are_attributes_of_the_resource(name: str) -> None:
    fields = CATALOG[name].field_names
    assert [g for g in FIDELITY[name].guessed if g not in fields] == []


def test_includes_point_at_catalog_resources_and_fields() -> None:
    for name, includes in INCLUDES.items():
        for inc in includes:
            assert inc.target in CATALOG, inc
            assert inc.name not in CATALOG[name].field_names, inc   # never hides an attribute
            if not inc.many:
                assert CATALOG[name].field(inc.via) is not None, inc
            else:
                assert CATALOG[inc.target].parent_params, inc
            assert "includes" in CATALOG[name].filters


def test_reference_sources_are_links() -> None:
    assert source_url("ref:firehose/stages").startswith("https://developer.zendesk.com/")
    assert source_url("clients") == "clients"


def test_the_guide_table_lists_every_resource() -> None:
    spec = importlib.util.spec_from_file_location("fidelity_table",
                                                  ROOT / "docs" / "fidelity_table.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    table = module.rst()
    for res in RESOURCES:
        assert f"``{res.name}``" in table
    assert "``choices``" in table and "includes: ``organization``" in table
    guide = (ROOT / "docs" / "guides" / "mock.rst").read_text()
    assert ".. include:: ../_generated/fidelity.rst" in guide


def test_resources_without_a_reference_page_say_so() -> None:
    unreferenced = [name for name, entry in FIDELITY.items()
                    if not any(source.startswith("ref:") for source in entry.sources)]
    assert [n for n in unreferenced if "no reference page" not in FIDELITY[n].note] == []
