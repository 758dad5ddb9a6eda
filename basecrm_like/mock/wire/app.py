"""The WSGI application: builds the server's state, and runs every request through
one pipeline that turns each outcome (answer, API error, crash, injected fault)
into bytes.

Pipeline of an API request: log arrival -> injected latency and fault ->
route (404 ``incorrect_path`` / 405) -> User-Agent and Accept -> token (401) ->
rate limit (429) -> handler inside one transaction -> headers. Anything a
handler raises rolls its transaction back; unexpected exceptions answer 500 with
the error envelope, so no request can leave half-written state.
"""
from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.wrappers import Request, Response

from ...catalog import CATALOG
from ..backend import records
from ..backend import seed as seeding
from ..backend.errors import ApiError, ErrorItem, error
from ..backend.events import DEFAULT_RETENTION, SYSTEM
from ..backend.faults import Fault, FaultInjector, FaultSetting, FaultSpec
from ..backend.oauth import DEFAULT_TOKEN_TTL, OAuthServer
from ..backend.oauth_clients import OAuthClientSpec
from ..backend.ratelimit import RateLimiter
from ..backend.store import Store
from ..backend.stubs import StubBook
from ..backend.tokens import TokenInfo, Tokens
from .admin import admin_routes
from .cassettes import front_for
from .control import check_control_request
from .document import openapi_routes
from .errors import error_response
from .faults import fault_response
from .firehose import firehose_routes
from .oauth import oauth_routes
from .request import Call, logged_body
from .request_log import RequestLog
from .routes import INTERNAL_PREFIX, Route, Router, api_routes
from .search import search_routes
from .stubs import stub_response, stub_routes

logger = logging.getLogger("basecrm_like.mock")
access_logger = logging.getLogger("basecrm_like.mock.access")


