"""HttpClient: the one sender every service calls, over a pooled ``requests.Session``.

Kept free of any knowledge of resources, so that the catalog and services can
change without touching how bytes go over the wire.
"""
from __future__ import annotations

import contextlib
import dataclasses
import json
import time
from collections.abc import Iterable, Mapping
from typing import Any, Protocol
from urllib.parse import quote_plus, urlsplit

import requests
from urllib3.exceptions import ReadTimeoutError

from . import errors
from .answers import read_whole
from .common import KEEP as KEEP
from .common import HttpBase
from .config import Configuration
from .deadlines import AttemptGuard, DeadlineAdapter, current_guard, deadline_error
from .derived import derived_config
from .exchange import (
    ApiResponse,
    PreparedRequest,
    captured_responses,
    prepare_request,
)
from .hooks import Hook, Hooks, RequestWatch
from .logging import log_request, log_response, request_logging
from .option_checks import check_token_characters
from .outcome import (
    ERROR_EXCERPT as ERROR_EXCERPT,
)
from .outcome import (
    check_status,
    rejected_token,
    renewal_due,
    timeout_error,
    unreachable_error,
    whole_answer,
)
from .pools import session_sharing_pools
from .retry import (
    ApiRetry,
    Limiter,
    attempt_limiter,
    attempt_observer,
    build_retry,
)
from .tracing import Tracer


class TokenSource(Protocol):
    """What the HTTP layer needs from a token provider such as OAuth2's TokenManager."""

    def access_token(self) -> str: ...

    def renew(self, rejected: str) -> bool: ...

    def secrets(self) -> list[str]: ...


