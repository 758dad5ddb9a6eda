"""The API's errors as values: what the backend raises when a request cannot be served.

Anything in the backend raises :class:`ApiError` (inside a transaction, which
then rolls back) and the wire layer renders it as the API's error envelope, so
no code formats an error body by hand and every error looks the same.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ErrorItem:
    """One entry of ``errors``. ``field`` is a JSON Pointer into the request
    body (``/data/first_name``) for body errors, or the query parameter's name."""

    code: str
    message: str
    details: str = ""
    resource: str | None = None
    field: str | None = None


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
