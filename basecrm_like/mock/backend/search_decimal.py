"""Exact decimals in SQL: an order-preserving text key, and sums in 9-digit limbs.

The store keeps a decimal as its exact text (``"12345678901234567.01"``). A cast
to REAL would round it to a double, so searches compare, sort and group by a key
instead: a text whose byte order is the numbers' order, computed by the same
rules in SQL (for the index and the rows) and in Python (for filter values and
cursors)::

    zero      "1"
    positive  "2" + the integer part's digit count (3 digits) + the digits
    negative  "0" + (999 - that count) + the digits as letters, 0 -> "j" ... 9 -> "a", + "~"

Leading zeros of the integer part and trailing zeros of the fraction are
dropped first, so ``1.50`` and ``1.5`` have one key (``terms`` groups them). The
letters reverse the digits' order, and ``~`` closes a negative key: it sorts above
every letter, so ``-12.5`` comes after ``-12.51``. Integer parts of up to 999 digits are covered.

A sum never goes through a float either: each value is cut into 9-digit limbs
(integer part padded to :data:`INTEGER_DIGITS` digits, fraction to
:data:`FRACTION_DIGITS`), SQLite adds each limb column as a 64-bit integer
(no overflow below a billion rows), and Python joins the limb totals with their
carries. Values wider than that are reported by the same query, and the caller
sums those exactly another way.
"""
from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

INTEGER_DIGITS = 45
FRACTION_DIGITS = 27
LIMB = 9
LIMBS = (INTEGER_DIGITS + FRACTION_DIGITS) // LIMB
#: a negative key's digits, reversed in order: 0 -> j ... 9 -> a (letters, so one pass
#: of replacements cannot meet its own output)
_COMPLEMENT_LETTER = dict(zip("0123456789", "jihgfedcba", strict=True))
_COMPLEMENT = str.maketrans(_COMPLEMENT_LETTER)
_UNCOMPLEMENT = str.maketrans("jihgfedcba", "0123456789")


def key(number: Decimal) -> str:
    """The key of a finite decimal (the twin of :func:`key_sql`)."""
    text = format(number, "f")
    whole, _, fraction = text.lstrip("-").partition(".")
    whole, fraction = whole.lstrip("0"), fraction.rstrip("0")
    digits = whole + fraction
    if not digits:
        return "1"
    if text.startswith("-"):
        return f"0{999 - len(whole):03d}{digits.translate(_COMPLEMENT)}~"
    return f"2{len(whole):03d}{digits}"


def from_key(text: str) -> Decimal:
    """The decimal a key stands for (trailing fraction zeros dropped)."""
    if text == "1":
        return Decimal(0)
    negative = text.startswith("0")
    width = 999 - int(text[1:4]) if negative else int(text[1:4])
    digits = text[4:-1].translate(_UNCOMPLEMENT) if negative else text[4:]
    whole, fraction = digits[:width] or "0", digits[width:]
    return Decimal(f"{'-' if negative else ''}{whole}{'.' + fraction if fraction else ''}")


def plain(number: Decimal) -> str:
    """A decimal's exact text without exponent or trailing fraction zeros (``normalize``
    would round it to the context's 28 digits)."""
    text = format(number, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _parts(raw: str) -> tuple[str, str]:
    """SQL for the integer digits (no leading zeros, no sign) and the fraction digits
    (no trailing zeros) of the decimal text ``raw``."""
    dot = f"instr({raw} || '.', '.')"
    return (f"ltrim(substr({raw}, 1, {dot} - 1), '-0')",
            f"rtrim(substr({raw}, {dot} + 1), '0')")


def key_sql(raw: str) -> str:
    """SQL for the key of the decimal text ``raw`` (NULL when ``raw`` is NULL)."""
    whole, fraction = _parts(raw)
    digits = f"({whole} || {fraction})"
    complement = digits
    for digit in "0123456789":
        complement = f"replace({complement}, '{digit}', '{_COMPLEMENT_LETTER[digit]}')"
    return (f"CASE WHEN {digits} = '' THEN '1' "
            f"WHEN substr({raw}, 1, 1) = '-' THEN "
            f"'0' || printf('%03d', 999 - length({whole})) || {complement} || '~' "
            f"ELSE '2' || printf('%03d', length({whole})) || {digits} END")


def limb_sums_select(values: str) -> str:
    """A query adding up the decimal texts in column ``r`` of the query ``values``: the
    signed total of each limb column, then the widest integer and fraction parts seen
    (to tell whether the limbs held every digit; see :func:`join_limbs`). Each text is
    cut up once: the ``LIMIT -1`` keeps SQLite from inlining a subquery (which would
    repeat its string work in every limb)."""
    whole, fraction = _parts("r")
    padded = (f"substr('{'0' * INTEGER_DIGITS}' || {whole}, -{INTEGER_DIGITS}) || "
              f"substr({fraction} || '{'0' * FRACTION_DIGITS}', 1, {FRACTION_DIGITS})")
    sign = "CASE WHEN substr(r, 1, 1) = '-' THEN -1 ELSE 1 END"
    sums = ", ".join(f"sum(s * CAST(substr(p, {1 + i * LIMB}, {LIMB}) AS INTEGER))"
                     for i in range(LIMBS))
    return (f"SELECT {sums}, max(wl), max(fl) FROM (SELECT {padded} AS p, {sign} AS s, "
            f"length({whole}) AS wl, length({fraction}) AS fl FROM ({values} LIMIT -1) "
            "WHERE r IS NOT NULL LIMIT -1)")


def join_limbs(row: Sequence[Any]) -> Decimal | None:
    """The exact total from the row :func:`limb_sums_select` selected; None when a value was
    too wide for the limbs (or there were no values: then the total is 0)."""
    *sums, widest_whole, widest_fraction = row
    if (widest_whole or 0) > INTEGER_DIGITS or (widest_fraction or 0) > FRACTION_DIGITS:
        return None
    total = 0
    for limb in sums:
        total = total * 10 ** LIMB + int(limb or 0)
    return Decimal(f"{total}E-{FRACTION_DIGITS}")  # the constructor never rounds
