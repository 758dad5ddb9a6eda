"""Cursor paging for lists whose ``page`` is capped (lead conversions stop at page 50).

A cursor is an opaque token that the answer's ``next_page`` link carries once
page numbers run out; it encodes the offset of the next page, so a client that
follows ``next_page`` never needs to know which kind of link it got.
"""
from __future__ import annotations

import base64
import json

from .errors import ApiError, error


def encode(offset: int) -> str:
    text = json.dumps({"offset": offset}, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode(token: str) -> int:
    """The offset a cursor stands for, or 400 ``invalid_param``."""
    try:
        padded = token.strip() + "=" * (-len(token.strip()) % 4)
        offset = json.loads(base64.urlsafe_b64decode(padded.encode()))["offset"]
    except (ValueError, KeyError, TypeError, UnicodeError):
        raise _bad(token) from None
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise _bad(token)
    return offset


def _bad(token: str) -> ApiError:
    return error(400, "invalid_param", f"Invalid value of query parameter 'cursor': {token!r}",
                 "Use the cursor from a previous answer's meta.links.next_page.", field="cursor")


def page_capped(max_page: int) -> ApiError:
    return error(400, "invalid_param",
                 f"Invalid value of query parameter 'page': at most {max_page}",
                 f"Pages beyond {max_page} are reached with the cursor that "
                 "meta.links.next_page carries.", field="page")
