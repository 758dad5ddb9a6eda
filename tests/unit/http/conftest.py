"""Fixtures of the HTTP tests: a mock with a flaky /v3 route, spans, Redis."""
from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.redis_server import redis_url as redis_url  # noqa: F401 - a fixture


class Flaky:
    """``GET /v3/flaky``: 503 for the first ``failures`` calls after each :meth:`arm`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._left = 0

    def arm(self, failures: int = 1) -> None:
        with self._lock:
            self._left = failures

    def __call__(self, call: Any) -> Any:
        from basecrm_like.mock.wire.replies import json_reply

        with self._lock:
            failing = self._left > 0
            self._left -= failing
        if failing:
            return json_reply(503, {"errors": [{"error": {"code": "unavailable",
                                                           "message": "try again"}}],
                                    "meta": {"type": "errors"}})
        return json_reply(200, {"data": {"version": 3}, "meta": {"type": "thing"}})


@pytest.fixture(scope="module")
def flaky() -> Flaky:
    return Flaky()


@pytest.fixture(scope="module")
def server(flaky: Flaky) -> Iterator[Any]:
    pytest.importorskip("waitress")
    from basecrm_like.mock import serve
    from basecrm_like.mock.wire.routes import Route

    with serve(routes=[Route("/v3/flaky", ("GET",), flaky)]) as running:
        yield running


@pytest.fixture(scope="session")
def span_exporter() -> Any:
    """One in-memory exporter on the global tracer provider for the whole run: a
    provider is installed once per process and keeps its processors."""
    pytest.importorskip("opentelemetry.sdk")
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return exporter


@pytest.fixture
def spans(span_exporter: Any) -> Any:
    """Every span finished during the test."""
    span_exporter.clear()
    return span_exporter