class MockApp:
    """A stateful Base API v2 as a WSGI callable.

    ``tokens``: accepted tokens (default: only :data:`DEV_TOKEN`); ``db``: SQLite
    file (default in memory); ``rate_limit``: requests per second per token;
    ``faults``/``fault_seed``: see :mod:`..backend.faults`; ``seed``: extra contacts,
    leads and deals to create; ``oauth_clients``/``token_ttl``: see
    :mod:`..backend.oauth`; ``access_log``: log each request with its status and
    duration to the ``basecrm_like.mock.access`` logger; ``record_from`` +
    ``cassette``, ``replay``, ``compare``: see :mod:`.cassettes`; ``admin_token``:
    what the control plane requires (see :mod:`.control`) (these are the options of
    :mod:`..options`). ``routes``: endpoints to serve besides the API's;
    ``clock``: the time OAuth codes and tokens expire by; ``firehose_retention``:
    seconds the Firehose stream keeps events (:mod:`.firehose`).
    """

    def __init__(self, *, tokens: Iterable[str] = (), db: str | None = None,
                 rate_limit: float | None = None,
                 faults: FaultSpec | FaultSetting = None, fault_seed: int | None = None,
                 seed: int = 0, oauth_clients: Iterable[OAuthClientSpec] = (),
                 token_ttl: float = DEFAULT_TOKEN_TTL, access_log: bool = False,
                 routes: Iterable[Route] = (),
                 clock: Callable[[], float] = time.time,
                 firehose_retention: float = DEFAULT_RETENTION,
                 record_from: str | None = None, cassette: str | None = None,
                 replay: str | None = None, compare: str | None = None,
                 admin_token: str | None = None) -> None:
        if seed < 0:
            raise ValueError(f"seed must be >= 0, got {seed}")
        self.front, self.comparing = front_for(record_from, cassette, replay, compare)
        self.tokens = Tokens(list(tokens), clock=clock)
        self.limiter = RateLimiter(rate_limit) if rate_limit else None
        self.faults = FaultInjector(faults, fault_seed)
        self.oauth = OAuthServer(self.tokens, oauth_clients, token_ttl, clock=clock)
        self.seed_count = seed
        self.access_log = access_log
        self.admin_token = admin_token
        self.request_log = RequestLog()
        self.stubs = StubBook()
        self.router = Router([
            *api_routes(),
            *search_routes(),
            *admin_routes(reset_server=self._reset, log=self.request_log, tokens=self.tokens,
                          faults=self.faults),
            *oauth_routes(self.oauth), *stub_routes(self.stubs),
            *openapi_routes(), *routes,
            *firehose_routes(firehose_retention)])
        self.store = Store(db)
        with self.store.write() as store:
            if store.meta("seeded") is None:
                seeding.seed(store, seed)

    # -- controls for tests (also reachable under /_mock/) ----------------------------------
    def add_token(self, token: str, user_id: int = 1,
                  expires_at: float | None = None) -> TokenInfo:
        """Accept another token, for ``user_id``, until ``expires_at`` (epoch seconds)."""
        return self.tokens.add(token, user_id=user_id, expires_at=expires_at)

    def set_faults(self, faults: FaultSpec | FaultSetting = None, seed: int | None = None) -> None:
        """Change fault injection while running (None turns it off), e.g. to check
        the outcome of a faulty run without faults getting in the way."""
        self.faults.configure(faults, seed)

    def reset(self) -> None:
        """Back to the seed state: records, ids, Sync state, request log, rate limits,
        and the fault injection the server was started with (its RNG restarted)."""
        self._reset()

    def _reset(self) -> int:
        with self.store.write() as store:
            store.clear()
            seeding.seed(store, self.seed_count)
        self.request_log.clear()
        self.stubs.clear()
        if self.limiter is not None:
            self.limiter.clear()
        self.faults.restore()
        return self.seed_count

    def insert(self, resource: str, values: dict[str, Any] | None = None,
               parent: int | str = 0) -> dict[str, Any]:
        """Store a record directly, bypassing the API's rules (defaults still apply).

        For data the API cannot create (documents, visits, text messages) or odd
        states a test needs; it feeds Sync like any write.
        """
        with self.store.write() as store, store.caused_by(SYSTEM):
            return records.insert_as_given(store, CATALOG[resource], dict(values or {}), parent)

    def close(self) -> None:
        self.store.close()

    # -- WSGI -------------------------------------------------------------------------------
    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        started = time.perf_counter()
        request = Request(environ)
        status: int | str = "dropped"
        try:
            response = self._respond(request)
            status = response.status_code
            return response(environ, start_response)
        finally:
            if self.access_log:
                access_logger.info("%s %s -> %s in %.1f ms", request.method,
                                   request.full_path.rstrip("?"), status,
                                   (time.perf_counter() - started) * 1000)

    def _respond(self, request: Request) -> Response:
        request_id = str(uuid.uuid4())
        internal = request.path.startswith(INTERNAL_PREFIX)
        entry = None if internal else self.request_log.arrive(request, logged_body(request))
        stub = None if internal else self.stubs.take(request.method, request.path)
        if stub is not None:
            response = stub_response(stub)
            if entry is not None:
                entry["status"] = response.status_code
            return _stamped(response, request_id)
        if self.front is not None and not internal:
            response = self.front(request, request_id)
            if entry is not None:
                entry["status"] = response.status_code
            return _stamped(response, request_id)
        fault: Fault | None = None
        if not internal and self.faults.spec.active:
            if self.faults.spec.latency:
                time.sleep(self.faults.spec.latency)
            fault = self.faults.draw(request.method)
        if fault is None or fault.after_write:
            response = self._answer(request, request_id)
        if fault is not None:  # before the handler, or after its write was committed
            if entry is not None:
                entry["fault"] = fault.kind
            response = fault_response(fault, request_id)
        if entry is not None:
            entry["status"] = response.status_code
        return _stamped(response, request_id)

    def _answer(self, request: Request, request_id: str) -> Response:
        try:
            return self._dispatch(request, request_id)
        except ApiError as exc:
            return error_response(exc.status, exc.items, request_id, exc.headers)
        except Exception:
            logger.exception("unexpected error serving %s %s (request %s)",
                             request.method, request.path, request_id)
            return error_response(
                500, (ErrorItem("server_error", "Internal Server Error",
                                "The mock server failed unexpectedly; nothing was written. "
                                f"See its log for request {request_id}."),), request_id)

    def _dispatch(self, request: Request, request_id: str) -> Response:
        route, values = self.router.match(request)
        if route.internal:
            check_control_request(request, self.admin_token)
        user_id = 1
        if not route.public:
            _check_headers(request)
            info = self.tokens.authenticate(request.headers.get("Authorization"))
            user_id = info.user_id
            if self.limiter is not None:
                wait = self.limiter.take(info.token)
                if wait is not None:
                    raise error(429, "rate_limit_exceeded", "Rate limit exceeded",
                                f"More than {self.limiter.rate:g} requests per second for this "
                                f"token; retry after {wait} s.",
                                headers={"Retry-After": str(wait)})
        transaction = self.store.write() if route.writes else self.store.read()
        with transaction as store:
            return route.handler(Call(request, values, request_id, store, route.resource,
                                      user_id))


def _stamped(response: Response, request_id: str) -> Response:
    """The headers the API sends on every answer, faults included."""
    response.headers["X-Request-Id"] = request_id
    response.headers["Content-Language"] = "en"
    return response


def _check_headers(request: Request) -> None:
    if not (request.headers.get("User-Agent") or "").strip():
        raise error(400, "invalid_user_agent", "Missing User-Agent header",
                    "Every request must send a User-Agent header identifying the client.",
                    field="User-Agent")
    if "Accept" in request.headers and request.accept_mimetypes.best_match(
            ["application/json"]) is None:
        raise error(406, "not_acceptable", "Not Acceptable",
                    "The API answers in JSON only; send Accept: application/json.",
                    field="Accept")
