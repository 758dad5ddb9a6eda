"""An OAuth2 token: its values, its expiry, and how it is read from and written to JSON."""
from __future__ import annotations

import datetime as _dt
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..http.errors import BadValueError
from .errors import OAuthError

__all__ = ["DEFAULT_LEEWAY", "Token"]

#: seconds before ``expires_at`` at which a token counts as expired and is refreshed
DEFAULT_LEEWAY = 60.0


def well_formed_token(value: object) -> bool:
    """A token is sent in a header: a non-empty string of printable ASCII, no spaces."""
    return isinstance(value, str) and bool(value) and value.isascii() and value.isprintable() \
        and not any(c.isspace() for c in value)


@dataclass
class Token:
    """An OAuth2 access token with its refresh token.

    ``expires_at`` is a Unix timestamp (float seconds, UTC) or None when the
    token does not expire. The repr shows neither token value.
    """

    access_token: str = field(repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    expires_at: float | None = None
    scope: str | None = None
    token_type: str = "bearer"
    #: the lifetime granted, in seconds (``expires_in`` of the answer), if known
    expires_in: float | None = None

    def __post_init__(self) -> None:
        # Checked where a token enters (an answer, a store, your code): a value
        # that cannot be a header would otherwise surface, whole, in some
        # library's error message at the first request.
        for name in ("access_token", "refresh_token"):
            value = getattr(self, name)
            if value is not None and not well_formed_token(value):
                raise BadValueError(f"the {name} holds a character a token cannot hold "
                                 "(whitespace, a line break, a control or non-ASCII character)")

    @classmethod
    def from_response(cls, payload: Mapping[str, Any], now: float | None = None) -> Token:
        """Build a token from the token endpoint's JSON answer."""
        access = payload.get("access_token")
        if not isinstance(access, str) or not access:
            raise OAuthError("invalid_response", "the answer has no access_token", 200)
        token_type = str(payload.get("token_type") or "bearer")
        if token_type.lower() != "bearer":
            raise OAuthError("invalid_response", f"unsupported token_type {token_type!r}", 200)
        expires_in = payload.get("expires_in")
        lifetime: float | None
        try:
            lifetime = float(expires_in) if expires_in is not None else None
        except (TypeError, ValueError):
            lifetime = None
        issued = time.time() if now is None else now
        refresh = payload.get("refresh_token")
        try:
            return cls(
                access_token=access,
                refresh_token=refresh if isinstance(refresh, str) and refresh else None,
                expires_at=issued + lifetime if lifetime is not None else None,
                scope=payload.get("scope") if isinstance(payload.get("scope"), str) else None,
                token_type="bearer",
                expires_in=lifetime,
            )
        except ValueError as exc:
            raise OAuthError("invalid_response", f"the token endpoint's answer is unusable: {exc}",
                             200) from None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Token:
        """The inverse of :meth:`to_dict`; raises ValueError on a malformed entry."""
        if not isinstance(data, Mapping):
            raise BadValueError("a token entry must be a JSON object")
        access = data.get("access_token")
        if not isinstance(access, str) or not access:
            raise BadValueError("a token entry has no access_token")
        expires_at = data.get("expires_at")
        if expires_at is not None and not isinstance(expires_at, (int, float)):
            raise BadValueError("expires_at must be a Unix timestamp or null")
        expires_in = data.get("expires_in")
        return cls(
            access_token=access,
            refresh_token=data.get("refresh_token") or None,
            expires_at=float(expires_at) if expires_at is not None else None,
            scope=data.get("scope"),
            token_type=str(data.get("token_type") or "bearer"),
            expires_in=float(expires_in) if isinstance(expires_in, (int, float)) else None,
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict holding the token values: store it where only you can read it."""
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "expires_at": self.expires_at,
            "scope": self.scope,
            "token_type": self.token_type,
            "expires_in": self.expires_in,
        }

    def expired(self, leeway: float = 0.0, now: float | None = None) -> bool:
        """True when the token expires within ``leeway`` seconds (or already has)."""
        if self.expires_at is None:
            return False
        current = time.time() if now is None else now
        return current >= self.expires_at - leeway

    @property
    def expires_at_datetime(self) -> _dt.datetime | None:
        """``expires_at`` as an aware UTC datetime."""
        if self.expires_at is None:
            return None
        return _dt.datetime.fromtimestamp(self.expires_at, tz=_dt.timezone.utc)

    def __repr__(self) -> str:
        when = self.expires_at_datetime
        expiry = when.isoformat(timespec="seconds") if when else "never"
        refresh = "set" if self.refresh_token else "none"
        return (f"<Token type={self.token_type} scope={self.scope!r} expires_at={expiry} "
                f"access_token=<redacted> refresh_token=<{refresh}>>")

    __str__ = __repr__
