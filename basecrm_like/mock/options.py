"""The mock server's options, declared once.

The command line builds its flags from :data:`MOCK_OPTIONS`, the pytest plugin
its ini settings, and :func:`~basecrm_like.mock.serve` checks its keywords with
:func:`resolve`; so a new option is one entry here plus the code that uses it.

This module imports neither Werkzeug nor waitress: the command line reads it
before it knows whether the ``mock`` extra is installed.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..support.errors import Error
from ..support.suggest import suggestion
from .backend.dbcheck import DatabaseProblem
from .backend.events import DEFAULT_RETENTION
from .backend.exposure import check_listener
from .backend.faults import parse_spec
from .backend.oauth import DEFAULT_TOKEN_TTL
from .backend.oauth_clients import parse_oauth_client

__all__ = ["MOCK_OPTIONS", "MockConfigurationError", "MockDatabaseError", "MockOption",
           "UnknownMockOptionError", "resolve"]


class MockConfigurationError(Error, ValueError):
    """An option of the mock server is invalid or conflicts with another, caught before it starts.

    The same options are ``serve()`` keywords, ``basecrm-like mock`` flags and pytest
    ini settings, so the message names the flag (``--port: ...``) and says what it
    accepts; ``option`` is the keyword (``"port"``), or None when options conflict.
    Also a ``ValueError``, as these errors always were.
    """

    def __init__(self, message: str, option: str | None = None) -> None:
        super().__init__(message)
        self.option = option


class UnknownMockOptionError(MockConfigurationError, TypeError):
    """A name that is no mock server option (``serve(prot=1)``); also the ``TypeError``
    Python raises for an unexpected keyword argument."""


class MockDatabaseError(MockConfigurationError, DatabaseProblem):
    """``db`` names a file the mock cannot serve (not a database, damaged, read-only, in a
    missing directory); the message says which."""

#: the port the command line listens on unless told otherwise (``serve()`` picks a free one)
DEFAULT_PORT = 8765
DEFAULT_THREADS = 8
MAX_THREADS = 64


@dataclass(frozen=True)
class MockOption:
    """One option: the keyword of ``serve()``, its command-line flags and its check.

    ``parse`` turns a given value into the one ``serve()`` uses and raises
    ValueError with a message that reads well after the flag's name; it is not
    applied to ``None`` (meaning "not set"), and applies to each item of a
    ``multiple`` option.
    """

    name: str
    flags: tuple[str, ...]
    type: type
    default: Any
    help: str
    metavar: str | None = None
    multiple: bool = False
    parse: Callable[[Any], Any] | None = None


def _within(low: float, high: float | None = None, *, low_open: bool = False) -> Callable[[Any], Any]:
    """A parse function accepting numbers in ``[low, high]`` (``(low, high]`` when open)."""
    def check(value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"{value!r} is not a number")
        too_low = value <= low if low_open else value < low
        if too_low or (high is not None and value > high):
            bound = f"greater than {low:g}" if low_open else f"at least {low:g}"
            limit = f" and at most {high:g}" if high is not None else ""
            raise ValueError(f"{value!r} is out of range: it must be {bound}{limit}")
        return value
    return check


def _existing_file(value: Any) -> Any:
    if not os.path.isfile(value):
        raise ValueError(f"{value!r} is not a file")
    return value


def _http_url(value: Any) -> Any:
    if not str(value).startswith(("http://", "https://")):
        raise ValueError(f"{value!r} is not an http(s) URL")
    return str(value).rstrip("/")


def check_modes(settings: Mapping[str, Any]) -> None:
    """Recording, replaying and comparing exclude each other; recording needs a file."""
    modes = [f"--{name.replace('_', '-')}" for name in ("record_from", "replay", "compare")
             if settings.get(name)]
    if len(modes) > 1:
        raise ValueError(f"{' and '.join(modes)} cannot be combined; use one at a time")
    if settings.get("record_from") and not settings.get("cassette"):
        raise ValueError("--record-from needs --cassette FILE to record into")
    if settings.get("cassette") and not settings.get("record_from"):
        raise ValueError("--cassette is the file that --record-from records into")


def _admin_token(value: Any) -> str:
    if not isinstance(value, str) or len(value) < 16 or not value.isprintable() \
            or any(c.isspace() for c in value):
        raise ValueError("an admin token is at least 16 printable characters, no spaces")
    return value


MOCK_OPTIONS: tuple[MockOption, ...] = (
    MockOption("host", ("--host",), str, "127.0.0.1", "Address to listen on."),
    MockOption("port", ("--port",), int, DEFAULT_PORT,
               "Port to listen on; 0 picks a free one (the ready line shows it).",
               parse=_within(0, 65535)),
    MockOption("tokens", ("--token",), str, (),
               "Accepted access token (repeatable). Default: the development token "
               "basecrm_like.mock.DEV_TOKEN.", metavar="T", multiple=True),
    MockOption("db", ("--db",), str, None,
               "SQLite file keeping the data across restarts. Default: in memory.",
               metavar="PATH"),
    MockOption("rate_limit", ("--rate-limit",), float, None,
               "Requests per second per token (burst R); over it: 429.", metavar="R",
               parse=_within(0, low_open=True)),
    MockOption("faults", ("--faults",), str, None,
               "Injected faults, e.g. error=0.1,drop=0.05,latency=0.02.", metavar="SPEC",
               parse=parse_spec),
    MockOption("fault_seed", ("--fault-seed",), int, None,
               "Seed of the fault injection RNG, for reproducible runs.", metavar="N"),
    MockOption("seed", ("--seed",), int, 0,
               "Create N realistic contacts, leads and deals at startup and on reset.",
               metavar="N", parse=_within(0)),
    MockOption("threads", ("--threads",), int, DEFAULT_THREADS, "Worker threads serving requests.",
               parse=_within(1, MAX_THREADS)),
    MockOption("oauth_clients", ("--oauth-client",), str, (),
               "Accepted OAuth app (repeatable; ID:SECRET:REDIRECT_URI pins its redirect URI). "
               "Default: basecrm_like.mock.DEV_OAUTH_CLIENT.", metavar="ID:SECRET",
               multiple=True, parse=parse_oauth_client),
    MockOption("token_ttl", ("--token-ttl",), float, DEFAULT_TOKEN_TTL,
               "Lifetime of OAuth access tokens.", metavar="SECONDS",
               parse=_within(0, low_open=True)),
    MockOption("access_log", ("--verbose",), bool, False,
               "Log every request with its status and duration (logger "
               "basecrm_like.mock.access)."),
    MockOption("firehose_retention", ("--firehose-retention",), float, DEFAULT_RETENTION,
               "Seconds the Firehose stream keeps events; a position older than that "
               "gets 410 position_expired. Default: 72 hours.", metavar="SECONDS",
               parse=_within(0, low_open=True)),
    MockOption("record_from", ("--record-from",), str, None,
               "Forward every API request to this base URL (a real account) and record "
               "the exchanges, secrets scrubbed, into --cassette.", metavar="URL",
               parse=_http_url),
    MockOption("cassette", ("--cassette",), str, None,
               "The file --record-from records into.", metavar="FILE"),
    MockOption("replay", ("--replay",), str, None,
               "Answer API requests from this recorded file instead of the mock's data.",
               metavar="FILE", parse=_existing_file),
    MockOption("compare", ("--compare",), str, None,
               "Send this recorded file's requests to the mock, print where its answers "
               "differ in status or shape from the recording, and exit (1 on drift).",
               metavar="FILE", parse=_existing_file),
    MockOption("admin_token", ("--admin-token",), str, None,
               "Token the control plane (the /_mock/ paths) requires as 'Authorization: Bearer T'; "
               "required when --host is not a loopback address.", metavar="T",
               parse=_admin_token),
)


OPTION_NAMES = tuple(option.name for option in MOCK_OPTIONS)


#: what a value of each option type must be, in words
KINDS = {str: "text", int: "a whole number", float: "a number", bool: "true or false"}


def _of_type(option: MockOption, value: Any) -> Any:
    """``value`` when it has the option's type (a whole number is a fine float)."""
    wanted = option.type
    fits = isinstance(value, wanted) and (wanted is bool or not isinstance(value, bool))
    if wanted is float and isinstance(value, int) and not isinstance(value, bool):
        fits = True
    if not fits:
        raise ValueError(f"expected {KINDS.get(wanted, wanted.__name__)}, got {value!r} "
                         f"({type(value).__name__})")
    return value


