"""The answers handlers send: JSON bodies in the API's envelopes.

Bodies are built as JSON text around the stored record texts, so reading a
record costs one SQLite lookup and no JSON decoding.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlencode

from werkzeug.wrappers import Request, Response

from ..backend import cursor
from ..backend.query import Listing
from ..backend.store import dumps

JSON_TYPE = "application/json; charset=utf-8"


def json_reply(status: int, body: str | bytes | Mapping[str, Any] | list[Any]) -> Response:
    if isinstance(body, (dict, list)):
        body = dumps(body)
    return Response(body, status=status, content_type=JSON_TYPE)


def empty_reply(status: int) -> Response:
    response = Response(b"", status=status)
    response.headers.remove("Content-Type")
    return response


def single_text(type_: str, raw: str) -> str:
    return f'{{"data":{raw},"meta":{{"type":"{type_}"}}}}'


def single(type_: str, record: str | Mapping[str, Any], status: int = 200) -> Response:
    raw = record if isinstance(record, str) else dumps(record)
    return json_reply(status, single_text(type_, raw))


def page_links(request: Request, page: int, has_next: bool) -> dict[str, str]:
    """``self``, ``first_page`` and, where they apply, ``prev_page`` and ``next_page``."""
    base = request.base_url
    params = [(k, v) for k, v in request.args.items(multi=True) if k != "page"]

    def url(number: int) -> str:
        return f"{base}?{urlencode([*params, ('page', str(number))])}"

    links = {"self": url(page), "first_page": url(1)}
    if page > 1:
        links["prev_page"] = url(page - 1)
    if has_next:
        links["next_page"] = url(page + 1)
    return links


def cursor_links(request: Request, links: dict[str, str], listing: Listing, max_page: int,
                 next_offset: int) -> dict[str, str]:
    """Where page numbers run out (or a cursor is in use), ``next_page`` carries a cursor."""
    if "next_page" in links and (listing.offset is not None or listing.page >= max_page):
        params = [(k, v) for k, v in request.args.items(multi=True) if k not in ("page", "cursor")]
        links = {**links, "next_page": f"{request.base_url}?"
                 f"{urlencode([*params, ('cursor', cursor.encode(next_offset))])}"}
    return links


def items_reply(items: Iterable[str], meta: Mapping[str, Any]) -> Response:
    """A 200 collection of already serialised items."""
    return json_reply(200, f'{{"items":[{",".join(items)}],"meta":{dumps(meta)}}}')


def collection(type_: str, raws: Iterable[str], links: Mapping[str, str]) -> Response:
    items = [single_text(type_, raw) for raw in raws]
    return items_reply(items, {"type": "collection", "count": len(items), "links": links})
