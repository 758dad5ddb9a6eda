"""Plans: one generator, the same result, errors and clean-up whether run or awaited."""
from __future__ import annotations

import asyncio
from typing import Any

import pytest

from basecrm_like.http.plans import Call, Plan, arun_plan, run_plan
from basecrm_like.services.pagination import following_page


class Recorder:
    """Answers ``get``/``post`` with what the plan asked for; ``fail`` raises for one URL."""

    def __init__(self, fail: str | None = None) -> None:
        self.fail = fail
        self.calls: list[tuple[str, str, tuple[Any, ...], dict[str, Any]]] = []

    def __getattr__(self, verb: str) -> Any:
        def call(url: str, *args: Any, **kwargs: Any) -> Any:
            self.calls.append((verb, url, args, kwargs))
            if url == self.fail:
                raise LookupError(url)
            return (200, {}, {"url": url, "args": args, **kwargs})

        return call


class AsyncRecorder(Recorder):
    def __getattr__(self, verb: str) -> Any:
        blocking = super().__getattr__(verb)

        async def call(*args: Any, **kwargs: Any) -> Any:
            await asyncio.sleep(0)  # a real suspension, as a request would
            return blocking(*args, **kwargs)

        return call


def two_calls(cleaned: list[str]) -> Plan[list[Any]]:
    try:
        _, _, first = yield Call("get", "/a", {"params": {"x": 1}})
        _, _, second = yield Call("post", "/b", {"body": first["url"]}, args=("extra",))
    finally:
        cleaned.append("done")
    return [first, second]


def run_both(plan_for: Any, fail: str | None = None) -> list[Any]:
    """[(result or error, calls, cleaned)] for the blocking and the awaited run."""
    outcomes = []
    for http, runner in ((Recorder(fail), run_plan),
                         (AsyncRecorder(fail), lambda p, h: asyncio.run(arun_plan(p, h)))):
        cleaned: list[str] = []
        try:
            result: Any = runner(plan_for(cleaned), http)
        except LookupError as exc:
            result = exc.args
        outcomes.append((result, http.calls, cleaned))
    return outcomes


def test_the_same_calls_and_result_run_or_awaited() -> None:
    blocking, awaited = run_both(two_calls)
    assert blocking == awaited
    result, calls, cleaned = blocking
    assert calls == [("get", "/a", (), {"params": {"x": 1}}),
                     ("post", "/b", ("extra",), {"body": "/a"})]
    assert result[1] == {"url": "/b", "args": ("extra",), "body": "/a"}
    assert cleaned == ["done"]


def test_an_error_is_thrown_into_the_plan_which_cleans_up() -> None:
    blocking, awaited = run_both(two_calls, fail="/b")
    assert blocking == awaited
    result, calls, cleaned = blocking
    assert result == ("/b",) and len(calls) == 2 and cleaned == ["done"]


def test_a_plan_may_handle_an_error_and_go_on() -> None:
    def tolerant(cleaned: list[str]) -> Plan[str]:
        try:
            yield Call("get", "/missing")
        except LookupError:
            cleaned.append("handled")
        _, _, answer = yield Call("get", "/next")
        return str(answer["url"])

    blocking, awaited = run_both(tolerant, fail="/missing")
    assert blocking == awaited == ("/next", blocking[1], ["handled"])


@pytest.mark.parametrize(("page", "received", "per_page", "following"),
                         [(1, 100, 100, 2), (3, 99, 100, None), (2, 0, 25, None)])
def test_following_page(page: int, received: int, per_page: int, following: int | None) -> None:
    assert following_page(page, received, per_page) == following
