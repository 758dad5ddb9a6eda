"""Who may use the control plane (``/_mock/*``): reset, tokens, faults, the request log.

Those calls can empty a database or mint a working token, so:

- a body must be ``application/json`` (and a ``Content-Type`` sent on a call
  without a body too): a web page cannot send that cross-origin without a CORS
  preflight, and the mock answers no preflight;
- a request carrying an ``Origin`` other than the server's own is refused
  (browsers send ``Origin`` on every cross-origin write);
- with an admin token configured (required when listening beyond loopback),
  every call must carry ``Authorization: Bearer <admin token>``.

Clients that are not browsers (tests, curl, ``requests``) send no ``Origin``
and are unaffected, apart from the admin token when one is set.
"""
from __future__ import annotations

import hmac
from urllib.parse import urlsplit

from werkzeug.wrappers import Request

from ..backend.errors import error
from ..backend.exposure import check_listener, exposure_warning, is_loopback

__all__ = ["check_control_request", "check_listener", "exposure_warning", "is_loopback"]


def check_control_request(request: Request, admin_token: str | None) -> None:
    """The API's error (403, 415) for a control-plane request that may not act."""
    origin = request.headers.get("Origin")
    if origin is not None and not _same_origin(origin, request):
        raise error(403, "forbidden_origin", "Forbidden",
                    f"The control plane does not answer requests from the web page at "
                    f"{origin[:100]!r}; call it from your test code, without an Origin header.")
    has_body = bool(request.content_length) or bool(request.headers.get("Transfer-Encoding"))
    content_type = request.headers.get("Content-Type")
    if (has_body or content_type is not None) and request.mimetype != "application/json":
        raise error(415, "unsupported_media_type", "Unsupported Media Type",
                    f"The control plane reads application/json bodies only, got "
                    f"{(content_type or 'no Content-Type')[:100]!r}.", field="Content-Type")
    if admin_token:
        scheme, _, given = (request.headers.get("Authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(),
                                                                 admin_token.encode()):
            raise error(401, "unauthorized", "Unauthorized",
                        "The control plane needs 'Authorization: Bearer <admin token>' "
                        "(the server's --admin-token).")


def _same_origin(origin: str, request: Request) -> bool:
    parts = urlsplit(origin)
    return bool(parts.netloc) and parts.scheme == request.scheme \
        and parts.netloc.lower() == (request.host or "").lower()
