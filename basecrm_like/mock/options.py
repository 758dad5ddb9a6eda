"""The mock server's options, declared once.

The command line builds its flags from :data:`MOCK_OPTIONS`, the pytest plugin
its ini settings, and :func:`~basecrm_like.mock.serve` checks its keywords with
:func:`resolve`; so a new option is one entry here plus the code that uses it.

This module imports neither Werkzeug nor waitress: the command line reads it
before it knows whether the ``mock`` extra is installed.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .backend.exposure import check_listener
from .backend.faults import parse_spec
from .backend.oauth import DEFAULT_TOKEN_TTL
from .backend.oauth_clients import parse_oauth_client

__all__ = ["MOCK_OPTIONS", "MockOption", "resolve"]

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
    MockOption("admin_token", ("--admin-token",), str, None,
               "Token the control plane (/_mock/*) requires as 'Authorization: Bearer T'; "
               "required when --host is not a loopback address.", metavar="T",
               parse=_admin_token),
)


OPTION_NAMES = tuple(option.name for option in MOCK_OPTIONS)


def _apply(option: MockOption, value: Any) -> Any:
    """``value`` checked and converted (the default when ``value`` is None)."""
    if value is None:
        return option.default
    parse = option.parse
    if option.multiple:
        items = (value,) if isinstance(value, str) else tuple(value)
        return tuple(parse(item) for item in items) if parse else items
    return parse(value) if parse else value


def resolve(values: Mapping[str, Any]) -> dict[str, Any]:
    """Every option's value for ``serve(**...)``: ``values`` checked and converted,
    defaults for the rest. A ValueError names the flag at fault."""
    for name in values:
        if name not in OPTION_NAMES:
            raise ValueError(f"unknown mock server option {name!r}; the options are "
                             f"{', '.join(OPTION_NAMES)}")
    resolved: dict[str, Any] = {}
    for option in MOCK_OPTIONS:
        try:
            resolved[option.name] = _apply(option, values.get(option.name))
        except ValueError as exc:
            raise ValueError(f"{option.flags[0]}: {exc}") from None
    check_listener(resolved["host"], resolved["admin_token"])
    return resolved
