"""Keeping secrets out of logs, messages and reprs: tokens, cookies, credentials."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from urllib.parse import quote_plus

REDACTED = "<redacted>"
_SECRET_HEADERS = ("authorization", "cookie", "proxy-authorization")


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {k: (REDACTED if k.lower() in _SECRET_HEADERS else v) for k, v in headers.items()}


def redact_secrets(text: str, secrets: Iterable[str]) -> str:
    """``text`` with each secret, as written or form-encoded, replaced by ``<redacted>``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED).replace(quote_plus(secret), REDACTED)
    return text
