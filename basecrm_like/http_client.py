"""The one HTTP layer every service calls: envelopes, encoding, retries, errors.

Kept free of any knowledge of resources, so that the catalog and services can
change without touching how bytes go over the wire.
"""
from __future__ import annotations

import datetime as _dt
import json
import logging
import random
import time
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any, Protocol

import requests
from munch import Munch, munchify
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ReadTimeoutError
from urllib3.util.retry import Retry

from . import errors
from .configuration import Configuration

logger = logging.getLogger("basecrm_like")
http_logger = logging.getLogger("basecrm_like.http")

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
RETRY_STATUSES = frozenset({502, 503, 504})
MAX_RETRY_AFTER = 120.0
ERROR_EXCERPT = 200


class ApiRetry(Retry):
    """urllib3's Retry with the API's rules.

    - connection failures before the request went out: every method (urllib3's
      ``connect`` counter; a POST that never left cannot have been applied);
    - read failures and 502/503/504: idempotent methods only;
    - 429: every method, since the server refused it without applying it;
      Retry-After is honoured, otherwise exponential backoff with jitter.
    """

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        if status_code == 429:
            return bool(self.total) and (self.status is None or self.status > 0)
        return super().is_retry(method, status_code, has_retry_after)

    def get_backoff_time(self) -> float:
        # urllib3 retries the first failure at once; a server that just said
        # "too busy" deserves a pause from the first retry on.
        attempts = sum(1 for h in self.history if h.redirect_location is None)
        if attempts == 0:
            return 0.0
        return backoff_delay(self.backoff_factor, attempts, self.backoff_max)

    def get_retry_after(self, response: Any) -> float | None:
        value = super().get_retry_after(response)
        return None if value is None else min(value, MAX_RETRY_AFTER)


def backoff_delay(factor: float, attempt: int, ceiling: float) -> float:
    """Exponential backoff with jitter: between half and all of ``factor * 2**(attempt-1)``,
    capped at ``ceiling``, so clients retrying together spread out."""
    top = min(ceiling, factor * (2 ** (attempt - 1)))
    return random.uniform(top / 2, top)


def build_retry(max_retries: int, backoff_factor: float) -> ApiRetry:
    return ApiRetry(
        total=max_retries,
        connect=max_retries,
        read=max_retries,
        status=max_retries,
        other=0,
        redirect=0,
        allowed_methods=IDEMPOTENT_METHODS,
        status_forcelist=RETRY_STATUSES,
        backoff_factor=backoff_factor,
        backoff_max=30,
        respect_retry_after_header=True,
        raise_on_status=False,
        raise_on_redirect=False,
    )


class _JSONEncoder(json.JSONEncoder):
    """Decimals go out as exact strings; dates as ISO 8601."""

    def default(self, o: Any) -> Any:
        if isinstance(o, Decimal):
            return str(o)
        if isinstance(o, (_dt.datetime, _dt.date)):
            return o.isoformat()
        if isinstance(o, (set, frozenset)):
            return sorted(o)
        return super().default(o)


def encode_json(value: Any) -> str:
    return json.dumps(value, cls=_JSONEncoder, separators=(",", ":"), ensure_ascii=False)


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (_dt.datetime, _dt.date)):
        return value.isoformat()
    return str(value)


