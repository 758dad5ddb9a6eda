"""Checks of option values that look valid by type but fail at the first request,
so that :meth:`Configuration.validate` refuses them at construction instead."""
from __future__ import annotations

import math
import re
from typing import Any
from urllib.parse import urlsplit

from .errors import ConfigurationError
from .redaction import redact_url_credentials

#: what a header value may not hold: a CR/LF would end the header (or forge another)
_HEADER_BREAKERS = re.compile(r"[\x00-\x1f\x7f]")


def check_explicit_base_url(options: dict[str, Any]) -> None:
    """An empty ``base_url`` given on purpose must not quietly mean production."""
    if "base_url" in options and isinstance(options["base_url"], str) \
            and not options["base_url"].strip():
        raise ConfigurationError(
            "base_url is empty; pass the API's URL (https://api.getbase.com), a mock "
            "server's URL, or leave the option out for the default")


def check_url_port(url: Any) -> None:
    """A port outside 1-65535 or not a number (``:99999``, ``:abc``)."""
    if not isinstance(url, str):
        return
    try:
        port = urlsplit(url).port
    except ValueError:
        port = -1
    if port is not None and not 1 <= port <= 65535:
        raise ConfigurationError(
            f"base_url has an invalid port: {redact_url_credentials(url)!r}; a port is a "
            "number from 1 to 65535")
    host = urlsplit(url).hostname
    if not host:
        raise ConfigurationError(
            f"base_url names no host: {redact_url_credentials(url)!r}")


def check_finite_timeout(timeout: Any) -> None:
    values = timeout if isinstance(timeout, tuple) else (timeout,)
    if any(isinstance(v, float) and not math.isfinite(v) for v in values):
        raise ConfigurationError(
            f"timeout must be a finite number of seconds, got {timeout!r}; a call must end")


def check_backoff(backoff_factor: Any) -> None:
    if isinstance(backoff_factor, float) and not math.isfinite(backoff_factor):
        raise ConfigurationError(
            f"backoff_factor must be a finite number of seconds >= 0, got {backoff_factor!r}")


def check_header_value(name: str, value: Any) -> None:
    if isinstance(value, str) and _HEADER_BREAKERS.search(value):
        raise ConfigurationError(
            f"{name} contains a control character (such as a line break); it is sent as an "
            "HTTP header, which cannot hold one")


def check_bool(name: str, value: Any) -> None:
    """``verbose="false"`` is truthy; only real booleans say what they mean."""
    if not isinstance(value, bool):
        raise ConfigurationError(f"{name} must be True or False, got {value!r}")


def check_token_characters(name: str, token: Any) -> None:
    """A token is sent in a header: printable ASCII without spaces. The message never
    quotes the token."""
    if isinstance(token, str) and (not token.isascii() or not token.isprintable()
                                   or any(c.isspace() for c in token)):
        raise ConfigurationError(
            f"{name} contains a character a token cannot hold (whitespace, a line break, a "
            "control or non-ASCII character); copy the token again")
