"""The API's error envelope, and the exception handlers raise to produce it.

Handlers raise :class:`ApiError` anywhere (inside a transaction, which then
rolls back) and the app turns it into the envelope, so no handler formats an
error body by hand and every error looks the same on the wire.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

MORE_INFO = "https://developer.zendesk.com/api-reference/sales-crm/errors/"


@dataclass(frozen=True)
class ErrorItem:
    """One entry of ``errors``. ``field`` is a JSON Pointer into the request
    body (``/data/first_name``) for body errors, or the query parameter's name."""

    code: str
    message: str
    details: str = ""
    resource: str | None = None
    field: str | None = None

    def envelope(self) -> dict[str, Any]:
        return {
            "error": {
                "code": self.code,
                "message": self.message,
                "details": self.details or self.message,
                "resource": self.resource,
                "field": self.field,
            },
            "meta": {"type": "error", "links": {"more_info": MORE_INFO}},
        }


class ApiError(Exception):
    """An error answer: a status, one or more items, and optional extra headers."""

    def __init__(self, status: int, *items: ErrorItem, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status} {items[0].code if items else ''}: "
                         f"{items[0].message if items else ''}")
        self.status = status
        self.items = items
        self.headers = headers or {}


def error(status: int, code: str, message: str, details: str = "", *,
          resource: str | None = None, field: str | None = None,
          headers: dict[str, str] | None = None) -> ApiError:
    """Shorthand for the common single-item error."""
    return ApiError(status, ErrorItem(code, message, details, resource, field), headers=headers)


def status_line(status: int) -> str:
    """``422`` -> ``"422 Unprocessable Entity"`` (the API sends a string)."""
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


def error_body(status: int, items: tuple[ErrorItem, ...], logref: str) -> bytes:
    body = {
        "errors": [item.envelope() for item in items],
        "meta": {
            "type": "errors",
            "http_status": status_line(status),
            "logref": logref,
            "links": {"more_info": MORE_INFO},
        },
    }
    return json.dumps(body, separators=(",", ":")).encode("utf-8")
