"""The ``includes`` parameter: the names the catalog documents are embedded, the rest refused.

:mod:`basecrm_like.catalog.includes` says which names each resource accepts and
where that is documented. A documented name adds one attribute to each record's
``data``: the related record (``null`` when there is none) or the list of related
records (:mod:`.embedding` adds them). Anything else is the API's 400
``invalid_param``, so a client relying on an include the API would not honour
finds out in tests.
"""
from __future__ import annotations

from collections.abc import Mapping

from ...catalog import Include, Resource, includes_of
from ...catalog.includes import NOT_SUPPORTED
from .errors import error


def check(res: Resource, args: Mapping[str, str]) -> tuple[Include, ...]:
    """The includes asked for, in the order given; 400 ``invalid_param`` for any other name."""
    value = args.get("includes")
    if value is None:
        return ()
    known = {inc.name: inc for inc in includes_of(res)}
    names = [name.strip() for name in value.split(",") if name.strip()]
    unknown = [name for name in names if name not in known]
    if not names or unknown:
        if known:
            hint = f"supported here: {', '.join(known)}"
        elif res.name in NOT_SUPPORTED:
            hint = f"{res.name} support no includes at the moment"
        else:
            hint = f"{res.name} take no includes"
        raise error(400, "invalid_param",
                    f"Invalid value of query parameter 'includes': {value!r}", hint,
                    field="includes")
    return tuple(known[name] for name in dict.fromkeys(names))
