"""What an API answer or error means for a row, and for the whole run.

A row's failure is a :class:`RowFailure` (its code, message, field, and whether
the write may have been applied anyway); an answer no row can survive (a
refused token, a base URL that is not the API, a server that cannot be reached)
is a :class:`Fatal`, which stops the run with :class:`ImportStopped`.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from ..http import errors
from ..support.errors import Error

__all__ = ["Fatal", "ImportStopped", "RowFailure", "applied", "failure", "fatal_message",
           "field_of", "never_connected", "status_of"]


class RowFailure(Exception):
    """A row's failure, with what to report."""

    def __init__(self, code: str, message: str, field: str | None = None,
                 uncertain: bool = False) -> None:
        super().__init__(message)
        self.code, self.message, self.field, self.uncertain = code, message, field, uncertain


class Fatal(Exception):
    """An answer no row can survive: the whole run stops."""


class ImportStopped(Error):
    """The run stopped on an error no row can survive (a refused token, a wrong URL...).

    ``summary`` holds what was done; the journal is left open for a resume.
    """

    def __init__(self, message: str, summary: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.summary = summary


def never_connected(exc: BaseException) -> bool:
    """Whether no connection could be opened at all (so no request was ever sent)."""
    seen: list[BaseException] = [exc]
    while seen:
        item = seen.pop()
        if isinstance(item, (NewConnectionError, ConnectTimeoutError)):
            return True
        nested = [item.__context__, item.__cause__, getattr(item, "reason", None), *item.args]
        seen += [n for n in nested if isinstance(n, BaseException) and n is not item][:8]
        if len(seen) > 32:
            break
    return False


def fatal_message(exc: errors.BaseError, collection: bool) -> str | None:
    """The message that stops the run for an answer no row can survive, else None."""
    status = exc.http_status
    if status == 401:
        return ("the API refused the access token (401): it is missing, malformed, expired or "
                "revoked; check --token or BASECRM_ACCESS_TOKEN")
    if status == 403:
        return ("the access token may not do this (403): it lacks the scope, or the account "
                "the plan; use a token with write access")
    if status == 404 and collection:
        return ("the API answered 404 on the collection path: the base URL does not point at "
                "the API; check --base-url or BASECRM_BASE_URL")
    return None


def applied(record: Any) -> Any:
    """The record a write answered; an answer that is not one makes the row uncertain."""
    if isinstance(record, Mapping) and record.get("id") is not None:
        return record
    raise RowFailure("not_api_answer", "the server answered success with a body that is not the "
                 "API's JSON record, so whether the write was applied is unknown; check the "
                 "record on the server (and that --base-url points at the API)",
                 uncertain=True)


def status_of(record: Any) -> tuple[str, Any]:
    """created or updated, from an upsert answer's timestamps."""
    created = field_of(record, "created_at")
    return ("created" if created and created == field_of(record, "updated_at") else "updated"), record


def failure(exc: BaseException, uncertain: bool = False, attempts: int = 0) -> RowFailure:
    if isinstance(exc, errors.UnexpectedResponseError):
        code, text, field_ = "unexpected_response", f"HTTP {exc.http_status} but {exc.reason}", None
    elif isinstance(exc, errors.BaseError):
        first = exc.errors[0] if exc.errors else None
        code = (first.code if first and first.code else None) or f"http_{exc.http_status}"
        parts = [p for p in ((first.message, first.details) if first else ()) if p]
        text = " - ".join(dict.fromkeys(str(p) for p in parts)) or f"HTTP {exc.http_status}"
        field_ = first.field if first else None
    else:
        code = "timeout" if isinstance(exc, errors.TimeoutError) else "connection_error"
        text, field_ = str(exc).split("; ")[0], None
    if attempts:
        text = f"{text} (gave up after {attempts} attempts)"
    if uncertain:
        text += ("; the record may or may not have been created, so it was not retried "
                 "(import with a --key to retry safely)")
    return RowFailure(code, text, field_, uncertain)


def field_of(record: Any, name: str) -> Any:
    return record.get(name) if isinstance(record, Mapping) else None
