"""Hooks: validated at construction, a failing one logged and skipped."""
from __future__ import annotations

import logging

import pytest

from basecrm_like.http.errors import ConfigurationError
from basecrm_like.http.exchange import RequestEvent
from basecrm_like.http.hooks import Hooks

EVENT = RequestEvent("response", "GET", "https://api.example.test/v2/x", status=200)


def test_unknown_kind_is_refused_with_a_suggestion() -> None:
    with pytest.raises(ConfigurationError, match="did you mean 'response'"):
        Hooks({"responce": [print]})


def test_non_callable_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="callables"):
        Hooks({"request": ["print"]})  # type: ignore[list-item]


def test_a_failing_hook_is_logged_and_the_next_still_runs(caplog: pytest.LogCaptureFixture) -> None:
    seen: list[RequestEvent] = []

    def broken(event: RequestEvent) -> None:
        raise ValueError("boom")

    hooks = Hooks({"response": [broken, seen.append]})
    with caplog.at_level(logging.WARNING, logger="basecrm_like.hooks"):
        hooks.emit(EVENT)
    assert seen == [EVENT]
    assert "response hook" in caplog.text and "boom" in caplog.text


def test_merged_adds_and_leaves_the_original() -> None:
    first: list[RequestEvent] = []
    second: list[RequestEvent] = []
    base = Hooks({"response": [first.append]})
    both = base.merged({"response": [second.append]})
    both.emit(EVENT)
    base.emit(EVENT)
    assert first == [EVENT, EVENT] and second == [EVENT]
    assert not Hooks() and bool(base)
