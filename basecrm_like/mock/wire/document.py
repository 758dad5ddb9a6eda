"""``GET /_mock/openapi.json``: the OpenAPI document of what this server serves."""
from __future__ import annotations

from functools import cache

from werkzeug.wrappers import Response

from ..backend.store import dumps
from ..openapi import build_document
from .replies import json_reply
from .request import Call
from .routes import Route


@cache
def _document(server_url: str) -> str:
    return dumps(build_document(server_url))


def openapi_document(call: Call) -> Response:
    """The document, with this server as its server URL."""
    return json_reply(200, _document(call.request.host_url.rstrip("/")))


def openapi_routes() -> list[Route]:
    return [Route("/_mock/openapi.json", ("GET",), openapi_document, internal=True, public=True,
                  write=False)]
