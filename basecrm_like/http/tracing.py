"""OpenTelemetry spans, when ``opentelemetry-api`` is installed (the ``otel`` extra).

Without it nothing is imported and every request pays one ``is None`` test.
Spans follow the HTTP client semantic conventions: a CLIENT span per request
named after the method, with ``http.request.method``, ``url.full`` (the public
URL: no user info, credential query values redacted), ``server.address``,
``server.port``, ``http.response.status_code``, ``http.request.resend_count``
and ``error.type``. Headers are never recorded, so no token or cookie can
reach a span.
"""
from __future__ import annotations

import contextlib
import importlib.util
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

INSTRUMENTATION = "basecrm_like"


def otel_available() -> bool:
    return importlib.util.find_spec("opentelemetry") is not None \
        and importlib.util.find_spec("opentelemetry.trace") is not None


class Tracer:
    """Opens the request and action spans on the global tracer provider."""

    def __init__(self) -> None:
        from opentelemetry import trace

        self._trace = trace
        # before a provider is installed this is a proxy that follows the one
        # installed later, so it can be looked up once
        self._otel_tracer = trace.get_tracer(INSTRUMENTATION)
        self._idle = (trace.ProxyTracerProvider, trace.NoOpTracerProvider)

    @property
    def active(self) -> bool:
        """False until an SDK tracer provider is installed: spans nobody records
        are not worth making."""
        return not isinstance(self._trace.get_tracer_provider(), self._idle)

    def _tracer(self) -> Any:
        return self._otel_tracer

    @contextlib.contextmanager
    def action(self, name: str) -> Iterator[Any]:
        """The parent span of one service call, e.g. ``basecrm contacts.create``."""
        with self._tracer().start_as_current_span(f"basecrm {name}") as span:
            yield span

    @contextlib.contextmanager
    def request(self, method: str, url: str) -> Iterator[RequestSpan]:
        parts = urlsplit(url)
        attributes: dict[str, Any] = {"http.request.method": method, "url.full": url,
                                      "server.address": parts.hostname or ""}
        if parts.port:
            attributes["server.port"] = parts.port
        with self._tracer().start_as_current_span(
                method, kind=self._trace.SpanKind.CLIENT, attributes=attributes,
                record_exception=False, set_status_on_exception=False) as span:
            recorder = RequestSpan(span, self._trace)
            try:
                yield recorder
            except BaseException as exc:
                recorder.failed(type(exc).__name__)
                raise


class RequestSpan:
    """Records an answer on a request span."""

    def __init__(self, span: Any, trace: Any) -> None:
        self._span = span
        self._trace = trace

    def answered(self, status: int, attempts: int) -> None:
        self._span.set_attribute("http.response.status_code", status)
        if attempts > 1:
            self._span.set_attribute("http.request.resend_count", attempts - 1)
        if status >= 400:
            self.failed(str(status))

    def failed(self, error_type: str) -> None:
        self._span.set_attribute("error.type", error_type)
        self._span.set_status(self._trace.Status(self._trace.StatusCode.ERROR))


def load_tracer(enabled: bool | None) -> Tracer | None:
    """A Tracer when tracing is on (``enabled``, or None and the API installed)."""
    if enabled is False or (enabled is None and not otel_available()):
        return None
    return Tracer()
