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
from collections.abc import Iterable, Mapping
from contextvars import ContextVar
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any, Protocol
from urllib.parse import quote_plus, urlsplit

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
        return parse_retry_after(response.headers)

    def increment(self, *args: Any, **kwargs: Any) -> ApiRetry:
        retry = super().increment(*args, **kwargs)
        # Not exhausted, so another attempt follows. Attempts urllib3 makes
        # never reach HttpClient.send: the limiter hears of the answer here and
        # books the next attempt (the last answer is observed by send).
        limiter = _attempt_limiter.get()
        if limiter is not None:
            response = kwargs.get("response")
            if response is not None:
                limiter.observe(response.status, response.headers)
            limiter.acquire()
        return retry


class Limiter(Protocol):
    """What the HTTP layer needs from a rate limiter such as :class:`~basecrm_like.ratelimit.TokenBucket`."""

    def acquire(self) -> float: ...

    def observe(self, status: int, headers: Mapping[str, str]) -> None: ...


#: The limiter of the request being sent on this thread. urllib3 retries inside
#: one shared adapter, so a retried attempt can only find the limiter of the
#: HttpClient that sent it through the context of the call.
_attempt_limiter: ContextVar[Limiter | None] = ContextVar("basecrm_like_attempt_limiter",
                                                            default=None)


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

    def __init__(self, config: Configuration, *, limiter: Limiter | None = None,
                 token_source: TokenSource | None = None,
                 session: requests.Session | None = None) -> None:
        """``limiter`` is asked before every attempt and told every answer;
        ``token_source`` supplies the bearer token instead of ``config.access_token``
        (OAuth2); ``session`` shares another HttpClient's pooled session."""
        self.config = config
        own_session = session is None and config.session is None
        self.session = session or config.session or requests.Session()
        self._limiter = limiter
        self._token_source = token_source
        if not isinstance(getattr(self.session.get_adapter(config.base_url), "max_retries", None),
                          ApiRetry):
            adapter = HTTPAdapter(
                max_retries=build_retry(config.max_retries, config.backoff_factor),
                pool_connections=config.pool_size,
                pool_maxsize=config.pool_size,
            )
            # Your own session keeps its adapters elsewhere; ours serves the API host.
            for prefix in ("https://", "http://") if own_session else (config.base_url,):
                self.session.mount(prefix, adapter)
        if config.verbose:
            enable_verbose_logging()

    @property
    def limiter(self) -> Limiter | None:
        """The rate limiter every request of this HttpClient goes through, if any."""
        return self._limiter

    @property
    def token_source(self) -> TokenSource | None:
        """Where bearer tokens come from when not ``config.access_token`` (OAuth2)."""
        return self._token_source

    #: the name the OAuth2 code and its tests know the token source by
    token_manager = token_source

    def with_limiter(self, limiter: Limiter | None) -> HttpClient:
        """A new HttpClient over the same session, pool and token source, with ``limiter``.

        This one is left as it is, so work that needs its own pace never
        slows down the client it was handed.
        """
        return HttpClient(self.config, limiter=limiter, token_source=self._token_source,
                          session=self.session)

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
        if resp.status_code == 401 and self._token_source is not None \
                and not (headers and "Authorization" in headers):
            # an expired OAuth2 token: refresh once, then repeat the request once
            if self._token_source.renew(all_headers["Authorization"].partition(" ")[2]):
                all_headers["Authorization"] = self.authorization()
                resp = self.send(method, full_url, query, data, all_headers)
        return self.handle_response(resp, raw)

    # -- building blocks ------------------------------------------------------
    def build_url(self, url: str) -> str:
        if url.startswith(("http://", "https://")):
            return url
        return f"{self.config.base_url}{self.API_VERSION}{url}"

    def authorization(self) -> str:
        if self._token_source is not None:
            return f"Bearer {self._token_source.access_token()}"
        return f"Bearer {self.config.access_token}"

    def post_form(self, url: str, form: Mapping[str, str], *,
                  auth: tuple[str, str] | None = None,
                  secrets: Iterable[str] = ()) -> tuple[int, Mapping[str, str], Any]:
        """POST a form to an absolute URL (OAuth2's token endpoint), with this client's
        session, retries, timeouts and connection error mapping.

        Unlike :meth:`request` an error status is returned, not raised, so the
        caller can read the error from the body. ``secrets`` (client secret,
        codes, refresh tokens) are kept out of the log like the access token.
        Returns ``(status, headers, body)``, the body parsed from JSON when it is.
        """
        headers = {"Accept": "application/json", "User-Agent": self.config.user_agent,
                   "Content-Type": "application/x-www-form-urlencoded"}
        data = "&".join(f"{quote_plus(k)}={quote_plus(v)}" for k, v in form.items()).encode()
        resp = self.send("POST", url, [], data, headers, auth=auth, secrets=tuple(secrets))
        body: Any = resp.content
        if "json" in resp.headers.get("Content-Type", "") and resp.content:
            try:
                body = json.loads(resp.content)
            except ValueError:
                body = resp.content
        return resp.status_code, resp.headers, body

    def send(self, method: str, url: str, params: list[tuple[str, str]], data: bytes | None,
             headers: Mapping[str, str], *, auth: tuple[str, str] | None = None,
             secrets: tuple[str, ...] = ()) -> requests.Response:
        """One logical request (urllib3 retries inside), mapped to our transport errors."""
        if self._limiter is not None:
            self._limiter.acquire()
        verbose = http_logger.isEnabledFor(logging.DEBUG)
        started = time.perf_counter()
        if verbose:
            self._log_request(method, url, params, data, headers, secrets)
        context = _attempt_limiter.set(self._limiter)
        try:
            # verify is passed per request: a session-level verify loses to
            # REQUESTS_CA_BUNDLE in requests' environment merging.
            resp = self.session.request(
                method, url, params=params or None, data=data, headers=headers, auth=auth,
                timeout=self.config.timeout, verify=self.config.verify_ssl,
                allow_redirects=False,
            )
        except requests.exceptions.Timeout as exc:
            raise self._timeout_error(method, url, exc) from None
        except requests.exceptions.ConnectionError as exc:
            if _is_read_timeout(exc):
                raise self._timeout_error(method, url, exc) from None
            raise errors.ConnectionError(
                f"{method} {_path_of(url)}: cannot reach {self._host_of(url)} "
                f"({_root_cause(exc)}); check base_url and the network, then retry",
                request=exc.request,
            ) from None
        finally:
            _attempt_limiter.reset(context)
        if verbose:
            self._log_response(method, url, resp, time.perf_counter() - started, secrets)
        if self._limiter is not None:
            self._limiter.observe(resp.status_code, resp.headers)
        return resp

    def _host_of(self, url: str) -> str:
        if url.startswith(self.config.base_url):
            return self.config.base_url
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"

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
                     data: bytes | None, headers: Mapping[str, str],
                     secrets: tuple[str, ...] = ()) -> None:
        query = "&".join(f"{k}={v}" for k, v in params)
        body = data.decode("utf-8", "replace")[:1000] if data else "-"
        http_logger.debug(
            "-> %s %s%s headers=%s body=%s", method, url, f"?{query}" if query else "",
            redact_headers(headers), self.redact(body, secrets),
        )

    def _log_response(self, method: str, url: str, resp: requests.Response, elapsed: float,
                      secrets: tuple[str, ...] = ()) -> None:
        http_logger.debug(
            "<- %s %s %s in %.1f ms request_id=%s body=%s", resp.status_code, method, _path_of(url),
            elapsed * 1000, resp.headers.get("X-Request-Id", "-"),
            self.redact(resp.text[:1000], secrets) if resp.content else "-",
        )

    def redact(self, text: str, extra: Iterable[str] = ()) -> str:
        return redact_secrets(text, [*self.secrets(), *extra])

    def secrets(self) -> Iterable[str]:
        """Values that must never be logged; OAuth adds its tokens here."""
        values = [self.config.access_token] if self.config.access_token else []
        if self._token_source is not None:
            values.extend(self._token_source.secrets())
        return values


def parse_retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds the server asks us to wait: ``Retry-After`` as seconds or an HTTP date,
    at most :data:`MAX_RETRY_AFTER`; None when absent or unreadable."""
    value = headers.get("Retry-After") if headers else None
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError):
            return None
    return min(max(0.0, seconds), MAX_RETRY_AFTER)


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {k: ("<redacted>" if k.lower() in ("authorization", "cookie") else v) for k, v in headers.items()}


def redact_secrets(text: str, secrets: Iterable[str]) -> str:
    """``text`` with each secret, as written or form-encoded, replaced by ``<redacted>``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "<redacted>").replace(quote_plus(secret), "<redacted>")
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
