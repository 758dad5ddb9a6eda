"""``GET /_mock/openapi.json``: the OpenAPI document of what this server serves."""
from __future__ import annotations

from werkzeug.wrappers import Response

from ..backend.store import dumps
from ..openapi import build_document
from .replies import json_reply
from .request import Call
from .routes import Route


def openapi_routes() -> list[Route]:
    """The route, with this app's documents kept per server URL (built once each)."""
    documents: dict[str, str] = {}

    def openapi_document(call: Call) -> Response:
        url = call.request.host_url.rstrip("/")
        if url not in documents:
            documents[url] = dumps(build_document(url))
        return json_reply(200, documents[url])

    return [Route("/_mock/openapi.json", ("GET",), openapi_document, internal=True, public=True,
                  write=False)]
