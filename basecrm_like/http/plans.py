"""Actions written once for both clients: plans that yield calls and receive their answers.

A plan is a generator. It yields a :class:`Call` (which method of the HTTP
client to call, with what) and is sent back what that call returned, or has
the error it raised thrown in at the ``yield``; what it returns is the
action's result::

    def retrieve_plan(path):
        status, headers, record = yield Call("get", path)
        return coerce(record)

:func:`run_plan` runs one over a :class:`~.transport.HttpClient`,
:func:`arun_plan` over an :class:`~.async_transport.AsyncHttpClient`. Both are
the same loop, :func:`_drive`: the sync one runs it without an event loop,
its calls returning at once.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Call:
    """``http_client.<verb>(url, **kwargs)``: the official surface (``get``, ``post``,
    ``put``, ``delete``, ``request``, ``exchange``), so a plan's calls are those
    a test double of either client sees."""

    verb: str
    url: str
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    #: positional arguments after ``url``
    args: tuple[Any, ...] = ()

    def on(self, http_client: Any) -> Any:
        return getattr(http_client, self.verb)(self.url, *self.args, **self.kwargs)


#: a generator yielding calls, sent their answers, returning ``T``
Plan = Generator[Call, Any, T]


async def _drive(plan: Plan[T], send: Callable[[Call], Awaitable[Any]]) -> T:
    answer: Any = None
    error: BaseException | None = None
    while True:
        try:
            call = plan.send(answer) if error is None else plan.throw(error)
        except StopIteration as done:
            return done.value
        try:
            answer, error = await send(call), None
        except BaseException as exc:  # noqa: BLE001  the plan decides: it may clean up, then re-raise
            answer, error = None, exc


def run_plan(plan: Plan[T], http_client: Any) -> T:
    """Run ``plan`` over a blocking HTTP client."""
    async def send(call: Call) -> Any:
        return call.on(http_client)

    driving = _drive(plan, send)
    try:
        driving.send(None)
    except StopIteration as done:
        return done.value
    driving.close()
    raise RuntimeError("a plan run without an event loop awaited something that waits")


async def arun_plan(plan: Plan[T], http_client: Any) -> T:
    """Run ``plan`` over an async HTTP client, awaiting each call."""
    async def send(call: Call) -> Any:
        return await call.on(http_client)

    return await _drive(plan, send)
