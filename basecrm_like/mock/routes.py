"""Routes: what the catalog says exists, plus Sync, plus the /_mock test helpers.

Other modules add their own endpoints by appending to :data:`EXTRA_ROUTES`
(every app built afterwards serves them) or calling ``MockApp.add_route``::

    EXTRA_ROUTES.append(Route("/oauth2/token", ("POST",), token_handler, public=True))
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from werkzeug.wrappers import Response

from ..resources import RESOURCES, Resource
from . import sync
from .context import Call
from .handlers import ACTION_HANDLERS, CUSTOM_FIELD_TYPES

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
    name: str = field(default="")

    @property
    def writes(self) -> bool:
        if self.write is not None:
            return self.write
        return any(m not in ("GET", "HEAD") for m in self.methods)


#: endpoints contributed by other modules (e.g. an OAuth server); read when an app is built
EXTRA_ROUTES: list[Route] = []


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
    routes: list[Route] = []
    for res in RESOURCES:
        routes.extend(resource_routes(res))
    routes.extend(sync_routes())
    return routes


def bind(handler: Callable[..., Response], *args: object) -> Handler:
    """A handler with leading arguments fixed (for helpers that need the app)."""
    return partial(handler, *args)
