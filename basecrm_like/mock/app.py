"""The WSGI application: routing built from the catalog, the request pipeline,
and turning every outcome (answer, API error, crash, injected fault) into bytes.

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
from collections.abc import Iterable
from typing import Any

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from ..resources import CATALOG
from . import records
from . import seed as seeding
from .admin import RequestLog, admin_routes
from .context import JSON_TYPE, MAX_BODY, Call, parse_json
from .errors import ApiError, ErrorItem, error, error_body
from .faults import DropConnection, Fault, FaultInjector, FaultSpec
from .oauth import DEFAULT_TOKEN_TTL, OAuthClient, OAuthServer, oauth_routes
from .ratelimit import RateLimiter
from .routes import EXTRA_ROUTES, INTERNAL_PREFIX, Route, api_routes
from .store import Store
from .tokens import TokenInfo, Tokens
from .values import now_iso

logger = logging.getLogger("basecrm_like.mock")

_FAULT_CODES = {500: "server_error", 502: "bad_gateway", 503: "temporarily_unavailable"}


class MockApp:
    """A stateful Base API v2 as a WSGI callable.

    ``tokens``: accepted tokens (default: only :data:`DEV_TOKEN`); ``db``: SQLite
    file (default in memory); ``rate_limit``: requests per second per token;
    ``faults``/``fault_seed``: see :mod:`.faults`; ``seed``: extra contacts, leads
    and deals to create; ``oauth_clients``/``token_ttl``: see :mod:`.oauth`.
    """

    def __init__(self, *, tokens: Iterable[str] = (), db: str | None = None,
                 rate_limit: float | None = None,
                 faults: str | FaultSpec | dict[str, float] | None = None,
                 fault_seed: int | None = None, seed: int = 0,
                 routes: Iterable[Route] = (),
                 oauth_clients: Iterable[str | tuple[str, ...] | OAuthClient] = (),
                 token_ttl: float = DEFAULT_TOKEN_TTL) -> None:
        if seed < 0:
            raise ValueError(f"seed must be >= 0, got {seed}")
        self.store = Store(db)
        self.tokens = Tokens(list(tokens))
        self.limiter = RateLimiter(rate_limit) if rate_limit else None
        self.faults = FaultInjector(faults, fault_seed)
        self._configured_faults = (self.faults.spec, fault_seed)
        self.seed_count = seed
        self.request_log = RequestLog()
        self.oauth = OAuthServer(self.tokens, oauth_clients, token_ttl)
        self._routes: list[Route] = [*api_routes(), *admin_routes(), *oauth_routes(self.oauth),
                                     *EXTRA_ROUTES, *routes]
        self._map = self._build_map()
        with self.store.write() as store:
            if store.meta("seeded") is None:
                seeding.seed(store, seed)

    # -- configuration ------------------------------------------------------------------
    def _build_map(self) -> Map:
        rules = [Rule(route.rule, methods=list(route.methods), endpoint=str(index))
                 for index, route in enumerate(self._routes)]
        return Map(rules, strict_slashes=False, merge_slashes=False)

    def add_route(self, route: Route) -> None:
        """Serve another endpoint (e.g. ``/oauth2/token``) from now on."""
        self._routes.append(route)
        self._map = self._build_map()

    def add_token(self, token: str, user_id: int = 1,
                  expires_at: float | None = None) -> TokenInfo:
        """Accept another token, for ``user_id``, until ``expires_at`` (epoch seconds)."""
        return self.tokens.add(token, user_id=user_id, expires_at=expires_at)

    def set_faults(self, faults: str | FaultSpec | dict[str, float] | None = None,
                   seed: int | None = None) -> None:
        """Change fault injection while running (None turns it off), e.g. to check
        the outcome of a faulty run without faults getting in the way."""
        self.faults = FaultInjector(faults, seed)

    def authenticate(self, request: Request) -> TokenInfo:
        """The one place a request's bearer token is checked (401 otherwise)."""
        return self.tokens.authenticate(request.headers.get("Authorization"))

    def reset(self) -> None:
        """Back to the seed state: records, ids, Sync state, request log, rate limits,
        and the fault injection the server was started with (its RNG restarted)."""
        with self.store.write() as store:
            store.clear()
            seeding.seed(store, self.seed_count)
        self.request_log.clear()
        if self.limiter is not None:
            self.limiter.clear()
        self.set_faults(*self._configured_faults)

    def insert(self, resource: str, values: dict[str, Any] | None = None,
               parent: int | str = 0) -> dict[str, Any]:
        """Store a record directly, bypassing the API's rules (defaults still apply).

        For data the API cannot create (documents, visits, text messages) or odd
        states a test needs; it feeds Sync like any write.
        """
        res = CATALOG[resource]
        values = dict(values or {})
        with self.store.write() as store:
            new_id = values.get("id")
            if new_id is not None:
                store.reserve_id(res, int(new_id))
            elif res.id_field == "id":
                new_id = store.next_id(res)
            record = records.new_record(res, values, id=new_id, user_id=1,
                                        now=values.get("created_at") or now_iso())
            record.update({k: v for k, v in values.items() if k in record})
            store.insert(res, record, parent)
        return record

    def close(self) -> None:
        self.store.close()

    # -- WSGI -------------------------------------------------------------------------------
    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        request_id = str(uuid.uuid4())
        internal = request.path.startswith(INTERNAL_PREFIX)
        entry = None if internal else self.request_log.arrive(request, _logged_body(request))
        fault: Fault | None = None
        if not internal and self.faults.spec.active:
            if self.faults.latency:
                time.sleep(self.faults.latency)
            fault = self.faults.draw(request.method)
            if fault is not None and not fault.after_write:
                return self._inject(fault, entry, request_id)(environ, start_response)
        response = self.handle(request, request_id)
        if fault is not None:  # the write (if any) is committed: now fail anyway
            return self._inject(fault, entry, request_id)(environ, start_response)
        if entry is not None:
            entry["status"] = response.status_code
        return response(environ, start_response)

    def handle(self, request: Request, request_id: str) -> Response:
        try:
            response = self._dispatch(request, request_id)
        except ApiError as exc:
            response = self.error_response(exc.status, exc.items, request_id, exc.headers)
        except Exception:
            logger.exception("unexpected error serving %s %s (request %s)",
                             request.method, request.path, request_id)
            response = self.error_response(
                500, (ErrorItem("server_error", "Internal Server Error",
                                "The mock server failed unexpectedly; nothing was written. "
                                f"See its log for request {request_id}."),), request_id)
        return _stamped(response, request_id)

    def _dispatch(self, request: Request, request_id: str) -> Response:
        route, values = self._match(request)
        user_id, token = 1, None
        if not route.public:
            _check_headers(request)
            info = self.authenticate(request)
            user_id, token = info.user_id, info.token
            if self.limiter is not None:
                wait = self.limiter.take(info.token)
                if wait is not None:
                    raise error(429, "rate_limit_exceeded", "Rate limit exceeded",
                                f"More than {self.limiter.rate:g} requests per second for this "
                                f"token; retry after {wait} s.",
                                headers={"Retry-After": str(wait)})
        transaction = self.store.write() if route.writes else self.store.read()
        with transaction as store:
            call = Call(self, request, values, request_id, store, route.resource, user_id, token)
            return route.handler(call)

    def _match(self, request: Request) -> tuple[Route, dict[str, Any]]:
        adapter = self._map.bind_to_environ(request.environ)
        try:
            endpoint, values = adapter.match()
        except MethodNotAllowed as exc:
            allowed = sorted(set(exc.valid_methods or ()))
            raise error(405, "method_not_allowed", "Method Not Allowed",
                        f"{request.method} is not supported on {request.path}; "
                        f"use {', '.join(allowed)}.", headers={"Allow": ", ".join(allowed)}) from None
        except NotFound:
            raise error(404, "incorrect_path", "Not Found",
                        f"Requested path {request.path} was not found.") from None
        return self._routes[int(endpoint)], dict(values)

    def error_response(self, status: int, items: tuple[ErrorItem, ...], request_id: str,
                       headers: dict[str, str] | None = None) -> Response:
        response = Response(error_body(status, items, request_id), status=status,
                            content_type=JSON_TYPE)
        for key, value in (headers or {}).items():
            response.headers[key] = value
        return response

    def _inject(self, fault: Fault, entry: dict[str, Any] | None, request_id: str) -> Response:
        if entry is not None:
            entry["fault"] = fault.kind
        if fault.kind == "drop":
            raise DropConnection("fault injection: connection dropped")
        if entry is not None:
            entry["status"] = fault.status
        html = fault.body()
        if html is not None:
            response = Response(html, status=fault.status, content_type="text/html")
        else:
            code = _FAULT_CODES.get(fault.status, "server_error")
            response = self.error_response(fault.status, (ErrorItem(
                code, "Server error", "Injected by the mock server's fault injection."),),
                request_id)
        return _stamped(response, request_id)


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


def _logged_body(request: Request) -> Any:
    """The JSON body for the request log (None when absent, too big or not JSON)."""
    length = request.content_length
    if not length or length > MAX_BODY:
        return None
    try:
        return parse_json(request.get_data(cache=True))
    except ValueError:
        return None
