"""Did-you-mean suggestions for misspelt names (options, attributes, resources)."""
from __future__ import annotations

import difflib
from collections.abc import Iterable


def did_you_mean(name: str, known: Iterable[str]) -> str | None:
    """The known name closest to ``name``, when one is close enough to be a typo."""
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return close[0] if close else None


def suggestion(name: str, known: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` to append to an error message, or ``""``."""
    close = did_you_mean(name, known)
    return f"; did you mean {close!r}?" if close else ""
