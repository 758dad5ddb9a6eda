"""What a test asks of a running server: scripted answers and call verification.

:class:`~.server.MockServer` (the ``basecrm_mock`` fixture) offers these
directly, so a test reads ``basecrm_mock.stub("POST", "/v2/deals", status=503,
times=2)`` and ``basecrm_mock.assert_called("POST", "/v2/deals", times=3)``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..backend import verification

if TYPE_CHECKING:
    from .app import MockApp

_UNSET: Any = verification._UNSET


class ServerControls:
    """Mixed into the server; works on ``self.app``."""

    app: MockApp

    # -- scripted answers -------------------------------------------------------------
    def stub(self, method: str, path_pattern: str, *, status: int = 200, body: Any = None,
             headers: dict[str, str] | None = None, delay: float = 0.0,
             times: int | None = 1) -> dict[str, Any]:
        """The next ``times`` requests matching (None: all until reset) get this answer.

        ``path_pattern`` is a glob over the path (``/v2/deals/*``), ``method`` may be
        ``"*"``; ``body`` is sent as JSON unless it is a string. Stubs are matched in
        the order they were added and cleared by reset.
        """
        stub = self.app.stubs.add(method=method, path=path_pattern, status=status, body=body,
                                  headers=headers, delay=delay, times=times)
        return stub.as_dict()

    def stubs(self) -> list[dict[str, Any]]:
        return self.app.stubs.entries()

    def remove_stub(self, stub_id: int) -> bool:
        return self.app.stubs.remove(stub_id)

    # -- verification -----------------------------------------------------------------
    def calls(self, method: str | None = None, path: str | None = None) -> list[dict[str, Any]]:
        """The recorded API requests (method, path, query, body, status), oldest first."""
        return verification.select(self.app.request_log.entries(), method, path)

    def assert_called(self, method: str | None, path_pattern: str | None, *,
                      times: int | None = None, json: Any = _UNSET) -> list[dict[str, Any]]:
        """The matching requests; AssertionError showing the closest requests otherwise."""
        return verification.assert_called(self.app.request_log.entries(), method, path_pattern,
                                           times, json)

    def assert_not_called(self, method: str | None, path_pattern: str | None, *,
                          json: Any = _UNSET) -> None:
        verification.assert_not_called(self.app.request_log.entries(), method, path_pattern,
                                       json)