class HttpClient(HttpBase):
    """Sends requests to ``{base_url}/v2{url}`` and returns ``(status, headers, body)``.

    Same methods and return values as the official client, over one pooled
    ``requests.Session`` with retries. Safe to share between threads.
    """

    def __init__(self, config: Configuration, *, limiter: Limiter | None = None,
                 token_source: TokenSource | None = None,
                 session: requests.Session | None = None, hooks: Hooks | None = None,
                 tracer: Tracer | None | Any = KEEP) -> None:
        """``limiter`` is asked before every attempt and told every answer;
        ``token_source`` supplies the bearer token instead of ``config.access_token``
        (OAuth2); ``session`` shares another HttpClient's pooled session; ``hooks``
        replace those of ``config.hooks`` and ``tracer`` the one ``config.tracing`` asks for."""
        super().__init__(config, limiter, token_source, hooks, tracer)
        own_session = session is None and config.session is None
        self.session = session or config.session or requests.Session()
        if not isinstance(getattr(self.session.get_adapter(config.base_url), "max_retries", None),
                          ApiRetry):
            adapter = DeadlineAdapter(
                max_retries=build_retry(config.max_retries, config.backoff_factor,
                                        config.retry_statuses),
                pool_connections=config.pool_size,
                pool_maxsize=config.pool_size,
            )
            # Your own session keeps its adapters elsewhere; ours serves the API host.
            for prefix in ("https://", "http://") if own_session else (config.base_url,):
                self.session.mount(prefix, adapter)

    def with_limiter(self, limiter: Limiter | None) -> HttpClient:
        """A new HttpClient over the same session, pool and token source, with ``limiter``.

        This one is left as it is, so work that needs its own pace never
        slows down the client it was handed.
        """
        return HttpClient(self.config, limiter=limiter, token_source=self._token_source,
                          session=self.session, hooks=self.hooks, tracer=self.tracer)

    def with_options(self, *, timeout: Any = KEEP, max_retries: Any = KEEP,
                     headers: Mapping[str, str] | None = None, limiter: Any = KEEP,
                     hooks: Mapping[str, list[Hook]] | None = None) -> HttpClient:
        """A new HttpClient over the same pools and token source with these settings.

        ``headers`` and ``hooks`` add to this client's; the others replace. A
        different ``max_retries`` needs adapters of its own, which share this
        session's pool managers, so connections are still shared.
        """
        config = derived_config(self.config, timeout=timeout, max_retries=max_retries,
                                headers=headers)
        session = self.session
        if config.max_retries != self.config.max_retries:
            session = session_sharing_pools(session, build_retry(
                config.max_retries, config.backoff_factor, config.retry_statuses))
        return HttpClient(config, limiter=self._limiter if limiter is KEEP else limiter,
                          token_source=self._token_source, session=session,
                          hooks=self.hooks.merged(hooks), tracer=self.tracer)

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
        """Send one request; raise a typed error for any non-2xx answer.

        ``raw`` sends and returns bodies without the ``data`` envelope.
        """
        if captured_responses.get() is None:  # no raw-response call wants the whole answer
            prepared, resp, _ = self._send_checked(method, url, params, body, headers, not raw)
            return resp.status_code, resp.headers, self.decode_success(
                resp, prepared.method, prepared.url, not raw)
        answer = self.exchange(method, url, params=params, body=body, headers=headers,
                               envelope=not raw)
        return answer.status, answer.headers, answer.data

    def exchange(self, method: str, url: str, *, params: Mapping[str, Any] | None = None,
                 body: Any = None, headers: Mapping[str, str] | None = None,
                 envelope: bool = True, parse: bool = True) -> ApiResponse:
        """Send one request and return the whole answer; a typed error for any non-2xx one.

        ``parse=False`` leaves the body as bytes in ``data``.
        """
        prepared, resp, attempts = self._send_checked(method, url, params, body, headers, envelope)
        return self._answer(prepared, resp, attempts, envelope, parse)

    def _send_checked(self, method: str, url: str, params: Mapping[str, Any] | None, body: Any,
                      headers: Mapping[str, str] | None,
                      envelope: bool) -> tuple[PreparedRequest, requests.Response, int]:
        """The request sent (a rejected OAuth2 token renewed once), its 2xx answer and the
        attempts it took; a typed error for any other answer."""
        prepared = prepare_request(
            self.build_url(url), method, authorization=self.authorization(),
            user_agent=self.config.user_agent, params=params, body=body, envelope=envelope,
            headers=headers, default_headers=self.config.headers)
        resp, attempts = self.send_observed(prepared)
        if renewal_due(resp.status_code, self._token_source, headers):
            # an expired OAuth2 token: refresh once, then repeat the request once
            if self._token_source.renew(rejected_token(prepared)):
                prepared = dataclasses.replace(
                    prepared, headers={**prepared.headers, "Authorization": self.authorization()})
                resp, more = self.send_observed(prepared, attempts)
                attempts += more
        check_status(resp, prepared, self.redact)
        return prepared, resp, attempts

    def _answer(self, prepared: PreparedRequest, resp: requests.Response, attempts: int,
                envelope: bool, parse: bool) -> ApiResponse:
        """The whole answer, handed to a raw-response call running in this context too."""
        return whole_answer(resp, prepared, attempts, envelope=envelope, parse=parse,
                            redact=self.redact)

    def send_observed(self, prepared: PreparedRequest,
                      earlier_attempts: int = 0) -> tuple[requests.Response, int]:
        """:meth:`send` told to the hooks and traced; the answer and the attempts it took."""
        hooks, tracer = self.hooks, self.tracer
        if tracer is not None and not tracer.active:
            tracer = None
        if not hooks and tracer is None:
            resp = self.send(prepared.method, prepared.url, prepared.query, prepared.data,
                             prepared.headers)
            return resp, _attempts_of(resp)
        method, url = prepared.method, prepared.public_url
        watch = RequestWatch(hooks, method, url, earlier_attempts)
        token = attempt_observer.set(watch.retrying)
        try:
            with (tracer.request(method, url) if tracer is not None
                  else contextlib.nullcontext()) as span:
                resp = self.send(prepared.method, prepared.url, prepared.query, prepared.data,
                                 prepared.headers)
                attempts = _attempts_of(resp)
                if span is not None:
                    span.answered(resp.status_code, earlier_attempts + attempts)
        finally:
            attempt_observer.reset(token)
        watch.answered(resp.status_code, resp.headers, earlier_attempts + attempts)
        return resp, attempts

    # -- building blocks ------------------------------------------------------
    def authorization(self) -> str:
        if self._token_source is not None:
            token = self._token_source.access_token()
            # a token with a line break would make requests raise with the whole header
            check_token_characters("the OAuth2 access token", token)
            return f"Bearer {token}"
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
        verbose = request_logging()
        started = time.perf_counter()
        if verbose:
            log_request(method, url, params, data, headers, self._redactor(secrets))
        context = attempt_limiter.set(self._limiter)
        guard = AttemptGuard(_read_timeout(self.config))
        guarded = current_guard.set(guard)
        try:
            # verify is passed per request: a session-level verify loses to
            # REQUESTS_CA_BUNDLE in requests' environment merging.
            resp = self.session.request(
                method, url, params=params or None, data=data, headers=headers, auth=auth,
                timeout=self.config.timeout, verify=self.config.verify_ssl,
                allow_redirects=False, stream=True,
            )
            read_whole(resp, method, _path_of(url),
                       guard.deadline or time.monotonic() + guard.budget)
            if guard.fired:  # cut off: a body without a length would read as complete
                raise deadline_error(method, _path_of(url), self.config.timeout)
        except errors.Error as exc:
            if guard.fired or isinstance(exc, errors.TimeoutError):  # cut off or too slow
                raise deadline_error(method, _path_of(url), self.config.timeout) from None
            raise  # already typed (an answer cut short or too slow), not a failure to connect
        except requests.exceptions.Timeout:
            raise self._timeout_error(method, url) from None
        except requests.exceptions.ConnectionError as exc:
            if guard.fired:
                raise deadline_error(method, _path_of(url), self.config.timeout) from None
            if _is_read_timeout(exc):
                raise self._timeout_error(method, url) from None
            raise unreachable_error(method, url, self.config.base_url, _root_cause(exc),
                                    self._redactor(secrets)) from None
        finally:
            guard.disarm()
            current_guard.reset(guarded)
            attempt_limiter.reset(context)
        if verbose:
            log_response(method, _path_of(url), resp, time.perf_counter() - started,
                         self._redactor(secrets))
        if self._limiter is not None:
            self._limiter.observe(resp.status_code, resp.headers)
        return resp

    def _timeout_error(self, method: str, url: str) -> errors.TimeoutError:
        return timeout_error(method, url, self.config.timeout)


def _read_timeout(config: Configuration) -> float:
    """Seconds a whole answer may take to arrive once its headers are in."""
    timeout = config.timeout
    return float(timeout[1] if isinstance(timeout, tuple) else timeout)


def _attempts_of(resp: requests.Response) -> int:
    """How many tries urllib3 made for this answer (its retry history plus one)."""
    retries = getattr(resp.raw, "retries", None)
    history = getattr(retries, "history", None)
    return 1 + len(history) if history else 1




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
