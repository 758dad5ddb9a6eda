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


def derived_config(config: Configuration, changes: Mapping[str, Any]) -> Configuration:
    """A copy of ``config`` with ``changes`` (options of :data:`CHECKS`), each checked."""
    derived = object.__new__(type(config))
    derived.__dict__.update(config.__dict__)
    derived.__dict__.update(changes)
    for name in changes:
        CHECKS[name](derived)
    return derived
