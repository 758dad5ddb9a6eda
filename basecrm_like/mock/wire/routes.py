"""Routes: what the catalog says exists, plus Sync; and matching a request to one.

An app serves the catalog's routes, its own (admin, OAuth) and the extra
routes given to its constructor; the set is fixed once the app is built.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from ...catalog import RESOURCES, Resource
from ..backend.errors import error
from . import sync
from .handlers import ACTION_HANDLERS, CUSTOM_FIELD_TYPES
from .request import Call

Handler = Callable[[Call], Response]
API_PREFIX = "/v2"
INTERNAL_PREFIX = "/_mock/"
#: ids in paths (handlers answer 404 for numbers beyond SQLite's 64-bit integers)
ID_CONVERTER = "int"


@dataclass(frozen=True)
class Route:
    """A Werkzeug rule string, its methods and handler.

    ``public`` routes need no bearer token (OAuth endpoints authenticate the
    client themselves); ``internal`` ones (test helpers) are never faulted,
    rate limited or logged. ``write`` runs the handler in a write transaction
    (default: any method but GET/HEAD).
    """

    rule: str
    methods: tuple[str, ...]
    handler: Handler
    resource: Resource | None = None
    public: bool = False
    internal: bool = False
    write: bool | None = None
    name: str = ""

    @property
    def writes(self) -> bool:
        if self.write is not None:
            return self.write
        return any(m not in ("GET", "HEAD") for m in self.methods)


class Router:
    """The route of a request, or the API's 404 ``incorrect_path`` / 405."""

    def __init__(self, routes: Iterable[Route]) -> None:
        self.routes = tuple(routes)
        self._map = Map([Rule(route.rule, methods=list(route.methods), endpoint=str(index))
                         for index, route in enumerate(self.routes)],
                        strict_slashes=False, merge_slashes=False)

    def match(self, request: Request) -> tuple[Route, dict[str, Any]]:
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
        return self.routes[int(endpoint)], dict(values)


def _rule_path(res: Resource) -> str:
    path = res.path
    for name in res.parent_params:
        if name == "resource_type":
            kinds = ", ".join(sorted(CUSTOM_FIELD_TYPES))
            path = path.replace("{resource_type}", f"<any({kinds}):resource_type>")
        else:
            path = path.replace(f"{{{name}}}", f"<{ID_CONVERTER}:{name}>")
    return API_PREFIX + path


def resource_routes(res: Resource) -> list[Route]:
    """One route per action of a catalog entry."""
    base = _rule_path(res)
    member = f"{base}/<{ID_CONVERTER}:{res.id_field}>"
    where = {
        "list": (base, "GET"), "create": (base, "POST"), "retrieve": (member, "GET"),
        "update": (member, "PUT"), "destroy": (member, "DELETE"),
        "upsert": (f"{base}/upsert", "POST"), "self": (f"{base}/self", "GET"),
    }
    routes = []
    for action in sorted(res.actions):
        path, method = where[action]
        routes.append(Route(path, (method,), ACTION_HANDLERS[action], resource=res,
                            name=f"{res.name}.{action}"))
    return routes


def sync_routes() -> list[Route]:
    return [
        Route(f"{API_PREFIX}/sync/start", ("POST",), sync.start, name="sync.start"),
        Route(f"{API_PREFIX}/sync/<session_id>/queues/<queue>", ("GET",), sync.fetch,
              write=True, name="sync.fetch"),
        Route(f"{API_PREFIX}/sync/ack", ("POST",), sync.ack, name="sync.ack"),
    ]


def api_routes() -> list[Route]:
    """Every route of the API the catalog describes, and Sync."""
    routes: list[Route] = []
    for res in RESOURCES:
        routes.extend(resource_routes(res))
    routes.extend(sync_routes())
    return routes
