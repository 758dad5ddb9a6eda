"""mypy catches a misspelt client option and a wrong record type, as the typed options promise."""
from __future__ import annotations

from pathlib import Path

import pytest

mypy_api = pytest.importorskip("mypy.api")

ROOT = Path(__file__).resolve().parents[2]

MISTAKES = '''
import basecrm_like
from basecrm_like.models import Deal

client = basecrm_like.Client(acces_token="t")
def name_of(deal: Deal) -> int:
    return deal.name
'''


def test_mypy_flags_a_misspelt_option_and_a_wrongly_typed_attribute() -> None:
    out, _, status = mypy_api.run(["--config-file", str(ROOT / ".mypy.ini"), "-c", MISTAKES])
    assert status == 1
    assert 'Unexpected keyword argument "acces_token"' in out
    assert 'Incompatible return value type (got "str | None", expected "int")' in out
