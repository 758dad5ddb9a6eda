"""Errors of the Firehose consumer: a position the stream no longer (or never) knew,
and a checkpoint store that cannot be used."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..http import errors

__all__ = ["CheckpointStoreError", "PositionError", "PositionExpiredError"]

RESYNC_HINT = (
    "the events after it are gone, so the local copy cannot be brought up to date from the "
    "stream: do a full resync (load every record through the /v2 lists, e.g. "
    "`basecrm-like sync --via firehose` into a new mirror), then read the stream again "
    "from position='tail' and drop the saved position (delete the --state file or the "
    "checkpoint store's entry)")


class PositionError(errors.RequestError):
    """The stream refused a position: not one of its own (corrupt or for another
    resource). ``resource`` and ``position`` say which; the hint says what to do."""

    reason = ("the stream does not know this position (it may be corrupt or belong to "
              "another resource)")

    def __init__(self, http_status: int, logref: str | None = None,
                 errors: Iterable[Mapping[str, Any]] | None = None,
                 headers: Mapping[str, str] | None = None,
                 body_excerpt: str | None = None, *, resource: str = "",
                 position: str = "") -> None:
        self.resource = resource
        self.position = position
        super().__init__(http_status, logref, errors, headers, body_excerpt)

    @classmethod
    def from_error(cls, exc: errors.BaseError, resource: str, position: str) -> PositionError:
        return cls(exc.http_status, exc.logref, [dict(e) for e in exc.errors], exc.headers,
                   exc.body_excerpt, resource=resource, position=position)

    def _message(self) -> str:
        return (f"Firehose position {self.position!r} of {self.resource}: {self.reason}; "
                f"{RESYNC_HINT}. ({super()._message()})")


class PositionExpiredError(PositionError):
    """The position is older than the stream's retention (72 hours on the real API):
    a full resync is needed."""

    reason = "it is older than the stream's retention"


class CheckpointStoreError(errors.ConfigurationError):
    """A checkpoint store could not be read or written (corrupt file, permissions)."""
