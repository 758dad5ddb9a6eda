"""``with_raw_response``: the same actions, answering with the whole response.

Services (``client.contacts.with_raw_response``) and searches
(``client.search.with_raw_response``, ``query.with_raw_response``) both use it.

The action runs as usual; the HTTP layer hands each answer it receives to the
context this call opened, and the call returns the last of them with the
action's result as ``data``. Nothing is shared between threads: the answers
travel in a context variable of the calling thread.
"""
from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable, Collection
from typing import Any

from ..support.frozen import replaced
from .exchange import ApiResponse, captured_responses

#: the actions that send their requests before returning (iterate/get/new are lazy)
EAGER_ACTIONS = frozenset({"list", "list_all", "create", "retrieve", "update", "destroy",
                           "upsert", "self"})


class RawResponses:
    """The eager actions of ``service``, each returning an :class:`ApiResponse`.

    ``data`` is what the plain call returns; status, headers, request id,
    attempts and ``meta`` are those of the last request the action sent (for
    ``list_all``, the last page).
    """

    def __init__(self, service: Any, actions: Collection[str] = EAGER_ACTIONS) -> None:
        self._service = service
        self._actions = actions

    def __repr__(self) -> str:
        return f"<raw responses of {self._service!r}>"

    def __getattr__(self, name: str) -> Callable[..., ApiResponse]:
        if name not in self._actions:
            raise AttributeError(f"with_raw_response offers {', '.join(sorted(self._actions))}; "
                                 f"{name}() sends its requests later, so it has no response here")
        # made once: later lookups find it in this object's dictionary
        action = self.__dict__[name] = with_response(getattr(self._service, name))
        return action


def with_response(call: Callable[..., Any]) -> Callable[..., ApiResponse]:
    """``call`` returning the last answer it received, with its result as ``data``."""
    @functools.wraps(call)
    def run(*args: Any, **kwargs: Any) -> ApiResponse:
        answers: list[ApiResponse] = []
        token = captured_responses.set(answers)
        try:
            result = call(*args, **kwargs)
        finally:
            captured_responses.reset(token)
        if inspect.isawaitable(result):  # an async client's action: capture while it runs
            return _awaited(call, result)  # type: ignore[return-value]
        return _last(call, answers, result)

    return run


async def _awaited(call: Callable[..., Any], pending: Awaitable[Any]) -> ApiResponse:
    answers: list[ApiResponse] = []
    token = captured_responses.set(answers)
    try:
        result = await pending
    finally:
        captured_responses.reset(token)
    return _last(call, answers, result)


def _last(call: Callable[..., Any], answers: list[ApiResponse], result: Any) -> ApiResponse:
    if not answers:
        raise RuntimeError(f"{getattr(call, '__qualname__', call)} sent no request")
    answer = answers[-1]
    # most actions hand back the very record they were answered (no copy needed)
    return answer if answer.data is result else replaced(answer, data=result)
