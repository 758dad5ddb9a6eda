"""What a handler gets (:class:`Call`) and the helpers it answers with.

Bodies are built as JSON text around the stored record texts, so reading a
record costs one SQLite lookup and no JSON decoding.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from werkzeug.wrappers import Request, Response

from ..resources import Resource
from .errors import error
from .store import Store, dumps
from .validation import parse_envelope

if TYPE_CHECKING:
    from .app import MockApp

JSON_TYPE = "application/json; charset=utf-8"
MAX_BODY = 1024 * 1024
_UNSET = object()


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def parse_json(raw: bytes) -> Any:
    """Strict JSON: no NaN/Infinity, no lone surrogates, bounded nesting.

    Anything accepted here can be stored and sent back as valid UTF-8 JSON, so a
    client cannot make a later answer fail.
    """
    try:
        value = json.loads(raw, parse_constant=_no_constants)
        dumps(value).encode("utf-8")
    except RecursionError:
        raise ValueError("nested too deeply") from None
    except UnicodeError as exc:
        raise ValueError(f"not valid UTF-8 text ({exc})") from None
    return value


@dataclass
class Call:
    """One request on its way through a handler."""

    app: MockApp
    request: Request
    values: dict[str, Any]
    request_id: str
    store: Store
    resource: Resource | None = None
    user_id: int = 1
    token: str | None = None
    _body: Any = field(default=_UNSET, repr=False)

    @property
    def args(self) -> dict[str, str]:
        """Query parameters, first value of each."""
        return {key: self.request.args[key] for key in self.request.args}

    def raw_body(self) -> bytes:
        length = self.request.content_length
        if length is not None and length > MAX_BODY:
            raise error(413, "request_too_large", "Request body too large",
                        f"The body has {length} bytes; the limit is {MAX_BODY} bytes (1 MB). "
                        "Send fewer records per request.")
        data = self.request.get_data(cache=True)
        if len(data) > MAX_BODY:
            raise error(413, "request_too_large", "Request body too large",
                        f"The limit is {MAX_BODY} bytes (1 MB).")
        return data

    def body(self) -> Any:
        """The decoded JSON body (None when empty), or 400 ``invalid_payload``."""
        if self._body is _UNSET:
            raw = self.raw_body()
            if not raw.strip():
                self._body = None
            else:
                try:
                    self._body = parse_json(raw)
                except ValueError as exc:
                    raise error(400, "invalid_payload", "The request body is not valid JSON",
                                f"Could not parse the body as JSON: {exc}") from None
        return self._body

    def data(self) -> dict[str, Any]:
        """The ``data`` object of the body, or 400 ``invalid_payload``."""
        return parse_envelope(self.body())


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


def collection(type_: str, raws: Iterable[str], links: Mapping[str, str]) -> Response:
    items = [single_text(type_, raw) for raw in raws]
    meta = dumps({"type": "collection", "count": len(items), "links": links})
    return json_reply(200, f'{{"items":[{",".join(items)}],"meta":{meta}}}')