def _token(value: Any) -> str:
    if not isinstance(value, str) or not value or any(c.isspace() for c in value):
        raise ValueError(f"{value!r} is not a token: a token is non-empty text without spaces")
    return value


def _apply(option: MockOption, value: Any) -> Any:
    """``value`` checked and converted (the default when ``value`` is None)."""
    if value is None:
        return option.default
    parse = option.parse or (_token if option.name == "tokens" else None)
    if option.multiple:
        if isinstance(value, str):
            items: tuple[Any, ...] = (value,)
        elif isinstance(value, (list, tuple, set, frozenset)):
            items = tuple(value)
        else:
            raise ValueError(f"expected one value or a list of values, got {value!r} "
                             f"({type(value).__name__})")
        return tuple(_parsed(option, parse, item) for item in items) if parse else items
    if parse is None:
        return _of_type(option, value)
    return _parsed(option, parse, value)


def _parsed(option: MockOption, parse: Callable[[Any], Any], value: Any) -> Any:
    """``parse(value)``; a value of the wrong kind is a ValueError saying what was expected."""
    try:
        return parse(value)
    except (TypeError, AttributeError):
        raise ValueError(f"expected {KINDS.get(option.type, option.type.__name__)}, got "
                         f"{value!r} ({type(value).__name__})") from None


def unknown_option(name: str) -> UnknownMockOptionError:
    return UnknownMockOptionError(
        f"{name!r} is no mock server option{suggestion(name, OPTION_NAMES)} (the options are "
        f"{', '.join(OPTION_NAMES)})", name)


def resolve(values: Mapping[str, Any]) -> dict[str, Any]:
    """Every option's value for ``serve(**...)``: ``values`` checked and converted,
    defaults for the rest. A :class:`MockConfigurationError` names the flag at fault."""
    for name in values:
        if name not in OPTION_NAMES:
            raise unknown_option(name)
    resolved: dict[str, Any] = {}
    for option in MOCK_OPTIONS:
        try:
            resolved[option.name] = _apply(option, values.get(option.name))
        except ValueError as exc:
            raise MockConfigurationError(f"{option.flags[0]}: {exc}", option.name) from None
    try:
        check_modes(resolved)
        check_listener(resolved["host"], resolved["admin_token"])
    except ValueError as exc:
        raise MockConfigurationError(str(exc)) from None
    return resolved
