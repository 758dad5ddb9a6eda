"""The API's error envelope: how an :class:`~..backend.errors.ApiError` travels."""
from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from werkzeug.wrappers import Response

from ..backend.errors import ErrorItem
from .replies import JSON_TYPE

MORE_INFO = "https://developer.zendesk.com/api-reference/sales-crm/errors/"


def status_line(status: int) -> str:
    """``422`` -> ``"422 Unprocessable Entity"`` (the API sends a string)."""
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


def _item_envelope(item: ErrorItem) -> dict[str, Any]:
    return {
        "error": {
            "code": item.code,
            "message": item.message,
            "details": item.details or item.message,
            "resource": item.resource,
            "field": item.field,
        },
        "meta": {"type": "error", "links": {"more_info": MORE_INFO}},
    }


def error_body(status: int, items: tuple[ErrorItem, ...], logref: str) -> bytes:
    body = {
        "errors": [_item_envelope(item) for item in items],
        "meta": {
            "type": "errors",
            "http_status": status_line(status),
            "logref": logref,
            "links": {"more_info": MORE_INFO},
        },
    }
    return json.dumps(body, separators=(",", ":")).encode("utf-8")


def error_response(status: int, items: tuple[ErrorItem, ...], request_id: str,
                   headers: dict[str, str] | None = None) -> Response:
    response = Response(error_body(status, items, request_id), status=status,
                        content_type=JSON_TYPE)
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response
