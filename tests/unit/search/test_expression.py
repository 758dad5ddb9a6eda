"""The --where/--sort language: what it reads, and where it says it went wrong."""
from __future__ import annotations

from decimal import Decimal

import pytest

from basecrm_like.search import ExpressionError, F, parse_sort, parse_where


@pytest.mark.parametrize(("text", "built"), [
    ("decimal_value >= 1000 and stage.id in (1, 2)",
     (F("decimal_value") >= 1000) & F("stage.id").any([1, 2])),
    ("a = 1 or b != 'x' and not c < 2.50",
     (F("a") == 1) | ((F("b") != "x") & ~(F("c") < Decimal("2.50")))),
    ("(a = 1 or b = 2) and c is null", ((F("a") == 1) | (F("b") == 2)) & F("c").is_null()),
    ("c is not null AND name contains \"O'Brien\"",
     F("c").is_null(False) & F("name").contains("O'Brien")),
    ("name starts with 'ac' or hot = true", F("name").starts_with("ac") | (F("hot") == True)),  # noqa: E712
    ("custom_fields.\"Lead score\" > -5", F("custom_fields.Lead score") > -5),
    ("x not in ('a', null)", ~F("x").any(["a", None])),
    ("owner.id == 3", F("owner.id") == 3),
])
def test_reads(text: str, built) -> None:
    assert parse_where(text).to_wire() == built.to_wire()


@pytest.mark.parametrize(("text", "column", "words"), [
    ("decimal_value >= and hot = true", 18, "expected a value"),
    ("a = 1 and", 10, "expected an attribute name, found the end"),
    ("a = 1 b = 2", 7, "expected 'and', 'or' or the end"),
    ("(a = 1", 7, "expected ')'"),
    ("a ~ 1", 3, "unexpected character '~'"),
    ("a in 1", 6, "expected '('"),
    ("a contains 3", 12, "takes a quoted text"),
    ("a starts 'x'", 10, "expected 'with'"),
    ("a is 3", 6, "expected 'null'"),
    ("   ", 1, "empty"),
])
def test_errors_point_at_the_column(text: str, column: int, words: str) -> None:
    with pytest.raises(ExpressionError) as info:
        parse_where(text)
    assert info.value.column == column
    assert words in str(info.value)
    lines = str(info.value).splitlines()
    assert lines[1] == f"  {text}" and lines[2] == "  " + " " * (column - 1) + "^"


def test_sort() -> None:
    assert parse_sort("updated_at:desc, name") == [("updated_at", "desc"), ("name", "asc")]
    with pytest.raises(ExpressionError) as info:
        parse_sort("id:up")
    assert info.value.column == 4
    with pytest.raises(ExpressionError) as info:
        parse_sort("id,,name")
    assert info.value.column == 4
