"""The settings of a client derived with ``with_options``: its parent's, a few changed.

A derived client can be made for a single call
(``client.with_options(timeout=5).contacts.retrieve(1)``), so making one must
cost little next to the call: the parent's configuration is copied in one
dictionary update, and only the options that changed are checked again (the
others were checked when the parent was made).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .config import Configuration

#: the options ``with_options`` changes, and the check of each
CHECKS: dict[str, Callable[[Configuration], None]] = {
    "timeout": Configuration._validate_timeout,  # noqa: SLF001
    "max_retries": Configuration._validate_max_retries,  # noqa: SLF001
    "headers": Configuration._validate_request_options,  # noqa: SLF001
}


#: "leave this option as it is" for ``with_options``
KEEP: Any = object()


def derived_config(config: Configuration, *, timeout: Any = KEEP, max_retries: Any = KEEP,
                   headers: Mapping[str, str] | None = None) -> Configuration:
    """A copy of ``config`` for ``with_options``: ``headers`` add to the parent's, the
    others replace; each changed option is checked (see :data:`CHECKS`)."""
    changes: dict[str, Any] = {}
    if timeout is not KEEP:
        changes["timeout"] = timeout
    if max_retries is not KEEP:
        changes["max_retries"] = max_retries
    if headers:
        changes["headers"] = {**(config.headers or {}), **headers}
    derived = object.__new__(type(config))
    derived.__dict__.update(config.__dict__)
    derived.__dict__.update(changes)
    for name in changes:
        CHECKS[name](derived)
    return derived
