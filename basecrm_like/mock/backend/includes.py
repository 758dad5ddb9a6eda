"""The ``includes`` parameter: accepted only with the names the reference documents.

The reference documents ``GET /v2/contacts/{id}?includes=organization``; the
official clients say notes do not support it "at the moment". Anything else is
refused with the API's 400 ``invalid_param`` rather than silently ignored, so a
client relying on an include that the API would not honour finds out in tests.
The shape in which the real API embeds included records is not documented: the
mock accepts the documented names and answers the record itself.
"""
from __future__ import annotations

from collections.abc import Mapping

from ...catalog import Resource
from .errors import error

#: resource -> include names the reference documents for it
DOCUMENTED: Mapping[str, frozenset[str]] = {"contacts": frozenset({"organization"})}


def check(res: Resource, args: Mapping[str, str]) -> None:
    """400 ``invalid_param`` for an include the reference does not document."""
    value = args.get("includes")
    if value is None:
        return
    allowed = DOCUMENTED.get(res.name, frozenset())
    names = [name.strip() for name in value.split(",") if name.strip()]
    unknown = [name for name in names if name not in allowed]
    if not names or unknown:
        hint = (f"supported here: {', '.join(sorted(allowed))}" if allowed
                else f"{res.name} support no includes at the moment")
        raise error(400, "invalid_param",
                    f"Invalid value of query parameter 'includes': {value!r}", hint,
                    field="includes")
