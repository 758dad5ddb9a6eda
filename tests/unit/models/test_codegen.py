"""The checked-in record classes are what the generator makes from the catalog."""
from __future__ import annotations

from decimal import Decimal

from basecrm_like import catalog, models
from basecrm_like.models import codegen


def test_generated_module_matches_the_catalog() -> None:
    assert codegen.TARGET.read_text() == codegen.render(), (
        "basecrm_like/models/generated.py drifted from the catalog; "
        "run python -m basecrm_like.models.codegen")


def test_check_mode_reports_drift(capsys) -> None:  # type: ignore[no-untyped-def]
    assert codegen.main(["--check"]) == 0


def test_every_resource_has_a_typed_class() -> None:
    for res in catalog.RESOURCES:
        cls = getattr(models, res.model_name)
        assert cls is models.model_for(res.name)
        hints = cls.__annotations__
        assert set(res.field_names) <= set(hints)
    assert models.Deal.__annotations__["value"] == "Decimal | None"
    assert models.Deal.__annotations__["stage"] == "Stage | None"
    assert models.Contact.__annotations__["deals"] == "Collection[Deal]"
    assert Decimal  # the annotation's name resolves in the generated module
