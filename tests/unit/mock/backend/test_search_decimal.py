"""The decimal key: SQL and Python agree, byte order is numeric order, sums are exact."""
from __future__ import annotations

import sqlite3
from decimal import Decimal, localcontext

from hypothesis import given, settings
from hypothesis import strategies as st

from basecrm_like.mock.backend.search_decimal import (
    from_key,
    join_limbs,
    key,
    key_sql,
    limb_sums_select,
)

WIDE = st.builds(lambda digits, places: Decimal(f"{digits}E-{places}"),
                 st.integers(min_value=-10 ** 40, max_value=10 ** 40), st.integers(0, 30))


def _db(values: list[Decimal]) -> sqlite3.Connection:
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE t (x TEXT)")
    db.executemany("INSERT INTO t VALUES (?)", [(format(v, "f"),) for v in values])
    return db


@settings(max_examples=60, deadline=None)
@given(values=st.lists(WIDE, min_size=1, max_size=20))
def test_keys_from_sql_equal_python_and_sort_like_the_numbers(values: list[Decimal]) -> None:
    db = _db(values)
    keys = [row[0] for row in db.execute(f"SELECT {key_sql('x')} FROM t ORDER BY rowid")]
    assert keys == [key(v) for v in values]
    assert [from_key(k) for k in keys] == values
    assert [from_key(k) for k in sorted(keys)] == sorted(values)


FITS = st.builds(lambda digits, places: Decimal(f"{digits}E-{places}"),
                 st.integers(min_value=-10 ** 40, max_value=10 ** 40), st.integers(0, 27))


@settings(max_examples=60, deadline=None)
@given(values=st.lists(FITS, max_size=20))
def test_limb_sums_are_exact(values: list[Decimal]) -> None:
    db = _db(values)
    row = db.execute(limb_sums_select("SELECT x AS r FROM t")).fetchone()
    with localcontext() as wide:
        wide.prec = 200
        assert join_limbs(row) == sum(values, Decimal(0))


def test_a_value_wider_than_the_limbs_is_reported_not_rounded() -> None:
    for wide in (Decimal("1" * 50), Decimal("1E-28")):
        db = _db([Decimal(1), wide])
        row = db.execute(limb_sums_select("SELECT x AS r FROM t")).fetchone()
        assert join_limbs(row) is None


def test_nulls_have_no_key_and_zeros_one() -> None:
    db = sqlite3.connect(":memory:")
    got = [db.execute(f"SELECT {key_sql('x')} FROM (SELECT ? AS x)", (text,)).fetchone()[0]
           for text in (None, "0", "-0.00", "0.000")]
    assert got == [None, "1", "1", "1"]
