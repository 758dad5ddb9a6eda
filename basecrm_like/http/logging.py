"""The request log: one line per request and per answer on ``basecrm_like.http``."""
from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from .redaction import redact_headers

logger = logging.getLogger("basecrm_like")
http_logger = logging.getLogger("basecrm_like.http")


def enable_verbose_logging() -> None:
    """Show request/response lines without touching the root logger or http.client.

    Only the package's own logger is changed, and a handler is added only when
    the application configured none, so apps keep control of their logging.
    """
    http_logger.setLevel(logging.DEBUG)
    if not logger.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)


def request_logging() -> bool:
    """True when request lines would be shown: formatting them costs time otherwise."""
    return http_logger.isEnabledFor(logging.DEBUG)


def log_request(method: str, url: str, params: list[tuple[str, str]], data: bytes | None,
                headers: Mapping[str, str], redact: Callable[[str], str]) -> None:
    query = "&".join(f"{k}={v}" for k, v in params)
    body = data.decode("utf-8", "replace")[:1000] if data else "-"
    http_logger.debug(
        "-> %s %s%s headers=%s body=%s", method, url, f"?{query}" if query else "",
        redact_headers(headers), redact(body),
    )


def log_response(method: str, path: str, resp: Any, elapsed: float,
                 redact: Callable[[str], str]) -> None:
    http_logger.debug(
        "<- %s %s %s in %.1f ms request_id=%s body=%s", resp.status_code, method, path,
        elapsed * 1000, resp.headers.get("X-Request-Id", "-"),
        redact(resp.text[:1000]) if resp.content else "-",
    )
