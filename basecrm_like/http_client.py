"""Compatibility path of the HTTP layer, which lives in :mod:`basecrm_like.http`."""
from .http.encoding import encode_json, encode_params
from .http.envelopes import unwrap_envelope, wrap_envelope
from .http.logging import enable_verbose_logging, http_logger, logger
from .http.redaction import redact_headers, redact_secrets
from .http.retry import (
    IDEMPOTENT_METHODS,
    MAX_RETRY_AFTER,
    RETRY_STATUSES,
    ApiRetry,
    Limiter,
    backoff_delay,
    build_retry,
    parse_retry_after,
)
from .http.transport import HttpClient, TokenSource

__all__ = [
    "IDEMPOTENT_METHODS", "MAX_RETRY_AFTER", "RETRY_STATUSES", "ApiRetry", "HttpClient",
    "Limiter", "TokenSource", "backoff_delay", "build_retry", "enable_verbose_logging",
    "encode_json", "encode_params", "http_logger", "logger", "parse_retry_after",
    "redact_headers", "redact_secrets", "unwrap_envelope", "wrap_envelope",
]