def encode_params(params: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    """Flatten query parameters the way the API reads them.

    ``{"custom_fields": {"industry": "Retail"}}`` -> ``custom_fields[industry]=Retail``,
    ``{"ids": [1, 2]}`` -> ``ids=1,2``, booleans -> ``true``/``false``, None dropped.
    """
    out: list[tuple[str, str]] = []

    def add(key: str, value: Any) -> None:
        if value is None:
            return
        if isinstance(value, Mapping):
            for sub, item in value.items():
                add(f"{key}[{sub}]", item)
        elif isinstance(value, (list, tuple, set, frozenset)):
            out.append((key, ",".join(_scalar(v) for v in value)))
        else:
            out.append((key, _scalar(value)))

    for key, value in (params or {}).items():
        add(key, value)
    return out


def wrap_envelope(body: Any) -> dict[str, Any]:
    return {"data": body}


def unwrap_envelope(body: Any) -> Any:
    """A collection becomes a list of Munch, a single resource one Munch."""
    if isinstance(body, dict):
        if "items" in body and isinstance(body["items"], list):
            return [_munch(item.get("data", item)) for item in body["items"]]
        if "data" in body:
            return _munch(body["data"])
    return _munch(body)


def _munch(value: Any) -> Any:
    # answers are parsed straight into Munch; munchify only what came from elsewhere
    return value if isinstance(value, Munch) else munchify(value)


class TokenSource(Protocol):
    """What the HTTP layer needs from a token provider such as OAuth2's TokenManager."""

    def access_token(self) -> str: ...

    def renew(self, rejected: str) -> bool: ...

    def secrets(self) -> list[str]: ...


class HttpClient:
    """Sends requests to ``{base_url}/v2{url}`` and returns ``(status, headers, body)``.

    Same methods and return values as the official client, over one pooled
    ``requests.Session`` with retries. Safe to share between threads.
    """

    API_VERSION = "/v2"

    def __init__(self, config: Configuration) -> None:
        self.config = config
        self.session = config.session or requests.Session()
        adapter = HTTPAdapter(
            max_retries=build_retry(config.max_retries, config.backoff_factor),
            pool_connections=config.pool_size,
            pool_maxsize=config.pool_size,
        )
        if config.session is None:
            self.session.mount("https://", adapter)
            self.session.mount("http://", adapter)
        else:
            # Your own session keeps its adapters elsewhere; ours serves the API host.
            self.session.mount(config.base_url, adapter)
        #: called before every request; the bulk engine's rate limiter hooks in here
        self.throttle: Callable[[], None] | None = None
        #: called with (status, headers) after every answer, e.g. to slow down on 429
        self.observers: list[Callable[[int, Mapping[str, str]], None]] = []
        #: supplies the bearer token instead of ``config.access_token`` (OAuth2 sets it)
        self.token_manager: TokenSource | None = None
        if config.verbose:
            enable_verbose_logging()

    # -- the official surface -------------------------------------------------
    def get(self, url: str, params: Mapping[str, Any] | None = None, **kwargs: Any) -> tuple[int, Any, Any]:
        return self.request("GET", url, params=params, **kwargs)

    def post(self, url: str, body: Any = None, **kwargs: Any) -> tuple[int, Any, Any]:
        return self.request("POST", url, body=body, **kwargs)

    def put(self, url: str, body: Any = None, **kwargs: Any) -> tuple[int, Any, Any]:
        return self.request("PUT", url, body=body, **kwargs)

    def delete(self, url: str, params: Mapping[str, Any] | None = None, **kwargs: Any) -> tuple[int, Any, Any]:
        return self.request("DELETE", url, params=params, **kwargs)

    def request(
        self,
        method: str,
        url: str,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        raw: bool = False,
    ) -> tuple[int, Any, Any]:
        """Send one request; raise a typed error for any non-2xx answer."""
        method = method.upper()
        full_url = self.build_url(url)
        all_headers = {
            "Accept": "application/json",
            "User-Agent": self.config.user_agent,
            "Authorization": self.authorization(),
        }
        data = None
        if body is not None:
            all_headers["Content-Type"] = "application/json"
            data = encode_json(body if raw else wrap_envelope(body)).encode("utf-8")
        if headers:
            all_headers.update(headers)
        query = encode_params(params)
        resp = self.send(method, full_url, query, data, all_headers)
        if resp.status_code == 401 and self.token_manager is not None \
                and not (headers and "Authorization" in headers):
            # an expired OAuth2 token: refresh once, then repeat the request once
            if self.token_manager.renew(all_headers["Authorization"].partition(" ")[2]):
                all_headers["Authorization"] = self.authorization()
                resp = self.send(method, full_url, query, data, all_headers)
        return self.handle_response(resp, raw)

    # -- building blocks ------------------------------------------------------
    def build_url(self, url: str) -> str:
        if url.startswith(("http://", "https://")):
            return url
        return f"{self.config.base_url}{self.API_VERSION}{url}"

    def authorization(self) -> str:
        if self.token_manager is not None:
            return f"Bearer {self.token_manager.access_token()}"
        return f"Bearer {self.config.access_token}"

    def send(self, method: str, url: str, params: list[tuple[str, str]], data: bytes | None,
             headers: Mapping[str, str]) -> requests.Response:
        """One logical request (urllib3 retries inside), mapped to our transport errors."""
        if self.throttle is not None:
            self.throttle()
        verbose = http_logger.isEnabledFor(logging.DEBUG)
        started = time.perf_counter()
        if verbose:
            self._log_request(method, url, params, data, headers)
        try:
            # verify is passed per request: a session-level verify loses to
            # REQUESTS_CA_BUNDLE in requests' environment merging.
            resp = self.session.request(
                method, url, params=params or None, data=data, headers=headers,
                timeout=self.config.timeout, verify=self.config.verify_ssl,
                allow_redirects=False,
            )
        except requests.exceptions.Timeout as exc:
            raise self._timeout_error(method, url, exc) from None
        except requests.exceptions.ConnectionError as exc:
            if _is_read_timeout(exc):
                raise self._timeout_error(method, url, exc) from None
            raise errors.ConnectionError(
                f"{method} {_path_of(url)}: cannot reach {self.config.base_url} "
                f"({_root_cause(exc)}); check base_url and the network, then retry",
                request=exc.request,
            ) from None
        if verbose:
            self._log_response(method, url, resp, time.perf_counter() - started)
        for observer in self.observers:
            observer(resp.status_code, resp.headers)
        return resp

    def _timeout_error(self, method: str, url: str,
                       exc: requests.exceptions.RequestException) -> errors.TimeoutError:
        return errors.TimeoutError(
            f"{method} {_path_of(url)} timed out after {self.config.timeout!r} s; "
            "raise the timeout option or retry later",
            request=exc.request,
        )

    def handle_response(self, resp: requests.Response, raw: bool) -> tuple[int, Any, Any]:
        if not 200 <= resp.status_code < 300:
            raise self.error_for(resp)
        content_type = resp.headers.get("Content-Type", "")
        if "json" in content_type and resp.content:
            try:
                # Munch objects built while parsing: far cheaper than munchify afterwards
                decoded = json.loads(resp.content, object_hook=Munch)
            except ValueError:
                return resp.status_code, resp.headers, resp.content
            body = decoded if raw else unwrap_envelope(decoded)
        else:
            body = resp.content
        return resp.status_code, resp.headers, body

    def error_for(self, resp: requests.Response) -> errors.BaseError:
        """The typed error for an answer, whatever its body looks like.

        The body is redacted first: a server echoing a token back must not put
        it into an exception message that ends up in a log.
        """
        status = resp.status_code
        text = self.redact(resp.text) if resp.content else ""
        payload: Any = None
        try:
            payload = json.loads(text)
        except ValueError:
            payload = None
        error_list: list[Any] = []
        logref = resp.headers.get("X-Request-Id")
        excerpt = None
        if isinstance(payload, dict) and isinstance(payload.get("errors"), list):
            error_list = [e for e in payload["errors"] if isinstance(e, dict)]
            meta = payload.get("meta")
            if isinstance(meta, dict) and meta.get("logref"):
                logref = str(meta["logref"])
        else:
            excerpt = text[:ERROR_EXCERPT]
        args = (status, logref, error_list, resp.headers, excerpt)
        if status == 422:
            return errors.ResourceError(*args)
        if status == 429:
            return errors.RateLimitError(*args, retry_after=parse_retry_after(resp.headers))
        if 400 <= status < 500:
            return errors.RequestError(*args)
        return errors.ServerError(*args)

    # -- logging --------------------------------------------------------------
    def _log_request(self, method: str, url: str, params: list[tuple[str, str]],
                     data: bytes | None, headers: Mapping[str, str]) -> None:
        query = "&".join(f"{k}={v}" for k, v in params)
        http_logger.debug(
            "-> %s %s%s headers=%s body=%s", method, url, f"?{query}" if query else "",
            redact_headers(headers), self.redact(data.decode("utf-8", "replace")[:1000]) if data else "-",
        )

    def _log_response(self, method: str, url: str, resp: requests.Response, elapsed: float) -> None:
        http_logger.debug(
            "<- %s %s %s in %.1f ms request_id=%s body=%s", resp.status_code, method, _path_of(url),
            elapsed * 1000, resp.headers.get("X-Request-Id", "-"),
            self.redact(resp.text[:1000]) if resp.content else "-",
        )

    def redact(self, text: str) -> str:
        return redact_secrets(text, self.secrets())

    def secrets(self) -> Iterable[str]:
        """Values that must never be logged; OAuth adds its tokens here."""
        values = [self.config.access_token] if self.config.access_token else []
        if self.token_manager is not None:
            values.extend(self.token_manager.secrets())
        return values


def parse_retry_after(headers: Mapping[str, str]) -> float | None:
    value = headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, when.timestamp() - time.time())


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {k: ("<redacted>" if k.lower() in ("authorization", "cookie") else v) for k, v in headers.items()}


def redact_secrets(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "<redacted>")
    return text


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


def _is_read_timeout(exc: BaseException) -> bool:
    """requests reports a read timeout that exhausted urllib3's retries as a
    ConnectionError wrapping MaxRetryError; callers want a Timeout."""
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, ReadTimeoutError)


def _path_of(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url).path


def _root_cause(exc: BaseException) -> str:
    seen = exc
    while True:
        nxt = getattr(seen, "reason", None) or seen.__cause__ or seen.__context__
        if nxt is None or nxt is seen:
            break
        seen = nxt
        if not isinstance(seen, BaseException):
            break
    if exc.args and isinstance(exc.args[0], BaseException):
        seen = exc.args[0]
        while getattr(seen, "reason", None) is not None:
            seen = seen.reason  # type: ignore[attr-defined]
    return type(seen).__name__ + (f": {seen}" if str(seen) else "")
