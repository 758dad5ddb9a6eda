"""A stateful, faithful Base API v2 served over loopback, for tests and CI.

    from basecrm_like.mock import serve

    with serve(seed=100) as server:
        client = basecrm_like.Client(access_token=server.token, base_url=server.url)

Command line: ``basecrm-like mock --port 8765`` (or ``python -m basecrm_like.mock``).
Without ``--token`` the server accepts :data:`DEV_TOKEN` only.
OAuth 2 (``/oauth2/authorize``, ``/oauth2/token``): without ``--oauth-client``
the server accepts the development app :data:`DEV_OAUTH_CLIENT` (an
``(id, secret)`` pair); see :mod:`.wire.oauth`.

The package is two layers: :mod:`.wire` (HTTP: app, routes, handlers, admin,
server) over :mod:`.backend` (state and rules, no HTTP). Its options are
declared once in :mod:`.options`.

Werkzeug and waitress (the ``mock`` extra) are imported on first use of
:func:`serve`, :class:`MockServer`, :func:`create_app` or :class:`MockApp`, so
importing this package (as the pytest plugin does) works without them.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .backend.oauth_clients import DEV_OAUTH_CLIENT
from .backend.tokens import DEV_TOKEN
from .options import MockConfigurationError, UnknownMockOptionError

if TYPE_CHECKING:
    from .wire.app import MockApp
    from .wire.server import MockServer, create_app, serve

__all__ = ["DEV_OAUTH_CLIENT", "DEV_TOKEN", "MockApp", "MockConfigurationError", "MockServer",
           "UnknownMockOptionError", "create_app", "serve"]


def __getattr__(name: str) -> Any:
    """The names that need Werkzeug and waitress, imported when first asked for."""
    if name in ("MockServer", "create_app", "serve"):
        from .wire import server

        return getattr(server, name)
    if name == "MockApp":
        from .wire.app import MockApp

        return MockApp
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
